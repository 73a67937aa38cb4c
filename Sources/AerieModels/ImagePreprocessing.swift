import AerieImage
import AerieTensor

/// Resampling exactly as Pillow's `Image.resize` does it for 8-bit RGB images.
///
/// The reference pipelines resize with PIL, so Aerie reproduces its arithmetic rather than any
/// resampler: separable filtering (horizontal pass first, rounded to 8 bits, then vertical),
/// a filter support widened by the scale when shrinking (antialiasing), weights normalised per
/// output pixel and quantised to 22-bit fixed point, and clamping to 0…255. Alpha is dropped
/// first, as PIL's `convert("RGB")` does.
public enum PILResampler {
    /// The filters the reference transforms use.
    public enum Filter: Sendable {
        /// Keys cubic with a = −0.5, support 2 (PIL's `BICUBIC`).
        case bicubic
        /// Triangle, support 1 (PIL's `BILINEAR`).
        case bilinear

        var support: Double {
            switch self {
            case .bicubic: 2
            case .bilinear: 1
            }
        }

        func weight(_ x: Double) -> Double {
            let x = abs(x)
            switch self {
            case .bicubic:
                let a = -0.5
                if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
                return 0
            case .bilinear:
                return x < 1 ? 1 - x : 0
            }
        }
    }

    static let precisionBits = 32 - 8 - 2

    /// Per output index: the first input index, the number of taps, and the fixed-point weights.
    struct Coefficients {
        var first: [Int]
        var count: [Int]
        var taps: Int
        var weights: [Int32]
    }

    static func coefficients(inputSize: Int, outputSize: Int, filter: Filter) -> Coefficients {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        var result = Coefficients(first: [], count: [], taps: taps, weights: [Int32](repeating: 0, count: outputSize * taps))
        var k = [Double](repeating: 0, count: taps)
        for xx in 0..<outputSize {
            let center = (Double(xx) + 0.5) * scale
            let inverse = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // Int() truncates as C's (int) does
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverse)
                k[x] = w
                total += w
            }
            for x in 0..<xmax {
                let normalised = total != 0 ? k[x] / total : k[x]
                let scaled = normalised * Double(1 << precisionBits)
                result.weights[xx * taps + x] = Int32(normalised < 0 ? scaled - 0.5 : scaled + 0.5)
            }
            result.first.append(xmin)
            result.count.append(xmax)
        }
        return result
    }

    @inline(__always)
    static func clip8(_ accumulator: Int) -> UInt8 {
        let value = accumulator >> precisionBits
        return UInt8(clamping: value)
    }

    /// Resizes `image` to `width × height`, returning packed RGB bytes (`height · width · 3`).
    public static func resizeRGB(_ image: RGBAImage, width: Int, height: Int, filter: Filter) -> [UInt8] {
        precondition(width > 0 && height > 0, "target size must be positive, got \(width)x\(height)")
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for p in 0..<(image.width * image.height) {
            rgb[p * 3] = image.pixels[p * 4]
            rgb[p * 3 + 1] = image.pixels[p * 4 + 1]
            rgb[p * 3 + 2] = image.pixels[p * 4 + 2]
        }
        var current = rgb, currentWidth = image.width
        let half = 1 << (precisionBits - 1)
        if width != image.width {
            let c = coefficients(inputSize: image.width, outputSize: width, filter: filter)
            var out = [UInt8](repeating: 0, count: width * image.height * 3)
            for y in 0..<image.height {
                for xx in 0..<width {
                    var acc = (half, half, half)
                    let first = c.first[xx]
                    for t in 0..<c.count[xx] {
                        let w = Int(c.weights[xx * c.taps + t])
                        let i = (y * currentWidth + first + t) * 3
                        acc.0 += Int(current[i]) * w
                        acc.1 += Int(current[i + 1]) * w
                        acc.2 += Int(current[i + 2]) * w
                    }
                    let o = (y * width + xx) * 3
                    out[o] = clip8(acc.0); out[o + 1] = clip8(acc.1); out[o + 2] = clip8(acc.2)
                }
            }
            current = out
            currentWidth = width
        }
        if height != image.height {
            let c = coefficients(inputSize: image.height, outputSize: height, filter: filter)
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for yy in 0..<height {
                let first = c.first[yy]
                for x in 0..<width {
                    var acc = (half, half, half)
                    for t in 0..<c.count[yy] {
                        let w = Int(c.weights[yy * c.taps + t])
                        let i = ((first + t) * currentWidth + x) * 3
                        acc.0 += Int(current[i]) * w
                        acc.1 += Int(current[i + 1]) * w
                        acc.2 += Int(current[i + 2]) * w
                    }
                    let o = (yy * width + x) * 3
                    out[o] = clip8(acc.0); out[o + 1] = clip8(acc.1); out[o + 2] = clip8(acc.2)
                }
            }
            current = out
        }
        return current
    }
}

/// A reference model's input transform: shorter side resized to `resolution` and centre crop to
/// a square (or, with `keepAspect` false, a plain resize to the square), `pixel / 255`, then
/// per-channel mean and standard deviation. Produces NHWC float32.
public struct ImagePreprocessor: Sendable, Equatable {
    public var resolution: Int
    public var mean: SIMD3<Float>
    public var standardDeviation: SIMD3<Float>
    public var filter: PILResampler.Filter
    /// Resize the shorter side and centre-crop (true), or squash to the square (false).
    public var keepAspect: Bool

    /// ImageNet's channel statistics, which the EfficientNet-Lite reference package normalises with.
    public static func imageNet(resolution: Int) -> ImagePreprocessor {
        ImagePreprocessor(resolution: resolution, mean: SIMD3(0.485, 0.456, 0.406),
                          standardDeviation: SIMD3(0.229, 0.224, 0.225), filter: .bicubic)
    }

    public init(resolution: Int, mean: SIMD3<Float>, standardDeviation: SIMD3<Float>, filter: PILResampler.Filter,
                keepAspect: Bool = true) {
        precondition(resolution > 0, "resolution must be positive")
        self.resolution = resolution
        self.keepAspect = keepAspect
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.filter = filter
    }

    /// The resized size torchvision's `Resize(resolution)` picks: the shorter side becomes
    /// `resolution`, the longer keeps the aspect ratio (truncated).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (resolution, Int(Double(resolution * height) / Double(width)))
        }
        return (Int(Double(resolution * width) / Double(height)), resolution)
    }

    /// The resized, centre-cropped RGB bytes (`resolution² · 3`).
    public func croppedRGB(_ image: RGBAImage) -> [UInt8] {
        if !keepAspect {
            return PILResampler.resizeRGB(image, width: resolution, height: resolution, filter: filter)
        }
        let (w, h) = resizedSize(width: image.width, height: image.height)
        let resized = PILResampler.resizeRGB(image, width: w, height: h, filter: filter)
        // torchvision's CenterCrop: int(round((size - crop) / 2)), Python rounding half to even.
        let top = Int((Double(h - resolution) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - resolution) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](repeating: 0, count: resolution * resolution * 3)
        for y in 0..<resolution {
            let src = ((top + y) * w + left) * 3
            out.replaceSubrange(y * resolution * 3 ..< (y + 1) * resolution * 3,
                                with: resized[src ..< src + resolution * 3])
        }
        return out
    }

    /// Writes image `image` as normalised NHWC floats (`resolution² · 3`) at `destination`.
    public func write(_ image: RGBAImage, to destination: UnsafeMutablePointer<Float>) {
        let rgb = croppedRGB(image)
        for p in 0..<(resolution * resolution) {
            for c in 0..<3 {
                // The same float32 operations as ToTensor then Normalize.
                let x = Float(rgb[p * 3 + c]) / 255
                destination[p * 3 + c] = (x - mean[c]) / standardDeviation[c]
            }
        }
    }

    /// A batch as one `(n, resolution, resolution, 3)` tensor.
    public func tensor(_ images: [RGBAImage]) -> Tensor {
        var out = Tensor(zeros: [images.count, resolution, resolution, 3])
        let stride = resolution * resolution * 3
        out.data.withUnsafeMutableBufferPointer { buffer in
            for (i, image) in images.enumerated() {
                if let base = buffer.baseAddress { write(image, to: base + i * stride) }
            }
        }
        return out
    }
}
