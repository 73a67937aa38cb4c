import AerieKernels
import Testing
@testable import AerieIndex

/// fp16 row scores from AerieKernels agree with the Swift kernels within this relative tolerance:
/// both widen exactly, only the float32 summation order differs.
let kernelSumTolerance: Float = 1e-5

/// The C row-block kernels (their AVX2/F16C/POPCNT path where the CPU has it, and their portable
/// path) against the Swift kernels, which are their slow twins.
@Suite(.serialized) struct AerieKernelsTests {
    /// Runs `body` once with the detected path and once with the portable path forced.
    func bothPaths(_ body: () -> Void) {
        body()
        aerie_kernels_force_portable(1)
        body()
        aerie_kernels_force_portable(0)
    }

    func halves(_ values: [Float]) -> [UInt16] { values.map { Float16($0).bitPattern } }

    @Test(arguments: [1, 7, 8, 33, 384, 512] as [Int])
    func float16DotAndL2MatchSwift(dimension d: Int) {
        var rng = SeededGenerator(seed: UInt64(d))
        let n = 37
        let rowsH = halves(rng.vectors(n, d))
        let q = rng.vectors(1, d)
        bothPaths {
            var dot = [Float](repeating: .nan, count: n), l2 = [Float](repeating: .nan, count: n)
            rowsH.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                aerie_f16_dot_rows(q, base, 2 * d, n, d, &dot)
                aerie_f16_l2_rows(q, base, 2 * d, n, d, &l2)
                var widened = [Float](repeating: 0, count: d)
                q.withUnsafeBytes { qb in
                    guard let qp = qb.baseAddress else { return }
                    for r in 0..<n {
                        widened.withUnsafeMutableBufferPointer { w in
                            guard let wp = w.baseAddress else { return }
                            Kernels.widenRow(base + r * 2 * d, into: wp, d)
                            let slowDot = Kernels.dotF32(qp, wp, d), slowL2 = Kernels.squaredL2F32(qp, wp, d)
                            let scale = max(1, q.reduce(0) { $0 + abs($1) } * 4)
                            #expect(abs(dot[r] - slowDot) <= kernelSumTolerance * scale, "row \(r): \(dot[r]) vs \(slowDot)")
                            #expect(abs(l2[r] - slowL2) <= kernelSumTolerance * max(1, slowL2), "row \(r): \(l2[r]) vs \(slowL2)")
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: [1, 7, 8, 33, 384, 512] as [Int])
    func float32DotMatchesSwift(dimension d: Int) {
        var rng = SeededGenerator(seed: 100 + UInt64(d))
        let n = 29
        let data = rng.vectors(n, d)
        let q = rng.vectors(1, d)
        bothPaths {
            var out = [Float](repeating: .nan, count: n)
            aerie_f32_dot_rows(q, data, 4 * d, n, d, &out)
            for r in 0..<n {
                let slow = (0..<d).reduce(Float(0)) { $0 + q[$1] * data[r * d + $1] }
                let scale = max(1, (0..<d).reduce(Float(0)) { $0 + abs(q[$1] * data[r * d + $1]) })
                #expect(abs(out[r] - slow) <= kernelSumTolerance * scale, "row \(r): \(out[r]) vs \(slow)")
            }
        }
    }

    @Test func float16WideningIsExactForEveryBitPattern() {
        let all = (0...UInt16.max).map { $0 }
        bothPaths {
            var out = [Float](repeating: 0, count: all.count)
            aerie_f16_widen(all, &out, all.count)
            var mismatches = 0
            for (i, bits) in all.enumerated() {
                let expected = Float(Float16(bitPattern: bits))
                if expected.isNaN ? !out[i].isNaN : expected.bitPattern != out[i].bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0)
        }
    }

    @Test(arguments: [1, 2, 3, 8, 9] as [Int])
    func hammingMatchesSwiftExactly(words: Int) {
        var rng = SeededGenerator(seed: 7 + UInt64(words))
        let n = 41
        let codes = BinaryCodes.encode(rng.vectors(n, 64 * words), dimension: 64 * words)
        let q = BinaryCodes.encode(rng.vectors(1, 64 * words), dimension: 64 * words)
        bothPaths {
            var out = [UInt32](repeating: .max, count: n)
            codes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                aerie_hamming_rows(q, base, 8 * words, n, words, &out)
                q.withUnsafeBytes { qb in
                    guard let qp = qb.baseAddress else { return }
                    for r in 0..<n { #expect(Int(out[r]) == Kernels.hamming(qp, base + r * 8 * words, words), "row \(r)") }
                }
            }
        }
    }
}

/// The float16-shadow prefilter of cosine search returns exactly the plain float32 scan's result.
@Suite struct HalfShadowPrefilterTests {
    @Test(arguments: [0, 1, 2] as [UInt64])
    func prefilteredCosineEqualsThePlainScanBitForBit(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 300 + seed)
        let d = [64, 33, 96][Int(seed)]
        let n = 5000
        var data = rng.vectors(n, d)
        // Near-duplicates and exact duplicates (ties), and one row beyond float16's range.
        for j in 0..<d {
            data[10 * d + j] = data[20 * d + j] * (1 + 1e-6)
            data[30 * d + j] = data[20 * d + j]
            data[40 * d + j] = data[20 * d + j] * 70000
        }
        let plain = VectorMatrix(float32: data, dimension: d)
        let shadowed = VectorMatrix(float32: data, dimension: d)
        shadowed.prepareHalfShadow()
        let engine = ScoringEngine(threads: 2)
        for q in 0..<6 {
            let query = q == 0 ? Array(data[(20 * d)..<(21 * d)]) : rng.vectors(1, d)
            for k in [1, 10, 50] {
                let a = try engine.search(query, in: plain, k: k, metric: .cosine)
                let b = try engine.search(query, in: shadowed, k: k, metric: .cosine)
                #expect(a.map(\.id) == b.map(\.id), "query \(q) k \(k)")
                #expect(a.map(\.score.bitPattern) == b.map(\.score.bitPattern), "query \(q) k \(k)")
            }
        }
    }
}
