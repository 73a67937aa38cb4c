import AerieCore
import Testing
@testable import AerieIndex

/// Scores agree with the reference within this relative tolerance (float32 sums of ≤ 100 terms).
let scoreTolerance: Double = 1e-4
/// float16 storage rounds each component to 11 significant bits.
let float16ScoreTolerance: Double = 2e-2

/// Checks a fast result against the reference: same length, scores within `tolerance`, and the
/// same ids wherever the reference's neighbouring scores are separated by more than `tolerance`
/// (within a near-tie, float rounding may legitimately reorder).
func expectAgrees(_ fast: [Hit], _ slow: [(id: Int, score: Double)], tolerance: Double,
                  sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fast.count == slow.count, sourceLocation: sourceLocation)
    for i in 0..<min(fast.count, slow.count) {
        let scale = max(1, abs(slow[i].score))
        #expect(abs(Double(fast[i].score) - slow[i].score) <= tolerance * scale,
                "rank \(i): \(fast[i].score) vs \(slow[i].score)", sourceLocation: sourceLocation)
        let separatedBefore = i == 0 || abs(slow[i].score - slow[i - 1].score) > 2 * tolerance * scale
        let separatedAfter = i + 1 >= slow.count || abs(slow[i + 1].score - slow[i].score) > 2 * tolerance * scale
        if separatedBefore && separatedAfter {
            #expect(fast[i].id == slow[i].id, "rank \(i)", sourceLocation: sourceLocation)
        }
    }
}

func rows(_ flat: [Float], _ d: Int) -> [[Float]] {
    stride(from: 0, to: flat.count, by: d).map { Array(flat[$0..<($0 + d)]) }
}

@Suite struct ScoringEngineTests {
    @Test(arguments: [0, 1, 2, 3] as [UInt64], [1, 2, 3] as [Int])
    func float32MatchesReference(seed: UInt64, threads: Int) throws {
        var rng = SplitMix64(seed: seed)
        let d = [7, 16, 33, 64][Int(seed)]
        let n = 3000
        let data = rng.vectors(n, d)
        let matrix = VectorMatrix(float32: data, dimension: d)
        let engine = ScoringEngine(threads: threads)
        let all = rows(data, d)
        for metric in [Metric.cosine, .euclidean, .cityblock] {
            let query = rng.vectors(1, d)
            let fast = try engine.search(query, in: matrix, k: 10, metric: metric)
            expectAgrees(fast, ReferenceScoring.search(query, rows: all, k: 10, metric: metric), tolerance: scoreTolerance)
        }
    }

    @Test(arguments: [0, 1, 2] as [UInt64])
    func float16MatchesReferenceOnRoundedRows(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let d = [16, 40, 64][Int(seed)]
        let data = rng.vectors(3000, d)
        let matrix = VectorMatrix(float16From: data, dimension: d)
        let rounded = rows(data.map { Float(Float16($0)) }, d)
        for metric in [Metric.cosine, .euclidean, .cityblock] {
            let query = rng.vectors(1, d)
            let fast = try ScoringEngine(threads: 2).search(query, in: matrix, k: 8, metric: metric)
            expectAgrees(fast, ReferenceScoring.search(query, rows: rounded, k: 8, metric: metric), tolerance: scoreTolerance)
        }
    }

    @Test func float16WideningIsExactForEveryBitPattern() {
        var halves = (0...UInt16.max).map { $0 }
        while halves.count % 16 != 0 { halves.append(0) }
        var widened = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBytes { raw in
            widened.withUnsafeMutableBufferPointer { out in
                guard let source = raw.baseAddress, let target = out.baseAddress else { return }
                RowKernels.widenRow(source, into: target, halves.count)
            }
        }
        var mismatches = 0
        for (i, bits) in halves.enumerated() {
            let expected = Float(Float16(bitPattern: bits))
            if expected.isNaN ? !widened[i].isNaN : expected.bitPattern != widened[i].bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [0, 1, 2] as [UInt64])
    func hammingMatchesReference(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let d = [64, 100, 512][Int(seed)]
        let data = rng.vectors(2500, d)
        let matrix = VectorMatrix(binaryFrom: data, dimension: d)
        let query = rng.vectors(1, d)
        let fast = try ScoringEngine(threads: 2).search(query, in: matrix, k: 20, metric: .hamming)
        let slow = ReferenceScoring.search(query, rows: rows(data, d), k: 20, metric: .hamming)
        // Hamming distances are integers: ties are exact, so ids must match exactly.
        #expect(fast.map(\.id) == slow.map(\.id))
        #expect(fast.map { Double($0.score) } == slow.map(\.score))
    }

    @Test(arguments: [8, 64, 100, 512, 600] as [Int])
    func batchedHammingMatchesReference(dimension d: Int) throws {
        var rng = SplitMix64(seed: 77 + UInt64(d))
        // 4500 rows: two threads of the engine, each with its own range and heaps to merge.
        let n = 4500
        var data = rng.vectors(n, d)
        // Exact duplicates, so that equal distances straddle the threads' ranges.
        for r in stride(from: 2300, to: n, by: 500) { for j in 0..<d { data[r * d + j] = data[(r - 2290) * d + j] } }
        let matrix = VectorMatrix(binaryFrom: data, dimension: d)
        let queries = (0..<19).map { qi in qi % 4 == 0 ? Array(data[(qi * 5 * d)..<((qi * 5 + 1) * d)]) : rng.vectors(1, d) }
        let codes = BinaryCodes.encode(data, dimension: d)
        let words = VectorType.binaryWords(dimension: d)
        for k in [1, 10, 40] {
            let batched = try ScoringEngine(threads: 2).search(batch: queries, in: matrix, k: k, metric: .hamming)
            for (qi, query) in queries.enumerated() {
                let q = BinaryCodes.encode(query, dimension: d)
                let expected = q.withUnsafeBytes { qb in
                    codes.withUnsafeBytes { xb -> [Hit] in
                        guard let qp = qb.baseAddress, let xp = xb.baseAddress else { return [] }
                        return (0..<n).map { Hit(id: $0, score: Float(RowKernels.hamming(qp, xp + $0 * words * 8, words))) }
                            .sorted { $0.score != $1.score ? $0.score < $1.score : $0.id < $1.id }
                            .prefix(k).map { $0 }
                    }
                }
                #expect(batched[qi] == expected, "d \(d) k \(k) query \(qi)")
            }
        }
    }

    @Test func manyPiecesGiveTheOnePieceResult() throws {
        // 20000 rows: 3 threads cut them into 9 pieces; every row repeats 50 rows later, so
        // equal scores straddle pieces. One thread scans everything in one piece.
        var rng = SplitMix64(seed: 2024)
        let d = 16
        let distinct = rng.vectors(50, d)
        var data = [Float]()
        for r in 0..<20000 {
            let source = (r * 7) % 50 * d
            data.append(contentsOf: distinct[source..<(source + d)])
        }
        let queries = (0..<6).map { _ in rng.vectors(1, d) }
        let one = ScoringEngine(threads: 1), many = ScoringEngine(threads: 3)
        #expect(ScoringEngine.RowSplit(rows: 20000, threads: 3).pieces == 9)
        for type in VectorType.allCases {
            let matrix = VectorMatrix(type, from: data, dimension: d)
            let metrics: [Metric] = type == .binary ? [.hamming] : [.cosine, .euclidean, .cityblock]
            for metric in metrics {
                for query in queries {
                    #expect(try one.search(query, in: matrix, k: 12, metric: metric) == many.search(query, in: matrix, k: 12, metric: metric),
                            "\(type) \(metric)")
                }
                // The batched cosine and euclidean paths go through sgemm, not through pieces.
                if metric == .hamming || metric == .cityblock {
                    let a = try one.search(batch: queries, in: matrix, k: 12, metric: metric)
                    let b = try many.search(batch: queries, in: matrix, k: 12, metric: metric)
                    #expect(a == b, "\(type) \(metric) batch")
                }
            }
            if type == .float32 {
                // The float16-shadow prefilter runs on pieces too.
                let shadowed = VectorMatrix(float32: data, dimension: d)
                shadowed.prepareHalfShadow()
                for query in queries {
                    #expect(try one.search(query, in: matrix, k: 12, metric: .cosine) == many.search(query, in: shadowed, k: 12, metric: .cosine))
                }
            }
        }
    }

    @Test func tiesGoToTheLowerId() throws {
        // Rows 0...9999 with only three distinct values: massive exact ties across threads.
        let d = 4
        let data = (0..<10000).flatMap { i -> [Float] in
            let v = Float(i % 3)
            return [v, 1, 0, 0]
        }
        let matrix = VectorMatrix(float32: data, dimension: d)
        let hits = try ScoringEngine(threads: 3).search([0, 1, 0, 0], in: matrix, k: 5, metric: .euclidean)
        #expect(hits.map(\.id) == [0, 3, 6, 9, 12])
        let batched = try ScoringEngine(threads: 3).search(batch: [[0, 1, 0, 0], [2, 1, 0, 0]], in: matrix, k: 4, metric: .cityblock)
        #expect(batched.map { $0.map(\.id) } == [[0, 3, 6, 9], [2, 5, 8, 11]])
    }

    @Test(arguments: [VectorType.float32, .float16, .binary])
    func batchedEqualsSingle(type: VectorType) throws {
        var rng = SplitMix64(seed: 42)
        let d = 48
        let data = rng.vectors(6000, d)
        let matrix = VectorMatrix(type, from: data, dimension: d)
        let queries = (0..<5).map { _ in rng.vectors(1, d) }
        let engine = ScoringEngine(threads: 2)
        let metrics: [Metric] = type == .binary ? [.hamming] : [.cosine, .euclidean, .cityblock]
        let reference = type == .float16 ? rows(data.map { Float(Float16($0)) }, d) : rows(data, d)
        for metric in metrics {
            let batched = try engine.search(batch: queries, in: matrix, k: 7, metric: metric)
            for (qi, query) in queries.enumerated() {
                let single = try engine.search(query, in: matrix, k: 7, metric: metric)
                if metric == .hamming {
                    #expect(batched[qi] == single)
                } else {
                    // The batched path computes scores through sgemm: equal within rounding.
                    expectAgrees(batched[qi], single.map { (id: $0.id, score: Double($0.score)) }, tolerance: scoreTolerance)
                    expectAgrees(batched[qi], ReferenceScoring.search(query, rows: reference, k: 7, metric: metric), tolerance: scoreTolerance)
                }
            }
        }
    }

    @Test func edgeCases() throws {
        let matrix = VectorMatrix(float32: [1, 0, 0, 1, 0, 0], dimension: 2)
        let engine = ScoringEngine(threads: 4)
        // k larger than the matrix gives every row; k = 0 gives none.
        #expect(try engine.search([1, 0], in: matrix, k: 10, metric: .cosine).map(\.id) == [0, 1, 2])
        #expect(try engine.search([1, 0], in: matrix, k: 0, metric: .cosine).isEmpty)
        // A zero row scores cosine 0, not NaN.
        let hits = try engine.search([0, 1], in: matrix, k: 3, metric: .cosine)
        #expect(hits.allSatisfy { !$0.score.isNaN })
        #expect(hits.map(\.id) == [1, 0, 2])  // rows 0 and 2 tie at 0: lower id first
        #expect(throws: ScoringError.dimensionMismatch(query: 3, matrix: 2)) {
            try engine.search([1, 0, 0], in: matrix, k: 1, metric: .cosine)
        }
        #expect(throws: ScoringError.metricNotSupported(.hamming, .float32)) {
            try engine.search([1, 0], in: matrix, k: 1, metric: .hamming)
        }
    }
}
