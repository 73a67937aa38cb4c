extension RGBAImage {
    /// The image resampled to `width` x `height`.
    ///
    /// Each axis is resampled on its own: an axis that shrinks uses area averaging (every output
    /// pixel is the mean of the source area it covers, fractional pixels weighted by their
    /// coverage), an axis that grows uses bilinear interpolation with pixel centres aligned and
    /// edges clamped, an axis that keeps its size is copied. Colours are averaged premultiplied by
    /// alpha, so fully transparent pixels do not darken their neighbours. Results are rounded to
    /// the nearest integer, halves away from zero.
    ///
    /// - Precondition: `width` and `height` are positive.
    /// - Complexity: O(output pixels x taps per pixel), taps = source/target ratio when shrinking.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBAImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target must be positive, got \(newWidth)x\(newHeight)")
        if newWidth == width && newHeight == height { return self }

        let columns = ResamplingTaps(source: width, target: newWidth)
        let rows = ResamplingTaps(source: height, target: newHeight)

        // Premultiplied float copy of the source: r*a, g*a, b*a, a (a in 0...1).
        var source = [Float](repeating: 0, count: width * height * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) {
            let alpha = Float(pixels[i + 3]) / 255
            source[i] = Float(pixels[i]) * alpha
            source[i + 1] = Float(pixels[i + 1]) * alpha
            source[i + 2] = Float(pixels[i + 2]) * alpha
            source[i + 3] = alpha
        }

        // Horizontal pass: height x newWidth.
        var horizontal = [Float](repeating: 0, count: height * newWidth * 4)
        for y in 0..<height {
            let sourceRow = y * width * 4, outputRow = y * newWidth * 4
            for x in 0..<newWidth {
                var accumulator: (Float, Float, Float, Float) = (0, 0, 0, 0)
                for tap in columns.range(x) {
                    let s = sourceRow + columns.indices[tap] * 4, w = columns.weights[tap]
                    accumulator.0 += source[s] * w
                    accumulator.1 += source[s + 1] * w
                    accumulator.2 += source[s + 2] * w
                    accumulator.3 += source[s + 3] * w
                }
                let o = outputRow + x * 4
                horizontal[o] = accumulator.0; horizontal[o + 1] = accumulator.1
                horizontal[o + 2] = accumulator.2; horizontal[o + 3] = accumulator.3
            }
        }

        // Vertical pass and un-premultiplication: newHeight x newWidth.
        var output = [UInt8](repeating: 0, count: newWidth * newHeight * 4)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                var accumulator: (Float, Float, Float, Float) = (0, 0, 0, 0)
                for tap in rows.range(y) {
                    let s = (rows.indices[tap] * newWidth + x) * 4, w = rows.weights[tap]
                    accumulator.0 += horizontal[s] * w
                    accumulator.1 += horizontal[s + 1] * w
                    accumulator.2 += horizontal[s + 2] * w
                    accumulator.3 += horizontal[s + 3] * w
                }
                let o = (y * newWidth + x) * 4
                let alpha = accumulator.3
                if alpha > 0 {
                    output[o] = Self.channel(accumulator.0 / alpha)
                    output[o + 1] = Self.channel(accumulator.1 / alpha)
                    output[o + 2] = Self.channel(accumulator.2 / alpha)
                }
                output[o + 3] = Self.channel(alpha * 255)
            }
        }
        return RGBAImage(width: newWidth, height: newHeight, pixels: output)
    }

    /// The central `width` x `height` region (at most the image's own size on each axis).
    ///
    /// When the margin to remove is odd, the extra column or row is removed on the right or bottom.
    /// - Precondition: `width` and `height` are positive.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) -> RGBAImage {
        precondition(cropWidth > 0 && cropHeight > 0, "crop size must be positive, got \(cropWidth)x\(cropHeight)")
        let w = min(cropWidth, width), h = min(cropHeight, height)
        if w == width && h == height { return self }
        let left = (width - w) / 2, top = (height - h) / 2
        var output = [UInt8]()
        output.reserveCapacity(w * h * 4)
        for y in top..<(top + h) {
            let start = (y * width + left) * 4
            output.append(contentsOf: pixels[start..<(start + w * 4)])
        }
        return RGBAImage(width: w, height: h, pixels: output)
    }

    private static func channel(_ value: Float) -> UInt8 {
        UInt8(max(0, min(255, value.rounded(.toNearestOrAwayFromZero))))
    }
}

/// For each output position along one axis, the source positions and weights it is made from.
struct ResamplingTaps {
    /// `starts[i]..<starts[i + 1]` indexes the taps of output position `i`.
    private(set) var starts: [Int] = [0]
    private(set) var indices: [Int] = []
    private(set) var weights: [Float] = []

    init(source: Int, target: Int) {
        precondition(source > 0 && target > 0, "axis sizes must be positive")
        if target == source {
            for i in 0..<target { append([(i, 1)]) }
        } else if target < source {
            // Area average: output i covers [i*scale, (i+1)*scale) of the source.
            let scale = Double(source) / Double(target)
            for i in 0..<target {
                let lower = Double(i) * scale, upper = Double(i + 1) * scale
                var taps: [(Int, Float)] = []
                var j = Int(lower.rounded(.down))
                while Double(j) < upper && j < source {
                    let overlap = min(upper, Double(j + 1)) - max(lower, Double(j))
                    if overlap > 1e-9 { taps.append((j, Float(overlap / scale))) }
                    j += 1
                }
                append(taps)
            }
        } else {
            // Bilinear: output centre i + 0.5 maps to source coordinate (i + 0.5) * scale - 0.5.
            let scale = Double(source) / Double(target)
            for i in 0..<target {
                let position = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
                let left = Int(position.rounded(.down))
                let fraction = position - Double(left)
                if left + 1 < source && fraction > 0 {
                    append([(left, Float(1 - fraction)), (left + 1, Float(fraction))])
                } else {
                    append([(left, 1)])
                }
            }
        }
    }

    func range(_ output: Int) -> Range<Int> { starts[output]..<starts[output + 1] }

    private mutating func append(_ taps: [(Int, Float)]) {
        for (index, weight) in taps {
            indices.append(index)
            weights.append(weight)
        }
        starts.append(indices.count)
    }
}
