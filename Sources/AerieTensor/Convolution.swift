import Dispatch

/// Geometry of a 2-D convolution on NHWC activations with explicit (possibly asymmetric) padding.
///
/// NHWC keeps a pixel's channels contiguous, which makes a 1×1 convolution one matrix product
/// over `(batch·height·width, channels)` and lets the depthwise kernel vectorise over channels.
public struct ConvolutionGeometry: Sendable, Equatable {
    public var batch: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var kernel: Int
    public var stride: Int
    /// Zero rows added above the input (the rest of the padding goes below).
    public var padTop: Int
    /// Zero columns added left of the input.
    public var padLeft: Int
    public var outputHeight: Int
    public var outputWidth: Int

    public init(batch: Int, inputHeight: Int, inputWidth: Int, kernel: Int, stride: Int,
                padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) {
        precondition(batch > 0 && inputHeight > 0 && inputWidth > 0, "empty convolution input")
        precondition(kernel > 0 && stride > 0 && padTop >= 0 && padLeft >= 0, "bad kernel, stride or padding")
        precondition(outputHeight > 0 && outputWidth > 0, "empty convolution output")
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernel = kernel
        self.stride = stride
        self.padTop = padTop
        self.padLeft = padLeft
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
    }

    /// TensorFlow's "SAME" padding: output `ceil(input / stride)`, the total padding split with
    /// the smaller half first (top/left), as EfficientNet's reference convolutions do.
    public static func same(batch: Int, height: Int, width: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
        let outH = (height + stride - 1) / stride
        let outW = (width + stride - 1) / stride
        let padH = max((outH - 1) * stride + kernel - height, 0)
        let padW = max((outW - 1) * stride + kernel - width, 0)
        return ConvolutionGeometry(batch: batch, inputHeight: height, inputWidth: width, kernel: kernel,
                                   stride: stride, padTop: padH / 2, padLeft: padW / 2,
                                   outputHeight: outH, outputWidth: outW)
    }

    /// Symmetric padding `pad` on every side, as PyTorch's `Conv2d(padding=pad)`.
    public static func symmetric(batch: Int, height: Int, width: Int, kernel: Int, stride: Int, pad: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputHeight: height, inputWidth: width, kernel: kernel, stride: stride,
                            padTop: pad, padLeft: pad,
                            outputHeight: (height + 2 * pad - kernel) / stride + 1,
                            outputWidth: (width + 2 * pad - kernel) / stride + 1)
    }

    /// Output pixels over the whole batch.
    public var outputPixels: Int { batch * outputHeight * outputWidth }
    /// Input pixels over the whole batch.
    public var inputPixels: Int { batch * inputHeight * inputWidth }
}

/// The non-linearity applied after a convolution's bias.
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    /// `min(max(x, 0), 6)`: EfficientNet-Lite's activation.
    case relu6

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .identity: x
        case .relu: max(x, 0)
        case .relu6: min(max(x, 0), 6)
        }
    }

    // `replacing(with:where:)` compiles to vector compares and blends; the generic
    // `pointwiseMin`/`pointwiseMax` were left as scalar loops.
    @inline(__always)
    func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity: x
        case .relu: x.replacing(with: 0, where: x .< 0)
        case .relu6:
            x.replacing(with: 0, where: x .< 0).replacing(with: 6, where: x .> 6)
        }
    }
}

/// Fast convolution kernels on NHWC float32 activations.
///
/// Each has a slow, obvious twin in ``ReferenceKernels`` that the tests compare it with.
/// Threading: the matrix products run on OpenBLAS's threads; the direct kernels split their rows
/// over ``Convolution/threads`` workers between BLAS calls, so the two never overlap.
public enum Convolution {
    /// Workers the direct (non-BLAS) kernels use: the same as OpenBLAS's thread count, so one
    /// knob (``BLAS/setThreads(_:)``) sets the engine's parallelism.
    public static var threads: Int { BLAS.threads }

    /// Runs `body(range)` over `0..<count` split into at most ``threads`` contiguous chunks.
    @inline(__always)
    static func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads, count / max(1, minimumChunk)))
        if workers == 1 {
            body(0..<count)
            return
        }
        // The workers write disjoint ranges of the output, so sharing `body` across them is safe
        // although Swift cannot prove it.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(value: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let begin = count * worker / workers
                let end = count * (worker + 1) / workers
                shared.value(begin..<end)
            }
        }
    }

    /// A 1×1 convolution: `out (P, cout) = act(in (P, cin) @ weight (cout, cin)ᵀ + bias [+ residual])`.
    ///
    /// - Parameters:
    ///   - residual: when given, `(P, cout)` values added after the bias and before the activation
    ///     (EfficientNet adds its skip connection after the projection, which has no activation).
    ///   - output: must not alias `input`; may alias `residual`.
    public static func pointwise(
        _ input: UnsafePointer<Float>, pixels: Int, inputChannels: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputChannels: Int,
        activation: Activation, residual: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        // in (P, cin) @ weightᵀ (cin, cout) -> out (P, cout)
        if let residual, UnsafePointer(output) != residual {
            output.update(from: residual, count: pixels * outputChannels)
            BLAS.sgemm(m: pixels, n: outputChannels, k: inputChannels, input, weight, transposeB: true, output, beta: 1)
        } else if residual != nil {
            BLAS.sgemm(m: pixels, n: outputChannels, k: inputChannels, input, weight, transposeB: true, output, beta: 1)
        } else {
            BLAS.sgemm(m: pixels, n: outputChannels, k: inputChannels, input, weight, transposeB: true, output)
        }
        addBias(output, rows: pixels, channels: outputChannels, bias: bias, activation: activation)
    }

    /// `x[r, c] = act(x[r, c] + bias[c])` for every row.
    public static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                               bias: UnsafePointer<Float>, activation: Activation) {
        let vectorEnd = channels & ~7
        parallelChunks(rows, minimumChunk: max(1, 16_384 / max(channels, 1))) { range in
            for r in range {
                let row = x + r * channels
                var c = 0
                while c < vectorEnd {
                    let raw = UnsafeMutableRawPointer(row + c)
                    let v = raw.loadUnaligned(as: SIMD8<Float>.self)
                        + UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Float>.self)
                    raw.storeBytes(of: activation.apply(v), as: SIMD8<Float>.self)
                    c += 8
                }
                while c < channels {
                    row[c] = activation.apply(row[c] + bias[c])
                    c += 1
                }
            }
        }
    }

    /// Lays out the receptive fields of a `k×k` convolution as rows: `(P, k·k·c)`, ordered
    /// `(ky, kx, channel)`, zeros where the window leaves the padded input.
    public static func im2col(_ input: UnsafePointer<Float>, channels: Int, geometry g: ConvolutionGeometry,
                              columns: UnsafeMutablePointer<Float>) {
        let rowLength = g.kernel * g.kernel * channels
        let rows = g.batch * g.outputHeight
        parallelChunks(rows) { range in
            for row in range {
                let n = row / g.outputHeight, oy = row % g.outputHeight
                for ox in 0..<g.outputWidth {
                    var dst = columns + ((row * g.outputWidth) + ox) * rowLength
                    for ky in 0..<g.kernel {
                        let iy = oy * g.stride + ky - g.padTop
                        for kx in 0..<g.kernel {
                            let ix = ox * g.stride + kx - g.padLeft
                            if iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth {
                                dst.update(from: input + ((n * g.inputHeight + iy) * g.inputWidth + ix) * channels,
                                           count: channels)
                            } else {
                                dst.update(repeating: 0, count: channels)
                            }
                            dst += channels
                        }
                    }
                }
            }
        }
    }

    /// A dense `k×k` convolution by im2col and one matrix product.
    ///
    /// - Parameters:
    ///   - residual: when given, `(P, cout)` values added before the bias and activation (a
    ///     ResNet block's shortcut); may alias `output`.
    ///   - weight: `(cout, k, k, cin)` row-major (PyTorch's `(cout, cin, k, k)` permuted at load).
    ///   - columns: scratch of `geometry.outputPixels · k·k·cin` floats.
    public static func dense(
        _ input: UnsafePointer<Float>, inputChannels: Int, geometry g: ConvolutionGeometry,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputChannels: Int,
        activation: Activation, residual: UnsafePointer<Float>? = nil,
        columns: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        im2col(input, channels: inputChannels, geometry: g, columns: columns)
        let k = g.kernel * g.kernel * inputChannels
        // columns (P, k·k·cin) @ weightᵀ (k·k·cin, cout) [+ residual] -> out (P, cout)
        if let residual {
            if UnsafePointer(output) != residual { output.update(from: residual, count: g.outputPixels * outputChannels) }
            BLAS.sgemm(m: g.outputPixels, n: outputChannels, k: k, columns, weight, transposeB: true, output, beta: 1)
        } else {
            BLAS.sgemm(m: g.outputPixels, n: outputChannels, k: k, columns, weight, transposeB: true, output)
        }
        addBias(output, rows: g.outputPixels, channels: outputChannels, bias: bias, activation: activation)
    }

    /// A depthwise `k×k` convolution (one filter per channel), with bias and activation fused.
    ///
    /// - Parameters:
    ///   - weight: `(k, k, c)` row-major, so that one tap's weights for all channels are contiguous.
    public static func depthwise(
        _ input: UnsafePointer<Float>, channels c: Int, geometry g: ConvolutionGeometry,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) {
        let rows = g.batch * g.outputHeight
        let vectorEnd = c & ~7
        parallelChunks(rows) { range in
            for row in range {
                let n = row / g.outputHeight, oy = row % g.outputHeight
                let iy0 = oy * g.stride - g.padTop
                let kyBegin = max(0, -iy0), kyEnd = min(g.kernel, g.inputHeight - iy0)
                let image = input + n * g.inputHeight * g.inputWidth * c
                let outRow = output + row * g.outputWidth * c
                var ox = 0
                while ox < g.outputWidth {
                    let ix0 = ox * g.stride - g.padLeft
                    // Four neighbouring pixels whose windows lie inside the row share each weight
                    // load (four accumulators fit the 16 SSE registers with the operands).
                    if ox + 3 < g.outputWidth, ix0 >= 0, ix0 + 3 * g.stride + g.kernel <= g.inputWidth {
                        let out = outRow + ox * c
                        let step = g.stride * c
                        var ch = 0
                        while ch < vectorEnd {
                            let b = UnsafeRawPointer(bias + ch).loadUnaligned(as: SIMD8<Float>.self)
                            var a0 = b, a1 = b, a2 = b, a3 = b
                            for ky in kyBegin..<kyEnd {
                                let src = image + ((iy0 + ky) * g.inputWidth + ix0) * c + ch
                                let w = weight + ky * g.kernel * c + ch
                                for kx in 0..<g.kernel {
                                    let k = UnsafeRawPointer(w + kx * c).loadUnaligned(as: SIMD8<Float>.self)
                                    let x = src + kx * c
                                    // Multiply then add: `addingProduct` becomes a libm `fmaf` call
                                    // per lane on CPUs the compiler cannot assume FMA for.
                                    a0 += UnsafeRawPointer(x).loadUnaligned(as: SIMD8<Float>.self) * k
                                    a1 += UnsafeRawPointer(x + step).loadUnaligned(as: SIMD8<Float>.self) * k
                                    a2 += UnsafeRawPointer(x + 2 * step).loadUnaligned(as: SIMD8<Float>.self) * k
                                    a3 += UnsafeRawPointer(x + 3 * step).loadUnaligned(as: SIMD8<Float>.self) * k
                                }
                            }
                            UnsafeMutableRawPointer(out + ch).storeBytes(of: activation.apply(a0), as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + c + ch).storeBytes(of: activation.apply(a1), as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + 2 * c + ch).storeBytes(of: activation.apply(a2), as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + 3 * c + ch).storeBytes(of: activation.apply(a3), as: SIMD8<Float>.self)
                            ch += 8
                        }
                        while ch < c {
                            for p in 0..<4 {
                                var acc = bias[ch]
                                for ky in kyBegin..<kyEnd {
                                    for kx in 0..<g.kernel {
                                        acc += image[((iy0 + ky) * g.inputWidth + ix0 + p * g.stride + kx) * c + ch]
                                            * weight[(ky * g.kernel + kx) * c + ch]
                                    }
                                }
                                out[p * c + ch] = activation.apply(acc)
                            }
                            ch += 1
                        }
                        ox += 4
                        continue
                    }
                    // One pixel, clipping its window at the borders.
                    let kxBegin = max(0, -ix0), kxEnd = min(g.kernel, g.inputWidth - ix0)
                    let out = outRow + ox * c
                    var ch = 0
                    while ch < vectorEnd {
                        var acc = UnsafeRawPointer(bias + ch).loadUnaligned(as: SIMD8<Float>.self)
                        for ky in kyBegin..<kyEnd {
                            let src = image + ((iy0 + ky) * g.inputWidth + ix0) * c + ch
                            let w = weight + ky * g.kernel * c + ch
                            for kx in kxBegin..<kxEnd {
                                let x = UnsafeRawPointer(src + kx * c).loadUnaligned(as: SIMD8<Float>.self)
                                let k = UnsafeRawPointer(w + kx * c).loadUnaligned(as: SIMD8<Float>.self)
                                acc += x * k
                            }
                        }
                        UnsafeMutableRawPointer(out + ch).storeBytes(of: activation.apply(acc), as: SIMD8<Float>.self)
                        ch += 8
                    }
                    while ch < c {
                        var acc = bias[ch]
                        for ky in kyBegin..<kyEnd {
                            for kx in kxBegin..<kxEnd {
                                acc += image[((iy0 + ky) * g.inputWidth + ix0 + kx) * c + ch]
                                    * weight[(ky * g.kernel + kx) * c + ch]
                            }
                        }
                        out[ch] = activation.apply(acc)
                        ch += 1
                    }
                    ox += 1
                }
            }
        }
    }

    /// The mean over each image's pixels: `(n, pixels, c) -> (n, c)`.
    public static func globalAveragePool(_ input: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int,
                                         output: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let out = output + n * channels
            out.update(repeating: 0, count: channels)
            for p in 0..<pixels {
                let src = input + (n * pixels + p) * channels
                for ch in 0..<channels { out[ch] += src[ch] }
            }
            let scale = 1 / Float(pixels)
            for ch in 0..<channels { out[ch] *= scale }
        }
    }
}

/// Carries a value across a concurrency boundary that the caller has proven safe by hand.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

extension Convolution {
    /// PyTorch's dense convolution weight `(cout, cin, k, k)` in the layout ``dense(_:inputChannels:geometry:weight:bias:outputChannels:activation:columns:output:)``
    /// takes: `(cout, k, k, cin)`.
    public static func denseWeightLayout(_ weight: Tensor) -> Tensor {
        precondition(weight.shape.count == 4 && weight.shape[2] == weight.shape[3], "expected (cout, cin, k, k), got \(weight.shape)")
        let (cout, cin, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        var out = Tensor(zeros: [cout, k, k, cin])
        for o in 0..<cout {
            for i in 0..<cin {
                for ky in 0..<k {
                    for kx in 0..<k {
                        out.data[((o * k + ky) * k + kx) * cin + i] = weight.data[((o * cin + i) * k + ky) * k + kx]
                    }
                }
            }
        }
        return out
    }

    /// PyTorch's depthwise weight `(c, 1, k, k)` in the layout ``depthwise(_:channels:geometry:weight:bias:activation:output:)``
    /// takes: `(k, k, c)`.
    public static func depthwiseWeightLayout(_ weight: Tensor) -> Tensor {
        precondition(weight.shape.count == 4 && weight.shape[1] == 1 && weight.shape[2] == weight.shape[3],
                     "expected (c, 1, k, k), got \(weight.shape)")
        let (c, k) = (weight.shape[0], weight.shape[2])
        var out = Tensor(zeros: [k, k, c])
        for ch in 0..<c {
            for t in 0..<(k * k) { out.data[t * c + ch] = weight.data[ch * k * k + t] }
        }
        return out
    }
}
