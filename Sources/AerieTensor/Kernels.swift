import Foundation

/// The transformer kernels of the engine, on raw row-major buffers.
///
/// Each kernel works in place or into a caller-owned buffer, so a forward pass allocates its
/// scratch once and reuses it layer after layer. Each has a slow, obvious twin in the tests
/// (`Tests/AerieTensorTests/ReferenceKernels.swift`) that is compared with it on seeded random
/// shapes.
///
/// Threading: matrix products go to OpenBLAS, which uses ``BLAS/threads`` threads; the
/// element-wise kernels here run on the calling thread (they are memory-bound and a small share
/// of the time), so the engine never has more busy threads than OpenBLAS is given.
public enum Kernels {
    /// `y (rows, n) = x (rows, k) @ Wᵀ + b`, where `W (n, k)` is a PyTorch `Linear` weight.
    ///
    /// The bias is broadcast into `y` first and the product is accumulated onto it, so the bias
    /// costs one pass over `y` and no extra buffer.
    public static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures k: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0 else { return }
        if let bias {
            for r in 0..<rows { (y + r * n).update(from: bias, count: n) }
        }
        BLAS.sgemm(m: rows, n: n, k: k, x, weight, transposeB: true, y, beta: bias == nil ? 0 : 1)
    }

    /// `x = LayerNorm(x + residual) * gamma + beta` over each row of width `width`, in place.
    ///
    /// - Parameter residual: added to `x` before normalising; nil for a plain layer norm.
    public static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        for r in 0..<rows {
            let row = x + r * width
            if let residual {
                let res = residual + r * width
                for i in 0..<width { row[i] += res[i] }
            }
            let mean = sum(row, count: width) / Float(width)
            var sq = SIMD8<Float>()
            var i = 0
            let m8 = SIMD8<Float>(repeating: mean)
            while i + 8 <= width {
                let d = SIMD8<Float>(UnsafeBufferPointer(start: row + i, count: 8)) - m8
                sq += d * d
                i += 8
            }
            var variance = sq.sum()
            while i < width { let d = row[i] - mean; variance += d * d; i += 1 }
            variance /= Float(width)
            let inv = 1 / (variance + epsilon).squareRoot()
            for j in 0..<width { row[j] = (row[j] - mean) * inv * gamma[j] + beta[j] }
        }
    }

    /// The exact (erf) GELU of BERT, `x · ½ · (1 + erf(x / √2))`, in place.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let scale: Float = 0.70710678118654752
        var i = 0
        while i + 8 <= count {
            let v = SIMD8<Float>(UnsafeBufferPointer(start: x + i, count: 8))
            let g = v * 0.5 * (1 + FastMath.erf(v * scale))
            for j in 0..<8 { x[i + j] = g[j] }
            i += 8
        }
        while i < count {
            let v = SIMD8<Float>(repeating: x[i])
            x[i] = (v * 0.5 * (1 + FastMath.erf(v * scale)))[0]
            i += 1
        }
    }

    /// Softmax of each row of `x (rows, width)` in place, with rows `ld` floats apart.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, ld: Int) {
        for r in 0..<rows {
            let row = x + r * ld
            var peak = -Float.infinity
            for i in 0..<width { peak = max(peak, row[i]) }
            var total: Float = 0
            for i in 0..<width {
                let e = Foundation.exp(row[i] - peak)
                row[i] = e
                total += e
            }
            let inv = 1 / total
            for i in 0..<width { row[i] *= inv }
        }
    }

    /// Multi-head self-attention over one unpadded sequence of `length` tokens.
    ///
    /// `qkv` holds one row of `3 · heads · headDim` floats per token: all query heads, then all
    /// key heads, then all value heads (the layout of the fused projection). Head `h` of the
    /// result, `softmax(Q_h K_hᵀ / √headDim) V_h (length, headDim)`, goes to columns
    /// `h·headDim ..< (h+1)·headDim` of `output (length, ldOutput)`.
    ///
    /// Padding never reaches this kernel: sequences are packed one after another, which is the
    /// same as masking padded keys with −∞ (their softmax weight is exactly zero).
    ///
    /// - Parameter scores: scratch of at least `length · length` floats.
    public static func attention(
        qkv: UnsafePointer<Float>, length: Int, heads: Int, headDim: Int,
        output: UnsafeMutablePointer<Float>, ldOutput: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hidden = heads * headDim
        let ld = 3 * hidden
        let scale = 1 / Float(headDim).squareRoot()
        for h in 0..<heads {
            let q = qkv + h * headDim
            let k = qkv + hidden + h * headDim
            let v = qkv + 2 * hidden + h * headDim
            // scores (L, L) = scale · Q_h (L, d) @ K_hᵀ (d, L)
            BLAS.sgemm(m: length, n: length, k: headDim, q, lda: ld, k, ldb: ld, transposeB: true,
                       scores, ldc: length, alpha: scale)
            softmaxRows(scores, rows: length, width: length, ld: length)
            // out_h (L, d) = P (L, L) @ V_h (L, d)
            BLAS.sgemm(m: length, n: headDim, k: length, scores, lda: length, v, ldb: ld,
                       output + h * headDim, ldc: ldOutput)
        }
    }

    /// `out[i] = table[ids[i]]` for each of `ids.count` rows of width `width`, added onto `out`
    /// when `accumulate` is true (BERT sums word, position and token-type embeddings).
    ///
    /// - Precondition: every id is in `0..<tableRows`.
    public static func embeddingLookup(
        table: UnsafePointer<Float>, tableRows: Int, width: Int,
        ids: UnsafeBufferPointer<Int32>, into out: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < tableRows, "embedding id \(id) outside 0..<\(tableRows)")
            let src = table + Int(id) * width
            let dst = out + i * width
            if accumulate {
                for j in 0..<width { dst[j] += src[j] }
            } else {
                dst.update(from: src, count: width)
            }
        }
    }

    /// Mean of the rows `x (rows, width)` into `out (width)`.
    public static func meanRows(_ x: UnsafePointer<Float>, rows: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: width)
        for r in 0..<rows {
            let row = x + r * width
            for j in 0..<width { out[j] += row[j] }
        }
        let inv = 1 / Float(max(rows, 1))
        for j in 0..<width { out[j] *= inv }
    }

    /// The sum of `count` floats, eight lanes at a time.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += SIMD8<Float>(UnsafeBufferPointer(start: x + i, count: 8))
            i += 8
        }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }
}

/// Vectorisable approximations of transcendental functions used by the kernels.
public enum FastMath {
    /// erf(x) as a rational function `x · p(x²) / q(x²)` on [−4, 4] (erf is ±1 in float
    /// outside), with the minimax coefficients commonly used for single precision (as in Eigen
    /// and XLA). Largest error against the libm erf is a few units in the last place.
    @inlinable
    public static func erf(_ a: SIMD8<Float>) -> SIMD8<Float> {
        let x = a.clamped(lowerBound: SIMD8(repeating: -4), upperBound: SIMD8(repeating: 4))
        let x2 = x * x
        var p = SIMD8<Float>(repeating: -2.72614225801306e-10)
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        p = p * x
        var q = SIMD8<Float>(repeating: -1.45660718464996e-05)
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return p / q
    }
}
