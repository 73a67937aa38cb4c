import AerieCore
import Testing
import AerieImage
import AerieTestSupport

@Suite struct ResamplingTests {
    /// Resampling precision against the slow reference: one level (float summation order).
    static let tolerance = 1

    @Test(arguments: [(1, 1), (3, 2), (7, 5), (20, 13), (2, 9)])
    func solidColoursStaySolid(width: Int, height: Int) {
        let fill: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) = (200, 17, 99, 255)
        let image = RGBAImage(width: 7, height: 5, fill: fill)
        #expect(image.resized(width: width, height: height) == RGBAImage(width: width, height: height, fill: fill))
        let translucent = RGBAImage(width: 6, height: 4, fill: (10, 250, 30, 77))
        #expect(translucent.resized(width: width, height: height) == RGBAImage(width: width, height: height, fill: (10, 250, 30, 77)))
    }

    @Test func checkerAveragesToItsMean() {
        var checker = RGBAImage(width: 2, height: 2, fill: (0, 0, 0, 255))
        checker[1, 0] = (255, 255, 255, 255)
        checker[0, 1] = (255, 255, 255, 255)
        // Mean 127.5, rounded half away from zero.
        #expect(checker.resized(width: 1, height: 1)[0, 0] == (128, 128, 128, 255))
        // A 4x4 checker of 2x2 squares to 2x2 reproduces the squares exactly.
        var big = RGBAImage(width: 4, height: 4, fill: (0, 0, 0, 255))
        for y in 0..<4 { for x in 0..<4 where (x / 2 + y / 2) % 2 == 1 { big[x, y] = (240, 120, 60, 255) } }
        let small = big.resized(width: 2, height: 2)
        #expect(small[0, 0] == (0, 0, 0, 255) && small[1, 0] == (240, 120, 60, 255))
        #expect(small[0, 1] == (240, 120, 60, 255) && small[1, 1] == (0, 0, 0, 255))
    }

    @Test func areaAverageWeighsFractionalCoverage() {
        // Three source pixels into two: output 0 covers pixel 0 and half of pixel 1.
        let row = RGBAImage(width: 3, height: 1, pixels: [0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255])
        let out = row.resized(width: 2, height: 1)
        #expect(out[0, 0].r == 30)   // (0 + 0.5 * 90) / 1.5
        #expect(out[1, 0].r == 150)  // (0.5 * 90 + 180) / 1.5
    }

    @Test func bilinearEnlargement() {
        let row = RGBAImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255, 255, 255])
        let out = row.resized(width: 4, height: 1)
        // Centres map to -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        #expect([out[0, 0].r, out[1, 0].r, out[2, 0].r, out[3, 0].r] == [0, 64, 191, 255])
    }

    @Test func transparentPixelsDoNotDarken() {
        let row = RGBAImage(width: 2, height: 1, pixels: [255, 0, 0, 255, 0, 0, 0, 0])
        #expect(row.resized(width: 1, height: 1)[0, 0] == (255, 0, 0, 128))
    }

    /// The separable fast path agrees with a direct two-dimensional evaluation of the same
    /// definition, for every mix of shrinking, enlarging and keeping each axis.
    @Test(arguments: [(5, 3), (11, 7), (11, 4), (3, 7), (16, 16), (8, 12)])
    func matchesSlowReference(width: Int, height: Int) {
        var generator = SplitMix64(seed: UInt64(width * 100 + height))
        let pixels = (0..<(8 * 8 * 4)).map { i in i % 4 == 3 ? UInt8.random(in: 1...255, using: &generator) : UInt8.random(in: 0...255, using: &generator) }
        let image = RGBAImage(width: 8, height: 8, pixels: pixels)
        let fast = image.resized(width: width, height: height)
        let slow = ReferenceResampler.resize(image, width: width, height: height)
        let worst = zip(fast.pixels, slow.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= Self.tolerance, "\(width)x\(height): worst difference \(worst)")
    }

    @Test func centerCrop() {
        var image = RGBAImage(width: 5, height: 4, fill: (0, 0, 0, 255))
        for y in 0..<4 { for x in 0..<5 { image[x, y] = (UInt8(x), UInt8(y), 0, 255) } }
        let crop = image.centerCropped(width: 3, height: 2)
        #expect(crop.width == 3 && crop.height == 2)
        #expect(crop[0, 0] == (1, 1, 0, 255) && crop[2, 1] == (3, 2, 0, 255))
        // Odd margins: the extra column goes on the right.
        let narrow = image.centerCropped(width: 2, height: 4)
        #expect(narrow[0, 0].r == 1 && narrow[1, 3] == (2, 3, 0, 255))
        // Larger than the image: the image itself.
        #expect(image.centerCropped(width: 10, height: 10) == image)
    }
}

/// The obvious, slow twin of `RGBAImage.resized`: each output pixel evaluated directly from its
/// two-dimensional definition in Double precision.
enum ReferenceResampler {
    /// The source positions and weights along one axis, straight from the definition.
    static func weights(source: Int, target: Int, output i: Int) -> [(Int, Double)] {
        let scale = Double(source) / Double(target)
        if target == source { return [(i, 1)] }
        if target < source {
            let lower = Double(i) * scale, upper = Double(i + 1) * scale
            return (0..<source).compactMap { j in
                let overlap = min(upper, Double(j + 1)) - max(lower, Double(j))
                return overlap > 0 ? (j, overlap / scale) : nil
            }
        }
        let position = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
        let left = Int(position), fraction = position - Double(left)
        return left + 1 < source ? [(left, 1 - fraction), (left + 1, fraction)] : [(left, 1)]
    }

    static func resize(_ image: RGBAImage, width: Int, height: Int) -> RGBAImage {
        var out = RGBAImage(width: width, height: height, fill: (0, 0, 0, 0))
        for y in 0..<height {
            for x in 0..<width {
                var sum = [Double](repeating: 0, count: 4)
                for (sy, wy) in weights(source: image.height, target: height, output: y) {
                    for (sx, wx) in weights(source: image.width, target: width, output: x) {
                        let p = image[sx, sy]
                        let alpha = Double(p.a) / 255
                        sum[0] += wx * wy * Double(p.r) * alpha
                        sum[1] += wx * wy * Double(p.g) * alpha
                        sum[2] += wx * wy * Double(p.b) * alpha
                        sum[3] += wx * wy * alpha
                    }
                }
                func level(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
                let a = sum[3]
                out[x, y] = a > 0 ? (level(sum[0] / a), level(sum[1] / a), level(sum[2] / a), level(a * 255)) : (0, 0, 0, 0)
            }
        }
        return out
    }
}
