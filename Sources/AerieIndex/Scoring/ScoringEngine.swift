import AerieCore
import CRowKernels
import AerieTensor
import Dispatch
import Foundation

/// Exact brute-force nearest-neighbour search over a ``VectorMatrix``.
///
/// A single query scans the rows once, cut into contiguous pieces that the threads take as they
/// free up; each piece keeps a bounded heap of its best `k` and the heaps are merged at the end. A batch of queries
/// on float vectors with cosine or euclidean scoring goes through `sgemm` block by block (the
/// matrix is read once for the whole batch); binary codes, single or batched, go through
/// CRowKernels' Hamming k-nearest kernel (threads split the rows); the other batched cases scan
/// each block of rows for every query while it is in cache.
///
/// Results are exact and deterministic: best first, equal scores ordered by lower row id.
public struct ScoringEngine: Sendable {
    /// Threads used for a search; at least 1.
    public var threads: Int

    /// Rows per block in the batched paths (a block of 512-d float32 rows is 8 MiB).
    static let batchBlockRows = 4096
    /// Below this many rows per thread, extra threads cost more than they save.
    static let minimumRowsPerThread = 2048
    /// Pieces per thread of a scan's rows: threads take pieces as they free up (see
    /// ``parallelPieces(_:workers:_:)``), so a thread slowed by another process costs at most a
    /// piece's worth of waiting.
    static let piecesPerThread = 8

    /// How a scan over `n` rows is cut: `pieces` contiguous ranges of about `pieceRows` rows,
    /// taken by `workers` threads.
    struct RowSplit {
        let rows: Int
        let workers: Int
        let pieces: Int
        let pieceRows: Int

        init(rows n: Int, threads: Int) {
            rows = n
            workers = max(1, min(threads, n / ScoringEngine.minimumRowsPerThread))
            pieces = workers == 1 ? 1 : max(workers, min(workers * ScoringEngine.piecesPerThread, n / ScoringEngine.minimumRowsPerThread))
            pieceRows = (n + pieces - 1) / pieces
        }

        /// The rows of piece `p` (empty for a piece past the end).
        func range(_ p: Int) -> Range<Int> {
            let start = min(rows, p * pieceRows)
            return start..<min(rows, start + pieceRows)
        }

        /// Runs `body(piece)` for every piece on the workers.
        func run(_ body: (Int) -> Void) { parallelPieces(pieces, workers: workers, body) }
    }

    /// The kernel paths in use on this CPU, for benchmark reports: "portable",
    /// "AVX2/FMA/F16C/POPCNT", with "+ AVX-512 VPOPCNTDQ (Hamming)" where it applies.
    public static var kernelPaths: String {
        guard RowKernels.accelerated else { return "portable" }
        return aerie_kernels_avx512_popcount() != 0 ? "AVX2/FMA/F16C/POPCNT + AVX-512 VPOPCNTDQ (Hamming)" : "AVX2/FMA/F16C/POPCNT"
    }

    /// - Parameter threads: threads per search, default the number of active cores.
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }

    /// The `k` rows of `matrix` nearest to `query` under `metric`, best first.
    ///
    /// - Parameters:
    ///   - query: `matrix.dimension` float32 components (for a binary matrix, its sign bits are used).
    ///   - k: how many results at most; fewer when the matrix has fewer rows.
    /// - Throws: ``ScoringError`` when the metric does not fit the storage or the query's length
    ///   differs from the matrix's dimension.
    public func search(_ query: [Float], in matrix: VectorMatrix, k: Int, metric: Metric) throws -> [Hit] {
        try validate(query, matrix, metric)
        let k = min(max(k, 0), matrix.count)
        guard k > 0 else { return [] }
        let prepared = prepare(query, for: matrix, metric: metric)
        let n = matrix.count
        if matrix.type == .binary {
            return hammingBatch([prepared], matrix, k: k)[0].sorted().map { Hit(id: $0.id, score: $0.key) }
        }
        if metric == .cosine, RowKernels.accelerated, k * 8 <= n, let shadow = matrix.halfShadow {
            return prepared.withUnsafeBytes { bytes in
                prefilteredCosine(bytes.assumingMemoryBound(to: Float.self), matrix, shadow, k: k)
            }
        }
        let split = RowSplit(rows: n, threads: threads)
        let heaps = UnsafeMutableBufferPointer<TopK>.allocate(capacity: split.pieces)
        heaps.initialize(repeating: TopK(k: k))
        defer { heaps.deinitialize().deallocate() }
        prepared.withUnsafeBytes { queryBytes in
            guard let q = queryBytes.baseAddress else { return }
            split.run { p in
                let rows = split.range(p)
                guard !rows.isEmpty else { return }
                var heap = TopK(k: k)
                ScoringEngine.scan(q, matrix, metric, rows: rows, into: &heap)
                heaps[p] = heap
            }
        }
        return TopK.merge(Array(heaps), k: k).map { Hit(id: $0.id, score: ScoringEngine.score(key: $0.key, metric)) }
    }

    /// The `k` nearest rows for each of several queries, in the order of `queries`.
    ///
    /// Reads the matrix once per block for the whole batch, which pays when queries arrive
    /// together (evaluation, query files, the benchmark).
    public func search(batch queries: [[Float]], in matrix: VectorMatrix, k: Int, metric: Metric) throws -> [[Hit]] {
        for query in queries { try validate(query, matrix, metric) }
        if queries.count <= 1 { return try queries.map { try search($0, in: matrix, k: k, metric: metric) } }
        let k = min(max(k, 0), matrix.count)
        guard k > 0 else { return queries.map { _ in [] } }
        let prepared = queries.map { prepare($0, for: matrix, metric: metric) }
        let heaps: [TopK]
        if matrix.type == .binary {
            heaps = hammingBatch(prepared, matrix, k: k)
        } else if metric == .cosine || metric == .euclidean {
            heaps = gemmBatch(prepared, matrix, k: k, metric: metric)
        } else {
            heaps = scanBatch(prepared, matrix, k: k, metric: metric)
        }
        return heaps.map { heap in heap.sorted().map { Hit(id: $0.id, score: ScoringEngine.score(key: $0.key, metric)) } }
    }

    /// Exact cosine search over a float32 matrix that reads its float16 shadow.
    ///
    /// Pass 1 scores every row on the shadow (half the bytes of the float32 rows) and keeps the
    /// `k` best *upper* bounds `key₁₆ + slack`; their worst, T, is at least the true k-th best
    /// float32 key. Any row of the true top k has `key₁₆ − slack ≤ key₃₂ ≤ T`, so pass 2 rescores
    /// only the rows passing that test with the float32 kernel of the plain scan: the result is
    /// the plain scan's, bit for bit, ties included.
    private func prefilteredCosine(_ q: UnsafeBufferPointer<Float>, _ matrix: VectorMatrix, _ shadow: VectorMatrix.HalfShadow, k: Int) -> [Hit] {
        guard let qBase = q.baseAddress else { return [] }
        let n = matrix.count
        let d = matrix.dimension
        let split = RowSplit(rows: n, threads: threads)
        let keys16 = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { keys16.deallocate() }
        let heaps = UnsafeMutableBufferPointer<TopK>.allocate(capacity: split.pieces)
        heaps.initialize(repeating: TopK(k: k))
        defer { heaps.deinitialize().deallocate() }
        let halfBase = UnsafeRawPointer(shadow.base)
        return matrix.inverseNorms.withUnsafeBufferPointer { inv in
            shadow.keySlack.withUnsafeBufferPointer { slack in
                split.run { p in
                    let end = split.range(p).upperBound
                    var start = split.range(p).lowerBound
                    var heap = TopK(k: k)
                    while start < end {
                        let count = min(ScoringEngine.kernelBlockRows, end - start)
                        aerie_f16_dot_rows(qBase, halfBase + start * 2 * d, 2 * d, count, d, keys16 + start)
                        var threshold = heap.threshold
                        for r in start..<(start + count) {
                            let key = -keys16[r] * inv[r]
                            keys16[r] = key
                            let upper = key + slack[r]
                            if upper <= threshold { heap.offer(key: upper, id: r); threshold = heap.threshold }
                        }
                        start += count
                    }
                    heaps[p] = heap
                }
                let best = TopK.merge(Array(heaps), k: k)
                let bound = best.count == k ? best[k - 1].key : Float.infinity
                var exact = TopK(k: k)
                var dot: Float = 0
                // Written as "not above" so that a NaN bound (a row overflowing float16) keeps the row.
                for r in 0..<n where !(keys16[r] - slack[r] > bound) {
                    aerie_f32_dot_rows(qBase, matrix.base + r * matrix.rowBytes, matrix.rowBytes, 1, d, &dot)
                    let key = -dot * inv[r]
                    if key <= exact.threshold { exact.offer(key: key, id: r) }
                }
                return exact.sorted().map { Hit(id: $0.id, score: ScoringEngine.score(key: $0.key, .cosine)) }
            }
        }
    }

    // MARK: Preparation

    private func validate(_ query: [Float], _ matrix: VectorMatrix, _ metric: Metric) throws {
        guard query.count == matrix.dimension else {
            throw ScoringError.dimensionMismatch(query: query.count, matrix: matrix.dimension)
        }
        guard (matrix.type == .binary) == (metric == .hamming) else {
            throw ScoringError.metricNotSupported(metric, matrix.type)
        }
    }

    /// The query as the kernels take it: L2-normalised for cosine, sign bits for binary codes.
    private func prepare(_ query: [Float], for matrix: VectorMatrix, metric: Metric) -> [UInt8] {
        if matrix.type == .binary {
            return BinaryCodes.encode(query, dimension: matrix.dimension).withUnsafeBytes { Array($0) }
        }
        let q = metric == .cosine ? L2.normalized(query, dimension: query.count, scaling: .reciprocal) : query
        return q.withUnsafeBytes { Array($0) }
    }

    /// The user-facing score of a heap key: keys are "smaller is better".
    @inline(__always)
    static func score(key: Float, _ metric: Metric) -> Float {
        switch metric {
        case .cosine: return -key
        case .euclidean: return max(key, 0).squareRoot()
        case .cityblock, .hamming: return key
        }
    }

    // MARK: Single-query scan

    @inline(__always)
    private static func offerAll(_ rows: Range<Int>, into heap: inout TopK, key: (Int) -> Float) {
        for row in rows {
            let value = key(row)
            if value <= heap.threshold { heap.offer(key: value, id: row) }
        }
    }

    /// Scores `rows` of a float matrix against a prepared query and offers each to `heap`.
    static func scan(_ q: UnsafeRawPointer, _ matrix: VectorMatrix, _ metric: Metric, rows: Range<Int>, into heap: inout TopK) {
        let base = matrix.base
        let stride = matrix.rowBytes
        let d = matrix.dimension
        if RowKernels.accelerated, scanAccelerated(q, matrix, metric, rows: rows, into: &heap) { return }
        switch (matrix.type, metric) {
        case (.float32, .cosine):
            matrix.inverseNorms.withUnsafeBufferPointer { inv in
                offerAll(rows, into: &heap) { -RowKernels.dotF32(q, base + $0 * stride, d) * inv[$0] }
            }
        case (.float32, .euclidean):
            offerAll(rows, into: &heap) { RowKernels.squaredL2F32(q, base + $0 * stride, d) }
        case (.float32, .cityblock):
            offerAll(rows, into: &heap) { RowKernels.l1F32(q, base + $0 * stride, d) }
        case (.float16, _):
            // Each row is widened into an L1-resident scratch row, then scored by the fp32 kernels.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { scratch in
                guard let widened = scratch.baseAddress else { return }
                let w = UnsafeRawPointer(widened)
                switch metric {
                case .cosine:
                    matrix.inverseNorms.withUnsafeBufferPointer { inv in
                        offerAll(rows, into: &heap) {
                            RowKernels.widenRow(base + $0 * stride, into: widened, d)
                            return -RowKernels.dotF32(q, w, d) * inv[$0]
                        }
                    }
                case .euclidean:
                    offerAll(rows, into: &heap) {
                        RowKernels.widenRow(base + $0 * stride, into: widened, d)
                        return RowKernels.squaredL2F32(q, w, d)
                    }
                default:
                    offerAll(rows, into: &heap) {
                        RowKernels.widenRow(base + $0 * stride, into: widened, d)
                        return RowKernels.l1F32(q, w, d)
                    }
                }
            }
        case (.binary, _):
            preconditionFailure("binary codes are searched by hammingBatch, not scan")
        default:
            preconditionFailure("metric \(metric) on \(matrix.type) passed validation")
        }
    }

    /// Rows per call of a C kernel: its scores stay in L1 while the heap takes them.
    static let kernelBlockRows = 256

    /// The AVX2/F16C/POPCNT path of ``scan``: CRowKernels scores a block of rows into a small
    /// buffer, then the heap takes the block. Returns false for the cases it does not cover.
    static func scanAccelerated(_ q: UnsafeRawPointer, _ matrix: VectorMatrix, _ metric: Metric, rows: Range<Int>, into heap: inout TopK) -> Bool {
        let base = matrix.base
        let stride = matrix.rowBytes
        let d = matrix.dimension
        switch (matrix.type, metric) {
        case (.float32, .cosine), (.float16, .cosine), (.float16, .euclidean):
            let qf = q.assumingMemoryBound(to: Float.self)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: kernelBlockRows) { scratch in
                guard let out = scratch.baseAddress else { return }
                matrix.inverseNorms.withUnsafeBufferPointer { inv in
                    var start = rows.lowerBound
                    while start < rows.upperBound {
                        let count = min(kernelBlockRows, rows.upperBound - start)
                        let block = base + start * stride
                        switch (matrix.type, metric) {
                        case (.float32, _): aerie_f32_dot_rows(qf, block, stride, count, d, out)
                        case (_, .cosine): aerie_f16_dot_rows(qf, block, stride, count, d, out)
                        default: aerie_f16_l2_rows(qf, block, stride, count, d, out)
                        }
                        var threshold = heap.threshold
                        if metric == .cosine {
                            for j in 0..<count {
                                let key = -out[j] * inv[start + j]
                                if key <= threshold { heap.offer(key: key, id: start + j); threshold = heap.threshold }
                            }
                        } else {
                            for j in 0..<count where out[j] <= threshold {
                                heap.offer(key: out[j], id: start + j)
                                threshold = heap.threshold
                            }
                        }
                        start += count
                    }
                }
            }
            return true
        default:
            return false
        }
    }

    // MARK: Batched paths

    /// Every query against each block of rows while the block is in cache; threads take pieces of the rows.
    private func scanBatch(_ queries: [[UInt8]], _ matrix: VectorMatrix, k: Int, metric: Metric) -> [TopK] {
        let split = RowSplit(rows: matrix.count, threads: threads)
        let perPiece = UnsafeMutableBufferPointer<[TopK]>.allocate(capacity: split.pieces)
        perPiece.initialize(repeating: [])
        defer { perPiece.deinitialize().deallocate() }
        let block = 256
        // The queries' bytes in one buffer, so the inner loop takes plain pointers.
        let queryBytes = queries.first?.count ?? 0
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(1, queryBytes * queries.count), alignment: 64)
        defer { packed.deallocate() }
        for (qi, query) in queries.enumerated() {
            query.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress { (packed + qi * queryBytes).copyMemory(from: source, byteCount: queryBytes) }
            }
        }
        split.run { p in
            let heaps = UnsafeMutableBufferPointer<TopK>.allocate(capacity: queries.count)
            heaps.initialize(repeating: TopK(k: k))
            defer { heaps.deinitialize().deallocate() }
            let end = split.range(p).upperBound
            var start = split.range(p).lowerBound
            while start < end {
                let rows = start..<min(end, start + block)
                for qi in 0..<queries.count {
                    ScoringEngine.scan(UnsafeRawPointer(packed + qi * queryBytes), matrix, metric, rows: rows, into: &heaps[qi])
                }
                start += block
            }
            perPiece[p] = Array(heaps)
        }
        return queries.indices.map { qi in
            var merged = TopK(k: k)
            for p in 0..<split.pieces where !perPiece[p].isEmpty {
                for (key, id) in zip(perPiece[p][qi].keys, perPiece[p][qi].ids) { merged.offer(key: key, id: id) }
            }
            return merged
        }
    }

    /// Hamming search for binary queries, one or a batch: CRowKernels' batched k-nearest kernel
    /// (many queries per loaded row, or for a few queries several rows per reduction; a heap per
    /// query) runs on each piece of the rows, and the pieces' lists are merged per query.
    private func hammingBatch(_ queries: [[UInt8]], _ matrix: VectorMatrix, k: Int) -> [TopK] {
        let n = matrix.count
        let nq = queries.count
        let words = VectorType.binaryWords(dimension: matrix.dimension)
        let split = RowSplit(rows: n, threads: threads)
        let packed = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, nq * words))
        defer { packed.deallocate() }
        for (qi, query) in queries.enumerated() {
            query.withUnsafeBytes { bytes in
                guard let source = bytes.baseAddress else { return }
                UnsafeMutableRawPointer(packed + qi * words).copyMemory(from: source, byteCount: words * 8)
            }
        }
        let distances = UnsafeMutablePointer<UInt32>.allocate(capacity: split.pieces * nq * k)
        defer { distances.deallocate() }
        let ids = UnsafeMutablePointer<Int64>.allocate(capacity: split.pieces * nq * k)
        defer { ids.deallocate() }
        let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: split.pieces)
        found.initialize(repeating: 0)
        defer { found.deallocate() }
        split.run { p in
            let rows = split.range(p)
            found[p] = aerie_hamming_knn(packed, nq, words, matrix.base + rows.lowerBound * matrix.rowBytes, matrix.rowBytes,
                                         rows.count, Int64(rows.lowerBound), k, distances + p * nq * k, ids + p * nq * k)
        }
        return (0..<nq).map { qi in
            var merged = TopK(k: k)
            for p in 0..<split.pieces {
                let offset = (p * nq + qi) * k
                for i in 0..<found[p] { merged.offer(key: Float(distances[offset + i]), id: Int(ids[offset + i])) }
            }
            return merged
        }
    }

    /// `scores (queries, rows) = Q (queries, d) @ blockᵀ (d, rows)` by sgemm, block by block;
    /// then each query's heap takes the block's scores (threads split the queries).
    private func gemmBatch(_ queries: [[UInt8]], _ matrix: VectorMatrix, k: Int, metric: Metric) -> [TopK] {
        let nq = queries.count
        let d = matrix.dimension
        let n = matrix.count
        var q = [Float]()
        q.reserveCapacity(nq * d)
        for query in queries { query.withUnsafeBytes { q.append(contentsOf: $0.bindMemory(to: Float.self)) } }
        let queryNorms = (0..<nq).map { i in (0..<d).reduce(Float(0)) { $0 + q[i * d + $1] * q[i * d + $1] } }
        let blockRows = ScoringEngine.batchBlockRows
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: nq * blockRows)
        defer { scores.deallocate() }
        let widened: UnsafeMutablePointer<Float>? = matrix.type == .float16
            ? UnsafeMutablePointer<Float>.allocate(capacity: blockRows * d) : nil
        defer { widened?.deallocate() }
        let heaps = UnsafeMutableBufferPointer<TopK>.allocate(capacity: nq)
        heaps.initialize(repeating: TopK(k: k))
        defer { heaps.deinitialize().deallocate() }

        let savedBLASThreads = BLAS.threads
        BLAS.setThreads(threads)
        defer { BLAS.setThreads(savedBLASThreads) }
        let workers = max(1, min(threads, nq))
        q.withUnsafeBufferPointer { qBuffer in
            guard let qBase = qBuffer.baseAddress else { return }
            var start = 0
            while start < n {
                let rows = min(blockRows, n - start)
                let blockBase: UnsafePointer<Float>
                if let widened {
                    let source = matrix.base + start * matrix.rowBytes
                    let stride = matrix.rowBytes
                    let widenPart = { (t: Int) in
                        let per = (rows + workers - 1) / workers
                        for r in (t * per)..<min(rows, (t + 1) * per) {
                            if RowKernels.accelerated {
                                aerie_f16_widen((source + r * stride).assumingMemoryBound(to: UInt16.self), widened + r * d, d)
                            } else {
                                RowKernels.widenRow(source + r * stride, into: widened + r * d, d)
                            }
                        }
                    }
                    parallelFor(workers, widenPart)
                    blockBase = UnsafePointer(widened)
                } else {
                    blockBase = (matrix.base + start * matrix.rowBytes).assumingMemoryBound(to: Float.self)
                }
                // scores (nq, rows) = Q (nq, d) @ block (rows, d)ᵀ
                BLAS.sgemm(m: nq, n: rows, k: d, qBase, blockBase, transposeB: true, scores)
                let blockStart = start
                matrix.inverseNorms.withUnsafeBufferPointer { inv in
                    matrix.squaredNorms.withUnsafeBufferPointer { sq in
                        let select = { (t: Int) in
                            var qi = t
                            while qi < nq {
                                let row = scores + qi * rows
                                var heap = heaps[qi]
                                if metric == .cosine {
                                    for j in 0..<rows {
                                        let key = -row[j] * inv[blockStart + j]
                                        if key <= heap.threshold { heap.offer(key: key, id: blockStart + j) }
                                    }
                                } else {
                                    let qn = queryNorms[qi]
                                    for j in 0..<rows {
                                        let key = qn + sq[blockStart + j] - 2 * row[j]
                                        if key <= heap.threshold { heap.offer(key: key, id: blockStart + j) }
                                    }
                                }
                                heaps[qi] = heap
                                qi += workers
                            }
                        }
                        parallelFor(workers, select)
                    }
                }
                start += rows
            }
        }
        return Array(heaps)
    }
}
