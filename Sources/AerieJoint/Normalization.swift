import AerieCore
/// Row-wise L2 normalisation and its backward pass.
enum RowNormalization {
    /// Normalises each row of `x` `(n, d)`; returns the normalised rows and each row's norm.
    static func forward(_ x: [Float], rows n: Int, columns d: Int) -> (normalized: [Float], norms: [Float]) {
        var z = x
        let norms = L2.normalizeRows(&z, dimension: d, floor: 1e-12)
        return (z, norms)
    }

    /// `dL/dx` from `dL/dz` for `z = x / |x|`: `(dz - z (z·dz)) / |x|`, row by row.
    static func backward(normalized z: [Float], norms: [Float], gradient dz: [Float], rows n: Int, columns d: Int) -> [Float] {
        var dx = dz
        for r in 0..<n {
            var dot: Float = 0
            for j in 0..<d { dot += z[r * d + j] * dz[r * d + j] }
            for j in 0..<d { dx[r * d + j] = (dz[r * d + j] - z[r * d + j] * dot) / norms[r] }
        }
        return dx
    }
}
