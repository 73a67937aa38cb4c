import AerieCore
import Testing
@testable import AerieTensor
import AerieTestSupport

func randomTensor(_ shape: [Int], using rng: inout SplitMix64, scale: Float = 1) -> Tensor {
    Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &rng) })
}

/// Largest elementwise difference; the fast kernels sum in float, the twins in double.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    return zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
}

/// Float32 accumulation over at most a few hundred terms of size ≤ 1.
let kernelTolerance: Float = 1e-4

@Suite("Convolution kernels against their reference twins", .serialized)
struct ConvolutionTests {
    @Test("SAME geometry matches TensorFlow's rule", arguments: [
        // (size, kernel, stride, expected output, expected pad before)
        (224, 3, 2, 112, 0), (112, 3, 1, 112, 1), (56, 5, 2, 28, 1), (65, 5, 2, 33, 2), (33, 3, 2, 17, 1), (17, 5, 1, 17, 2),
    ])
    func sameGeometry(_ c: (Int, Int, Int, Int, Int)) {
        let g = ConvolutionGeometry.same(batch: 1, height: c.0, width: c.0, kernel: c.1, stride: c.2)
        #expect(g.outputHeight == c.3 && g.outputWidth == c.3)
        #expect(g.padTop == c.4 && g.padLeft == c.4)
    }

    @Test("depthwise matches the grouped reference", arguments: 0..<24)
    func depthwise(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        let batch = Int.random(in: 1...2, using: &rng)
        let h = Int.random(in: 1...11, using: &rng), w = Int.random(in: 1...23, using: &rng)  // wide enough for the 4-pixel path
        let c = [3, 8, 13, 24, 35][seed % 5]
        let k = seed % 2 == 0 ? 3 : 5
        let stride = (seed / 2) % 2 + 1
        let g = ConvolutionGeometry.same(batch: batch, height: h, width: w, kernel: k, stride: stride)
        let input = randomTensor([batch, h, w, c], using: &rng)
        let weight = randomTensor([c, 1, k, k], using: &rng)
        let bias = randomTensor([c], using: &rng)
        let activation: Activation = seed % 3 == 0 ? .identity : .relu6
        let padBottom = (g.outputHeight - 1) * stride + k - h - g.padTop
        let padRight = (g.outputWidth - 1) * stride + k - w - g.padLeft
        let expected = ReferenceKernels.conv2d(
            input, weight: weight, bias: bias, stride: stride,
            padding: (g.padTop, g.padLeft, max(padBottom, 0), max(padRight, 0)), groups: c, activation: activation)
        let laid = Convolution.depthwiseWeightLayout(weight)
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            var out = Tensor(zeros: [batch, g.outputHeight, g.outputWidth, c])
            input.data.withUnsafeBufferPointer { x in
                laid.data.withUnsafeBufferPointer { wt in
                    bias.data.withUnsafeBufferPointer { b in
                        out.data.withUnsafeMutableBufferPointer { o in
                            Convolution.depthwise(x.baseAddress!, channels: c, geometry: g, weight: wt.baseAddress!,
                                                  bias: b.baseAddress!, activation: activation, output: o.baseAddress!)
                        }
                    }
                }
            }
            #expect(maxAbsDifference(out, expected) < kernelTolerance, "seed \(seed), threads \(threads)")
        }
        BLAS.setThreads(1)
    }

    @Test("dense im2col convolution matches the reference", arguments: 0..<8)
    func dense(seed: Int) {
        var rng = SplitMix64(seed: UInt64(100 + seed))
        let batch = Int.random(in: 1...2, using: &rng)
        let h = Int.random(in: 2...12, using: &rng), w = Int.random(in: 2...12, using: &rng)
        let cin = [3, 4, 7][seed % 3], cout = Int.random(in: 1...20, using: &rng)
        let k = [1, 3, 5, 7][seed % 4], stride = seed % 2 + 1
        let g = seed < 4
            ? ConvolutionGeometry.same(batch: batch, height: h, width: w, kernel: k, stride: stride)
            : ConvolutionGeometry.symmetric(batch: batch, height: h + k, width: w + k, kernel: k, stride: stride, pad: k / 2)
        let input = randomTensor([batch, g.inputHeight, g.inputWidth, cin], using: &rng)
        let weight = randomTensor([cout, cin, k, k], using: &rng)
        let bias = randomTensor([cout], using: &rng)
        let padBottom = (g.outputHeight - 1) * stride + k - g.inputHeight - g.padTop
        let padRight = (g.outputWidth - 1) * stride + k - g.inputWidth - g.padLeft
        var expected = ReferenceKernels.conv2d(
            input, weight: weight, bias: bias, stride: stride,
            padding: (g.padTop, g.padLeft, max(padBottom, 0), max(padRight, 0)), groups: 1, activation: .identity)
        #expect(expected.shape == [batch, g.outputHeight, g.outputWidth, cout])
        // Odd seeds add a shortcut before the ReLU, as a ResNet block does.
        let residual = randomTensor(expected.shape, using: &rng)
        for i in expected.data.indices {
            expected.data[i] = max(expected.data[i] + (seed % 2 == 1 ? residual.data[i] : 0), 0)
        }
        let laid = Convolution.denseWeightLayout(weight)
        var columns = [Float](repeating: .nan, count: g.outputPixels * k * k * cin)
        var out = Tensor(zeros: expected.shape)
        input.data.withUnsafeBufferPointer { x in
            laid.data.withUnsafeBufferPointer { wt in
                bias.data.withUnsafeBufferPointer { b in
                    columns.withUnsafeMutableBufferPointer { col in
                        out.data.withUnsafeMutableBufferPointer { o in
                            residual.data.withUnsafeBufferPointer { r in
                                Convolution.dense(x.baseAddress!, inputChannels: cin, geometry: g, weight: wt.baseAddress!,
                                                  bias: b.baseAddress!, outputChannels: cout, activation: .relu,
                                                  residual: seed % 2 == 1 ? r.baseAddress! : nil,
                                                  columns: col.baseAddress!, output: o.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        #expect(maxAbsDifference(out, expected) < kernelTolerance, "seed \(seed)")
    }

    @Test("pointwise with residual matches a 1×1 reference plus the skip", arguments: 0..<6)
    func pointwise(seed: Int) {
        var rng = SplitMix64(seed: UInt64(200 + seed))
        let (batch, h, w) = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...6, using: &rng), Int.random(in: 1...6, using: &rng))
        let cin = Int.random(in: 1...40, using: &rng), cout = Int.random(in: 1...40, using: &rng)
        let input = randomTensor([batch, h, w, cin], using: &rng)
        let weight = randomTensor([cout, cin, 1, 1], using: &rng)
        let bias = randomTensor([cout], using: &rng)
        let residual = randomTensor([batch, h, w, cout], using: &rng)
        var expected = ReferenceKernels.conv2d(input, weight: weight, bias: bias, stride: 1,
                                               padding: (0, 0, 0, 0), groups: 1, activation: .identity)
        for i in expected.data.indices { expected.data[i] += residual.data[i] }
        let pixels = batch * h * w
        // Once into a fresh buffer, once in place over the residual (as the encoder does).
        var fresh = Tensor(zeros: expected.shape)
        var inPlace = residual
        input.data.withUnsafeBufferPointer { x in
            weight.data.withUnsafeBufferPointer { wt in
                bias.data.withUnsafeBufferPointer { b in
                    residual.data.withUnsafeBufferPointer { r in
                        fresh.data.withUnsafeMutableBufferPointer { o in
                            Convolution.pointwise(x.baseAddress!, pixels: pixels, inputChannels: cin, weight: wt.baseAddress!,
                                                  bias: b.baseAddress!, outputChannels: cout, activation: .identity,
                                                  residual: r.baseAddress!, output: o.baseAddress!)
                        }
                    }
                    inPlace.data.withUnsafeMutableBufferPointer { o in
                        Convolution.pointwise(x.baseAddress!, pixels: pixels, inputChannels: cin, weight: wt.baseAddress!,
                                              bias: b.baseAddress!, outputChannels: cout, activation: .identity,
                                              residual: UnsafePointer(o.baseAddress!), output: o.baseAddress!)
                    }
                }
            }
        }
        #expect(maxAbsDifference(fresh, expected) < kernelTolerance, "seed \(seed)")
        #expect(maxAbsDifference(inPlace, expected) < kernelTolerance, "seed \(seed)")
    }

    @Test("global average pooling matches the reference", arguments: 0..<4)
    func pool(seed: Int) {
        var rng = SplitMix64(seed: UInt64(300 + seed))
        let input = randomTensor([Int.random(in: 1...3, using: &rng), Int.random(in: 1...9, using: &rng),
                                  Int.random(in: 1...9, using: &rng), Int.random(in: 1...30, using: &rng)], using: &rng)
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        var out = Tensor(zeros: [n, c])
        input.data.withUnsafeBufferPointer { x in
            out.data.withUnsafeMutableBufferPointer { o in
                Convolution.globalAveragePool(x.baseAddress!, batch: n, pixels: h * w, channels: c, output: o.baseAddress!)
            }
        }
        #expect(maxAbsDifference(out, ReferenceKernels.globalAveragePool(input)) < 1e-6)
    }
}
