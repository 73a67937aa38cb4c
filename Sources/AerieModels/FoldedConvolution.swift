import AerieTensor

/// One convolution with its BatchNorm folded in, in the layout its kernel reads.
struct FoldedConvolution: Sendable {
    /// Pointwise `(cout, cin)`, dense `(cout, k, k, cin)` or depthwise `(k, k, c)`.
    var weight: [Float]
    var bias: [Float]
    var inputChannels: Int
    var outputChannels: Int

    /// Folds `BatchNorm(conv(x))` into `conv'(x)`: `w' = w·γ/√(σ²+ε)` per output channel and
    /// `b' = β − μ·γ/√(σ²+ε)`, computed in Double.
    static func load(_ file: SafeTensorsFile, conv: String, bn: String, epsilon: Double, layout: Layout) throws -> FoldedConvolution {
        let w = try file.tensor("\(conv).weight")
        let gamma = try file.tensor("\(bn).weight").data, beta = try file.tensor("\(bn).bias").data
        let mean = try file.tensor("\(bn).running_mean").data, variance = try file.tensor("\(bn).running_var").data
        let cout = w.shape[0]
        let perChannel = w.count / cout
        var scaled = w
        var bias = [Float](repeating: 0, count: cout)
        for o in 0..<cout {
            let scale = Double(gamma[o]) / (Double(variance[o]) + epsilon).squareRoot()
            for i in 0..<perChannel { scaled.data[o * perChannel + i] = Float(Double(w.data[o * perChannel + i]) * scale) }
            bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
        }
        switch layout {
        case .pointwise:
            return FoldedConvolution(weight: scaled.data, bias: bias, inputChannels: w.shape[1], outputChannels: cout)
        case .dense:
            return FoldedConvolution(weight: Convolution.denseWeightLayout(scaled).data, bias: bias,
                                     inputChannels: w.shape[1], outputChannels: cout)
        case .depthwise:
            return FoldedConvolution(weight: Convolution.depthwiseWeightLayout(scaled).data, bias: bias,
                                     inputChannels: cout, outputChannels: cout)
        }
    }

    enum Layout { case pointwise, dense, depthwise }

    func pointwise(_ input: UnsafePointer<Float>, pixels: Int, activation: Activation,
                   residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                guard let w = w.baseAddress, let b = b.baseAddress else { return }
                Convolution.pointwise(input, pixels: pixels, inputChannels: inputChannels, weight: w, bias: b,
                                      outputChannels: outputChannels, activation: activation, residual: residual, output: output)
            }
        }
    }

    func dense(_ input: UnsafePointer<Float>, geometry: ConvolutionGeometry, activation: Activation,
               residual: UnsafePointer<Float>? = nil,
               columns: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                guard let w = w.baseAddress, let b = b.baseAddress else { return }
                Convolution.dense(input, inputChannels: inputChannels, geometry: geometry, weight: w, bias: b,
                                  outputChannels: outputChannels, activation: activation, residual: residual,
                                  columns: columns, output: output)
            }
        }
    }

    func depthwise(_ input: UnsafePointer<Float>, channels: Int, geometry: ConvolutionGeometry, output: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                guard let w = w.baseAddress, let b = b.baseAddress else { return }
                Convolution.depthwise(input, channels: channels, geometry: geometry, weight: w, bias: b,
                                      activation: .relu6, output: output)
            }
        }
    }
}
