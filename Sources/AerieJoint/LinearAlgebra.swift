import AerieTensor

/// Matrix products on flat row-major arrays, through OpenBLAS. Shapes are in each name's comment;
/// the tests compare each with a plain triple loop.
enum Matrix {
    /// Runs `body` with base addresses of three non-empty arrays.
    private static func withPointers(
        _ a: [Float], _ b: [Float], _ c: inout [Float],
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                    body(a, b, c)
                }
            }
        }
    }

    /// `A (m,k) @ B (n,k)^T -> (m,n)`
    static func multiplyTransposed(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        precondition(a.count == m * k && b.count == n * k, "multiplyTransposed: shapes do not match")
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        withPointers(a, b, &c) { BLAS.sgemm(m: m, n: n, k: k, $0, $1, transposeB: true, $2) }
        return c
    }

    /// `A (m,k) @ B (k,n) -> (m,n)`
    static func multiply(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "multiply: shapes do not match")
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        withPointers(a, b, &c) { BLAS.sgemm(m: m, n: n, k: k, $0, $1, $2) }
        return c
    }

    /// `A (k,m)^T @ B (k,n) -> (m,n)`, written into `c` (or added to it when `accumulate`).
    static func multiplyFirstTransposed(
        _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, into c: inout [Float], accumulate: Bool = false
    ) {
        precondition(a.count == k * m && b.count == k * n && c.count == m * n,
                     "multiplyFirstTransposed: shapes do not match")
        guard m > 0, n > 0, k > 0 else { return }
        withPointers(a, b, &c) {
            BLAS.sgemm(m: m, n: n, k: k, $0, transposeA: true, $1, $2, beta: accumulate ? 1 : 0)
        }
    }
}
