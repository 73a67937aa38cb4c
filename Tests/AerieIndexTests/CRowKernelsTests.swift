import AerieCore
import CRowKernels
import Testing
@testable import AerieIndex

/// fp16 row scores from CRowKernels agree with the Swift kernels within this relative tolerance:
/// both widen exactly, only the float32 summation order differs.
let kernelSumTolerance: Float = 1e-5

/// The C row-block kernels (their AVX2/F16C/POPCNT path where the CPU has it, and their portable
/// path) against the Swift kernels, which are their slow twins.
@Suite(.serialized) struct CRowKernelsTests {
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
        var rng = SplitMix64(seed: UInt64(d))
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
                            RowKernels.widenRow(base + r * 2 * d, into: wp, d)
                            let slowDot = RowKernels.dotF32(qp, wp, d), slowL2 = RowKernels.squaredL2F32(qp, wp, d)
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
        var rng = SplitMix64(seed: 100 + UInt64(d))
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
}

/// The batched Hamming k-nearest kernel against its obvious twin, on every path this CPU has:
/// AVX-512 VPOPCNTDQ (where present), AVX2 + POPCNT, and portable C.
@Suite(.serialized) struct HammingKnnKernelTests {
    /// Runs `body` with the detected paths, then with AVX-512 off, then with the portable C.
    func allPaths(_ body: (String) -> Void) {
        body(aerie_kernels_avx512_popcount() != 0 ? "avx512" : "detected")
        aerie_kernels_disable_avx512(1)
        body("no-avx512")
        aerie_kernels_force_portable(1)
        body("portable")
        aerie_kernels_force_portable(0)
        aerie_kernels_disable_avx512(0)
    }

    /// The slow twin: every row's distance by ``Kernels/hamming``, all pairs sorted by
    /// (distance, id), the first `k` kept.
    static func twin(queries: [UInt64], nq: Int, words: Int, rows: [UInt8], rowBytes: Int, count: Int,
                     firstID: Int, k: Int) -> [[(distance: UInt32, id: Int64)]] {
        queries.withUnsafeBytes { q in
            rows.withUnsafeBytes { x in
                guard let qBase = q.baseAddress, let xBase = x.baseAddress else { return [] }
                return (0..<nq).map { j in
                    let all = (0..<count).map { r in
                        (distance: UInt32(RowKernels.hamming(qBase + j * words * 8, xBase + r * rowBytes, words)), id: Int64(firstID + r))
                    }
                    let sorted = all.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
                    return Array(sorted.prefix(k))
                }
            }
        }
    }

    /// Random codes, or sparse ones (few set bits: distances bunch up, ties everywhere), with
    /// repeated rows and queries equal to rows, and rows padded past their code (`rowBytes` larger).
    static func codes(_ rng: inout SplitMix64, count: Int, words: Int, stride: Int, sparse: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xA5, count: count * stride)
        for r in 0..<count {
            for b in 0..<(words * 8) {
                bytes[r * stride + b] = sparse ? (rng.next() % 16 == 0 ? UInt8(1) << UInt8(rng.next() % 8) : 0) : UInt8(truncatingIfNeeded: rng.next())
            }
            if r % 7 == 3, r >= 3 {
                for b in 0..<(words * 8) { bytes[r * stride + b] = bytes[(r - 3) * stride + b] }
            }
        }
        return bytes
    }

    @Test(arguments: [1, 2, 3, 7, 8, 9, 16, 17] as [Int])
    func batchedKnnMatchesTheTwin(words: Int) {
        var rng = SplitMix64(seed: 900 + UInt64(words))
        let cases: [(nq: Int, count: Int, k: Int, sparse: Bool)] = [
            (1, 40, 5, false), (5, 300, 10, true), (16, 300, 1, false), (17, 600, 7, true),
            (33, 257, 50, false), (4, 9, 20, true), (20, 520, 520, true), (3, 1, 3, false),
        ]
        for (ci, c) in cases.enumerated() {
            let stride = words * 8 + (ci % 2) * 8
            let rows = HammingKnnKernelTests.codes(&rng, count: c.count, words: words, stride: stride, sparse: c.sparse)
            var queries = [UInt64](repeating: 0, count: c.nq * words)
            for j in 0..<c.nq {
                for w in 0..<words {
                    if j % 3 == 0 {
                        // A query equal to a row: distance 0, and the row's duplicates tie with it.
                        let r = (j * 11) % c.count
                        queries[j * words + w] = (0..<8).reduce(UInt64(0)) { $0 | UInt64(rows[r * stride + w * 8 + $1]) << UInt64(8 * $1) }
                    } else {
                        queries[j * words + w] = c.sparse ? 0 : rng.next()
                    }
                }
            }
            let firstID = 1000 * ci
            let expected = HammingKnnKernelTests.twin(queries: queries, nq: c.nq, words: words, rows: rows, rowBytes: stride,
                                                       count: c.count, firstID: firstID, k: c.k)
            allPaths { path in
                var distances = [UInt32](repeating: .max, count: c.nq * c.k)
                var ids = [Int64](repeating: -1, count: c.nq * c.k)
                let found = rows.withUnsafeBytes { raw in
                    aerie_hamming_knn(queries, c.nq, words, raw.baseAddress, stride, c.count, Int64(firstID), c.k, &distances, &ids)
                }
                #expect(found == min(c.k, c.count), "\(path) case \(ci)")
                for j in 0..<c.nq {
                    let got = (0..<found).map { (distance: distances[j * c.k + $0], id: ids[j * c.k + $0]) }
                    #expect(got.map(\.distance) == expected[j].map(\.distance), "\(path) case \(ci) query \(j)")
                    #expect(got.map(\.id) == expected[j].map(\.id), "\(path) case \(ci) query \(j)")
                }
            }
        }
    }

    @Test func emptyInputsReturnNothing() {
        let queries: [UInt64] = [1, 2]
        let rows: [UInt64] = [3, 4]
        var distances = [UInt32](repeating: 7, count: 4)
        var ids = [Int64](repeating: 7, count: 4)
        rows.withUnsafeBytes { raw in
            #expect(aerie_hamming_knn(queries, 2, 1, raw.baseAddress, 8, 0, 0, 2, &distances, &ids) == 0)
            #expect(aerie_hamming_knn(queries, 2, 1, raw.baseAddress, 8, 2, 0, 0, &distances, &ids) == 0)
            #expect(aerie_hamming_knn(queries, 0, 1, raw.baseAddress, 8, 2, 0, 2, &distances, &ids) == 0)
        }
        #expect(distances == [7, 7, 7, 7] && ids == [7, 7, 7, 7])
    }
}

/// The float16-shadow prefilter of cosine search returns exactly the plain float32 scan's result.
@Suite struct HalfShadowPrefilterTests {
    @Test(arguments: [0, 1, 2] as [UInt64])
    func prefilteredCosineEqualsThePlainScanBitForBit(seed: UInt64) throws {
        var rng = SplitMix64(seed: 300 + seed)
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
