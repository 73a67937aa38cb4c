/// L2 normalisation: the project's one home for scaling vectors to unit Euclidean length.
///
/// `x ← x / max(‖x‖₂, floor)`, the sum of squares accumulated in order in `Float`. With
/// `floor` 0 a zero vector stays zero (the index, the queries, evaluation); the encoders pass
/// their reference's floor (`torch.nn.functional.normalize` uses 1e-12, geoembed 1e-8), so the
/// numerics match the fixtures.
///
/// Two roundings exist on purpose: dividing each value by the norm (``Scaling/division``), and
/// multiplying by the norm's reciprocal (``Scaling/reciprocal``), one rounding more per value but
/// a multiplication instead of a division. MiniLM's sentence vectors and the engine's query
/// vectors have always used the reciprocal; every cached feature, shipped head and index was made
/// that way, and the other rounding would move them by an ulp (and the shipped head would no
/// longer be reproduced byte for byte). Everything else divides.
public enum L2 {
    /// How each value is scaled by the norm.
    public enum Scaling: Sendable {
        /// `x / n`.
        case division
        /// `x · (1 / n)`.
        case reciprocal
    }

    /// Scales `x[0..<count]` in place and returns the norm it divided by (0 for a zero vector
    /// left alone).
    @discardableResult
    public static func normalize(_ x: UnsafeMutablePointer<Float>, count: Int, floor: Float = 0,
                                 scaling: Scaling = .division) -> Float {
        var squares: Float = 0
        for i in 0..<count { squares += x[i] * x[i] }
        let norm = max(squares.squareRoot(), floor)
        guard norm > 0 else { return 0 }
        switch scaling {
        case .division:
            for i in 0..<count { x[i] /= norm }
        case .reciprocal:
            let inverse = 1 / norm
            for i in 0..<count { x[i] *= inverse }
        }
        return norm
    }

    /// Rows of `dimension` values scaled to unit length (zero rows stay zero with `floor` 0).
    /// - Complexity: O(`values.count`).
    public static func normalized(_ values: [Float], dimension: Int, floor: Float = 0, scaling: Scaling = .division) -> [Float] {
        var out = values
        normalizeRows(&out, dimension: dimension, floor: floor, scaling: scaling)
        return out
    }

    /// Scales each row of `dimension` values in place; returns each row's norm.
    @discardableResult
    public static func normalizeRows(_ values: inout [Float], dimension: Int, floor: Float = 0,
                                     scaling: Scaling = .division) -> [Float] {
        precondition(dimension > 0 && values.count % dimension == 0, "values do not make rows of \(dimension)")
        var norms = [Float](repeating: 0, count: values.count / dimension)
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for r in norms.indices {
                norms[r] = normalize(base + r * dimension, count: dimension, floor: floor, scaling: scaling)
            }
        }
        return norms
    }
}
