/// A dense float32 tensor in row-major (C) order.
///
/// Values live in a Swift array so tensors are value types and `Sendable`; kernels take
/// `withUnsafeBufferPointer`/`withUnsafeMutableBufferPointer` views of `data`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var data: [Float]

    /// Wraps values with a shape.
    ///
    /// - Precondition: `data.count` equals the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(data.count == shape.reduce(1, *),
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// The number of values.
    public var count: Int { data.count }

    /// The same values under another shape with the same number of elements.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }
}

extension Tensor {
    /// Matrices `(n, dᵢ)` side by side as one `(n, Σ dᵢ)` matrix: row r is each part's row r, in
    /// order (concatenated encoders' features, a training set's backbones).
    /// - Precondition: every part is a matrix with the same number of rows.
    public static func concatenatingColumns(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0, 0]) }
        guard parts.count > 1 else { return first }
        let n = first.shape[0]
        precondition(parts.allSatisfy { $0.shape.count == 2 && $0.shape[0] == n }, "parts must be matrices with \(n) rows")
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        var out = [Float]()
        out.reserveCapacity(n * width)
        for r in 0..<n {
            for p in parts { out.append(contentsOf: p.data[r * p.shape[1] ..< (r + 1) * p.shape[1]]) }
        }
        return Tensor(shape: [n, width], data: out)
    }

    /// The rows `indices` of a matrix, in that order.
    public func rows(_ indices: [Int]) -> Tensor {
        precondition(shape.count == 2, "rows(_:) needs a matrix")
        let d = shape[1]
        var out = [Float]()
        out.reserveCapacity(indices.count * d)
        for i in indices { out.append(contentsOf: data[i * d ..< (i + 1) * d]) }
        return Tensor(shape: [indices.count, d], data: out)
    }
}
