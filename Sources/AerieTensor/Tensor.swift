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
