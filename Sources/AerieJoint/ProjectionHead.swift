import AerieCore
import AerieTensor
import Foundation

/// The shape of a projection head.
public enum HeadKind: String, Codable, Sendable, CaseIterable {
    /// `y = W x + b`.
    case linear
    /// `y = W2 act(W1 x + b1) + b2`, optionally plus a linear skip path `Ws x`.
    case mlp
}

/// The hidden non-linearity of an `mlp` head.
public enum HeadActivation: String, Codable, Sendable, CaseIterable {
    case relu
    /// GELU, tanh approximation.
    case gelu
}

/// Hyper-parameters that fix a head's parameter shapes and forward pass.
public struct HeadConfiguration: Codable, Sendable, Equatable {
    public var kind: HeadKind
    public var inputDimension: Int
    public var outputDimension: Int
    /// Width of the hidden layer (`mlp` only).
    public var hiddenDimension: Int
    public var activation: HeadActivation
    /// Adds a linear skip path `Ws x` to an `mlp` head, so it starts as a linear map plus a correction.
    public var residual: Bool
    /// Probability of zeroing a hidden unit while training (`mlp` only; inverted dropout).
    public var dropout: Float
    /// Probability of zeroing a standardised input feature while training (inverted dropout).
    /// Frozen encoder features of a few thousand images overfit a head within a few epochs;
    /// dropping input features is the regulariser that helps most (see docs/training-log.md).
    public var inputDropout: Float

    public init(
        kind: HeadKind, inputDimension: Int, outputDimension: Int, hiddenDimension: Int = 1024,
        activation: HeadActivation = .gelu, residual: Bool = false, dropout: Float = 0, inputDropout: Float = 0
    ) {
        precondition(inputDimension > 0 && outputDimension > 0 && hiddenDimension > 0, "head dimensions must be positive")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
        precondition(inputDropout >= 0 && inputDropout < 1, "input dropout must be in [0, 1)")
        self.kind = kind
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.hiddenDimension = hiddenDimension
        self.activation = activation
        self.residual = residual
        self.dropout = dropout
        self.inputDropout = inputDropout
    }

    private enum CodingKeys: String, CodingKey {
        case kind, inputDimension, outputDimension, hiddenDimension, activation, residual, dropout, inputDropout
    }

    /// Heads saved before input dropout existed have none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let input = try c.decode(Int.self, forKey: .inputDimension), output = try c.decode(Int.self, forKey: .outputDimension)
        let hidden = try c.decode(Int.self, forKey: .hiddenDimension), dropout = try c.decode(Float.self, forKey: .dropout)
        let inputDropout = try c.decodeIfPresent(Float.self, forKey: .inputDropout) ?? 0
        guard input > 0, output > 0, hidden > 0, (0..<1).contains(dropout), (0..<1).contains(inputDropout) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "head dimensions or dropout out of range"))
        }
        self.init(kind: try c.decode(HeadKind.self, forKey: .kind), inputDimension: input, outputDimension: output,
                  hiddenDimension: hidden, activation: try c.decode(HeadActivation.self, forKey: .activation),
                  residual: try c.decode(Bool.self, forKey: .residual), dropout: dropout, inputDropout: inputDropout)
    }

    /// Every trainable parameter's name and shape, in a fixed order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch kind {
        case .linear:
            return [("w", [outputDimension, inputDimension]), ("b", [outputDimension])]
        case .mlp:
            var shapes: [(String, [Int])] = [
                ("w1", [hiddenDimension, inputDimension]), ("b1", [hiddenDimension]),
                ("w2", [outputDimension, hiddenDimension]), ("b2", [outputDimension]),
            ]
            if residual { shapes.append(("ws", [outputDimension, inputDimension])) }
            return shapes
        }
    }
}

/// A projection head from encoder features into the joint space (before L2 normalisation).
///
/// Inputs are first standardised with fixed per-feature statistics of the training features
/// (`(x - mean) * scale`): pooled CNN features are non-negative with very unequal scales, and
/// standardising them lets one learning rate suit every input.
public struct ProjectionHead: Sendable {
    public let configuration: HeadConfiguration
    /// Per-feature mean subtracted from inputs (not trained).
    public var inputMean: [Float]
    /// Per-feature factor applied after subtracting the mean (not trained).
    public var inputScale: [Float]
    /// Trainable parameters by name (see ``HeadConfiguration/parameterShapes``); matrices are
    /// stored `(out, in)` like a PyTorch `Linear`.
    public var parameters: [String: [Float]]

    /// A freshly initialised head: weights ~ N(0, 1/fan_in) (scaled for ReLU-family hidden
    /// layers), biases zero, identity standardisation.
    public init(configuration: HeadConfiguration, generator: inout SplitMix64) {
        self.configuration = configuration
        inputMean = [Float](repeating: 0, count: configuration.inputDimension)
        inputScale = [Float](repeating: 1, count: configuration.inputDimension)
        var parameters: [String: [Float]] = [:]
        for (name, shape) in configuration.parameterShapes {
            let count = shape.reduce(1, *)
            if shape.count == 1 {
                parameters[name] = [Float](repeating: 0, count: count)
            } else {
                let fanIn = Float(shape[1])
                var std = (1 / fanIn).squareRoot()
                if name == "w1" { std *= Float(2).squareRoot() }
                if name == "ws" || (configuration.residual && name == "w2") { std *= Float(0.5).squareRoot() }
                parameters[name] = (0..<count).map { _ in generator.nextGaussian() * std }
            }
        }
        self.parameters = parameters
    }

    /// A head from stored values, checking every shape.
    public init(
        configuration: HeadConfiguration, inputMean: [Float], inputScale: [Float], parameters: [String: [Float]]
    ) throws {
        guard inputMean.count == configuration.inputDimension, inputScale.count == configuration.inputDimension else {
            throw JointError.parameterShape(name: "input statistics", expected: [configuration.inputDimension],
                                            actual: [inputMean.count])
        }
        for (name, shape) in configuration.parameterShapes {
            guard let values = parameters[name] else { throw JointError.missingParameter(name: name) }
            guard values.count == shape.reduce(1, *) else {
                throw JointError.parameterShape(name: name, expected: shape, actual: [values.count])
            }
        }
        self.configuration = configuration
        self.inputMean = inputMean
        self.inputScale = inputScale
        self.parameters = parameters
    }

    /// Sets the standardisation to the per-feature mean and inverse standard deviation of `features`.
    public mutating func standardize(using features: Tensor) {
        let d = configuration.inputDimension
        precondition(features.shape.count == 2 && features.shape[1] == d, "features must be [n, \(d)]")
        let n = features.shape[0]
        guard n > 1 else { return }
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for c in 0..<d {
                let v = Double(features.data[r * d + c])
                mean[c] += v
                square[c] += v * v
            }
        }
        for c in 0..<d {
            let m = mean[c] / Double(n)
            let variance = max(square[c] / Double(n) - m * m, 0)
            inputMean[c] = Float(m)
            inputScale[c] = Float(1 / (variance + 1e-6).squareRoot())
        }
    }

    /// What the forward pass keeps for the backward pass.
    public struct Activations: Sendable {
        var count: Int
        var input: [Float]          // standardised x (n, in)
        var preActivation: [Float]  // (n, hidden), mlp only
        var hidden: [Float]         // after activation and dropout (n, hidden), mlp only
        var dropoutMask: [Float]    // (n, hidden) of 0 or 1/(1-p), empty without dropout
    }

    /// Forward pass on `x` `(n, in)`: returns `y` `(n, out)` and the activations for ``backward(_:outputGradient:)``.
    ///
    /// - Parameter generator: when given and the head has dropout, dropout is applied (training).
    public func forward(_ x: [Float], count n: Int, generator: inout SplitMix64?) -> (output: [Float], activations: Activations) {
        let c = configuration
        precondition(x.count == n * c.inputDimension, "forward: input has \(x.count) values, expected \(n) × \(c.inputDimension)")
        var input = x
        for r in 0..<n {
            let base = r * c.inputDimension
            for j in 0..<c.inputDimension { input[base + j] = (input[base + j] - inputMean[j]) * inputScale[j] }
        }
        if c.inputDropout > 0, var g = generator {
            // The dropped input is what the first layer saw, so the backward pass uses it as is.
            let keep = 1 / (1 - c.inputDropout)
            for i in input.indices { input[i] *= g.nextUnitFloat() < c.inputDropout ? 0 : keep }
            generator = g
        }
        switch c.kind {
        case .linear:
            // x (n,in) @ W (out,in)^T -> (n,out)
            var y = Matrix.multiplyTransposed(input, param("w"), m: n, n: c.outputDimension, k: c.inputDimension)
            addBias(&y, param("b"), rows: n)
            return (y, Activations(count: n, input: input, preActivation: [], hidden: [], dropoutMask: []))
        case .mlp:
            // x (n,in) @ W1 (hidden,in)^T -> (n,hidden)
            var pre = Matrix.multiplyTransposed(input, param("w1"), m: n, n: c.hiddenDimension, k: c.inputDimension)
            addBias(&pre, param("b1"), rows: n)
            var hidden = pre.map { activate($0) }
            var mask: [Float] = []
            if c.dropout > 0, var g = generator {
                let keep = 1 / (1 - c.dropout)
                mask = (0..<hidden.count).map { _ in g.nextUnitFloat() < c.dropout ? 0 : keep }
                for i in hidden.indices { hidden[i] *= mask[i] }
                generator = g
            }
            // h (n,hidden) @ W2 (out,hidden)^T -> (n,out)
            var y = Matrix.multiplyTransposed(hidden, param("w2"), m: n, n: c.outputDimension, k: c.hiddenDimension)
            addBias(&y, param("b2"), rows: n)
            if c.residual {
                // x (n,in) @ Ws (out,in)^T -> (n,out)
                let skip = Matrix.multiplyTransposed(input, param("ws"), m: n, n: c.outputDimension, k: c.inputDimension)
                for i in y.indices { y[i] += skip[i] }
            }
            return (y, Activations(count: n, input: input, preActivation: pre, hidden: hidden, dropoutMask: mask))
        }
    }

    /// Forward pass without dropout.
    public func forward(_ x: [Float], count n: Int) -> [Float] {
        var none: SplitMix64? = nil
        return forward(x, count: n, generator: &none).output
    }

    /// Gradients of the parameters given `dL/dy` `(n, out)`. Encoders are frozen, so no input gradient.
    public func backward(_ a: Activations, outputGradient dy: [Float]) -> [String: [Float]] {
        let c = configuration, n = a.count
        precondition(dy.count == n * c.outputDimension, "backward: output gradient has the wrong size")
        var grads: [String: [Float]] = [:]
        switch c.kind {
        case .linear:
            // dW (out,in) = dy (n,out)^T @ x (n,in)
            var dw = [Float](repeating: 0, count: c.outputDimension * c.inputDimension)
            Matrix.multiplyFirstTransposed(dy, a.input, m: c.outputDimension, n: c.inputDimension, k: n, into: &dw)
            grads["w"] = dw
            grads["b"] = columnSums(dy, rows: n, columns: c.outputDimension)
        case .mlp:
            // dW2 (out,hidden) = dy^T @ h
            var dw2 = [Float](repeating: 0, count: c.outputDimension * c.hiddenDimension)
            Matrix.multiplyFirstTransposed(dy, a.hidden, m: c.outputDimension, n: c.hiddenDimension, k: n, into: &dw2)
            grads["w2"] = dw2
            grads["b2"] = columnSums(dy, rows: n, columns: c.outputDimension)
            // dh (n,hidden) = dy (n,out) @ W2 (out,hidden)
            var dh = Matrix.multiply(dy, param("w2"), m: n, n: c.hiddenDimension, k: c.outputDimension)
            for i in dh.indices {
                if !a.dropoutMask.isEmpty { dh[i] *= a.dropoutMask[i] }
                dh[i] *= activationDerivative(a.preActivation[i])
            }
            // dW1 (hidden,in) = dpre^T @ x
            var dw1 = [Float](repeating: 0, count: c.hiddenDimension * c.inputDimension)
            Matrix.multiplyFirstTransposed(dh, a.input, m: c.hiddenDimension, n: c.inputDimension, k: n, into: &dw1)
            grads["w1"] = dw1
            grads["b1"] = columnSums(dh, rows: n, columns: c.hiddenDimension)
            if c.residual {
                var dws = [Float](repeating: 0, count: c.outputDimension * c.inputDimension)
                Matrix.multiplyFirstTransposed(dy, a.input, m: c.outputDimension, n: c.inputDimension, k: n, into: &dws)
                grads["ws"] = dws
            }
        }
        return grads
    }

    private func param(_ name: String) -> [Float] {
        guard let values = parameters[name] else {
            preconditionFailure("head of kind \(configuration.kind) has no parameter \(name)")
        }
        return values
    }

    private func addBias(_ y: inout [Float], _ b: [Float], rows: Int) {
        let width = b.count
        for r in 0..<rows { for j in 0..<width { y[r * width + j] += b[j] } }
    }

    private func columnSums(_ m: [Float], rows: Int, columns: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: columns)
        for r in 0..<rows { for j in 0..<columns { sums[j] += m[r * columns + j] } }
        return sums
    }

    private static let geluK = Float((2 / Double.pi).squareRoot())

    @inline(__always) private func activate(_ x: Float) -> Float {
        switch configuration.activation {
        case .relu: return max(x, 0)
        case .gelu:
            let t = tanh(Self.geluK * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + t)
        }
    }

    @inline(__always) private func activationDerivative(_ x: Float) -> Float {
        switch configuration.activation {
        case .relu: return x > 0 ? 1 : 0
        case .gelu:
            let u = Self.geluK * (x + 0.044715 * x * x * x)
            let t = tanh(u)
            let du = Self.geluK * (1 + 3 * 0.044715 * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        }
    }
}
