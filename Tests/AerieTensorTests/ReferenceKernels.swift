import Foundation
import AerieTensor
import AerieTestSupport

/// Slow, obvious twins of the transformer kernels, on plain arrays, used only by the tests
/// (the convolution twins live beside the convolutions, in AerieTensor).
extension ReferenceKernels {
    /// y[r][o] = b[o] + Σ_i x[r][i] · W[o][i]
    static func linear(_ x: [Float], rows: Int, inFeatures k: Int, weight: [Float], bias: [Float]?, outFeatures n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for o in 0..<n {
                var acc = Double(bias?[o] ?? 0)
                for i in 0..<k { acc += Double(x[r * k + i]) * Double(weight[o * k + i]) }
                y[r * n + o] = Float(acc)
            }
        }
        return y
    }

    static func layerNorm(_ x: [Float], residual: [Float]?, rows: Int, width: Int, gamma: [Float], beta: [Float], epsilon: Float) -> [Float] {
        var out = x
        for r in 0..<rows {
            var row = (0..<width).map { Double(x[r * width + $0]) + Double(residual?[r * width + $0] ?? 0) }
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            row = row.map { ($0 - mean) / (variance + Double(epsilon)).squareRoot() }
            for j in 0..<width { out[r * width + j] = Float(row[j] * Double(gamma[j]) + Double(beta[j])) }
        }
        return out
    }

    static func gelu(_ x: [Float]) -> [Float] {
        x.map { v in Float(Double(v) * 0.5 * (1 + Foundation.erf(Double(v) / 2.0.squareRoot()))) }
    }

    static func softmax(_ row: [Float]) -> [Float] {
        let peak = row.max() ?? 0
        let e = row.map { Foundation.exp(Double($0 - peak)) }
        let total = e.reduce(0, +)
        return e.map { Float($0 / total) }
    }

    /// Attention over a padded batch `[batch, maxLength, hidden]` given separately as Q, K, V,
    /// with BERT's mask: key positions at or beyond a sequence's length get −∞ before softmax.
    /// Returns `[batch, maxLength, hidden]` (rows past a sequence's length are left zero).
    static func maskedAttention(q: [Float], k: [Float], v: [Float], lengths: [Int], maxLength: Int, heads: Int, headDim: Int) -> [Float] {
        let hidden = heads * headDim
        var out = [Float](repeating: 0, count: lengths.count * maxLength * hidden)
        for (b, length) in lengths.enumerated() {
            for h in 0..<heads {
                for i in 0..<length {
                    var scores = [Float](repeating: 0, count: maxLength)
                    for j in 0..<maxLength {
                        if j >= length { scores[j] = -.infinity; continue }
                        var dot = 0.0
                        for d in 0..<headDim {
                            dot += Double(q[(b * maxLength + i) * hidden + h * headDim + d]) * Double(k[(b * maxLength + j) * hidden + h * headDim + d])
                        }
                        scores[j] = Float(dot / Double(headDim).squareRoot())
                    }
                    let p = softmax(scores)
                    for d in 0..<headDim {
                        var acc = 0.0
                        for j in 0..<maxLength { acc += Double(p[j]) * Double(v[(b * maxLength + j) * hidden + h * headDim + d]) }
                        out[(b * maxLength + i) * hidden + h * headDim + d] = Float(acc)
                    }
                }
            }
        }
        return out
    }
}

/// Named tolerances for comparing the fast kernels with their twins.
enum Tolerance {
    /// float32 accumulation over up to a few hundred terms against a float64 reference.
    static let product: Float = 1e-4
    /// Element-wise kernels (GELU, softmax) against float64.
    static let elementwise: Float = 2e-5
    /// Layer norm divides by a standard deviation that can be small: a looser bound.
    static let normalisation: Float = 2e-4
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
