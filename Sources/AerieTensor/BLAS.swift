import COpenBLAS

/// OpenBLAS entry points and the engine's threading policy.
///
/// Threading policy: OpenBLAS owns the cores during a matrix product; Swift concurrency never
/// runs BLAS calls from several tasks at once with more than one BLAS thread each. Callers that
/// parallelise over a batch themselves set BLAS to one thread first (``BLAS/setThreads(_:)``),
/// so that 2 cores never carry 4 busy threads.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses for subsequent calls.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// How many threads OpenBLAS uses now.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The index of the first NaN or infinity in `values`, or nil when every value is finite.
    ///
    /// The check that weights, features and embeddings pass before they are used or stored.
    /// - Complexity: one optimised pass (`sasum`, whose sum is finite when every value is and the
    ///   sum does not overflow); an exact scan only when that sum is not finite.
    public static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress, !values.isEmpty else { return nil }
        var offset = 0
        while offset < values.count {
            let n = min(values.count - offset, Int(Int32.max))
            if !cblas_sasum(Int32(n), base + offset, 1).isFinite {
                if let bad = values[offset..<(offset + n)].firstIndex(where: { !$0.isFinite }) { return bad }
            }
            offset += n
        }
        return nil
    }

    /// ``firstNonFinite(_:)`` over an array.
    public static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { firstNonFinite($0) }
    }

    /// `C (m,n) = alpha * op(A) (m,k) @ op(B) (k,n) + beta * C`, all row-major.
    ///
    /// - Parameters:
    ///   - transposeA: when true, `A` is stored as (k,m) and used transposed.
    ///   - transposeB: when true, `B` is stored as (n,k) and used transposed (the usual layout of
    ///     a PyTorch `Linear` weight).
    public static func sgemm(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>,
        alpha: Float = 1, beta: Float = 0
    ) {
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(n))
    }

    /// `C = alpha * op(A) @ op(B) + beta * C` on row-major sub-matrices with explicit leading
    /// dimensions, for products over column slices of a wider matrix (an attention head's
    /// columns of the packed query/key/value rows).
    ///
    /// - Parameters:
    ///   - lda: distance in floats between consecutive rows of `A` as stored.
    ///   - ldb: distance in floats between consecutive rows of `B` as stored.
    ///   - ldc: distance in floats between consecutive rows of `C`.
    public static func sgemm(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }
}
