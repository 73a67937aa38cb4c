import AerieIndex
import ArgumentParser
import Dispatch
import Foundation

/// `aerie-bench search`: queries per second of the scoring engine against faiss, and the fp32
/// single-query rate as a fraction of the memory read bandwidth, all measured in one run.
struct SearchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Brute-force search queries/s vs faiss IndexFlatIP, and vs memory bandwidth.",
        discussion: """
            Random 512-d vectors, fp32 / fp16 / binary, one query at a time and in batches. \
            faiss runs in a Python subprocess with the same thread count on data of the same \
            shape: AERIE_BENCH_PYTHON names its interpreter, else a virtual environment with \
            faiss-cpu is made under ${XDG_CACHE_HOME:-~/.cache}/aerie/bench-venv.
            """
    )

    @Option(help: "Comma-separated row counts.")
    var sizes: String = "100000,1000000"
    @Option(help: "Vector dimension.")
    var dimension: Int = 512
    @Option(help: "Threads for Aerie and faiss (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Queries in a batch.")
    var batch: Int = 64
    @Option(help: "Repetitions; the best is kept (shared machines are noisy).")
    var repeats: Int = 3
    @Flag(help: "Skip faiss.")
    var noFaiss = false

    func run() throws {
        let rowCounts = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !rowCounts.isEmpty else { throw ValidationError("--sizes needs row counts, e.g. 100000,1000000") }
        let engine = ScoringEngine(threads: threads)
        print("search benchmark: d=\(dimension), threads=\(threads), batch=\(batch), best of \(repeats); kernels: \(ScoringEngine.kernelPaths)")
        var ours: [String: Double] = [:]
        var share: BandwidthShare?
        for n in rowCounts {
            var values = randomValues(count: n * dimension, seed: UInt64(n))
            let queries = (0..<batch).map { q in Array(values[(q * dimension)..<((q + 1) * dimension)]).map { $0 + 0.01 } }
            let fp32 = VectorMatrix(float32: values, dimension: dimension)
            let fp16 = VectorMatrix(float16From: values, dimension: dimension)
            let binary = VectorMatrix(binaryFrom: values, dimension: dimension)
            values = []
            for (name, matrix, metric) in [("fp32", fp32, Metric.cosine), ("fp16", fp16, .cosine), ("binary", binary, .hamming)] {
                let singleQueries = max(3, min(batch, Int(2e8) / (n * matrix.rowBytes / 64 + 1)))
                let single = best(repeats) {
                    for q in 0..<singleQueries { _ = try? engine.search(queries[q % batch], in: matrix, k: 10, metric: metric) }
                } .map { Double(singleQueries) / $0 } ?? 0
                let batched = best(repeats) {
                    _ = try? engine.search(batch: queries, in: matrix, k: 10, metric: metric)
                } .map { Double(batch) / $0 } ?? 0
                ours["\(name) \(n) single"] = single
                ours["\(name) \(n) batch"] = batched
            }
            if n == rowCounts.max() {
                share = interleavedShare(fp32, queries: queries, engine: engine, rounds: max(5, 2 * repeats + 1))
            }
        }
        let reference = noFaiss ? [:] : try runFaiss(rowCounts)
        print("")
        print(pad("case", 26) + pad("aerie q/s", 12) + pad("faiss q/s", 12) + "ratio   (faiss index)")
        for n in rowCounts {
            for name in ["fp32", "fp16", "binary"] {
                for mode in ["single", "batch"] {
                    let key = "\(name) \(n) \(mode)"
                    let a = ours[key] ?? 0
                    let f = reference[key]
                    let ratio = f.map { String(format: "%.2fx", a / $0) } ?? "-"
                    let faissName = ["fp32": "IndexFlatIP", "fp16": "IndexScalarQuantizer fp16 IP", "binary": "IndexBinaryFlat"][name] ?? ""
                    print(pad(key, 26) + pad(String(format: "%.1f", a), 12) + pad(f.map { String(format: "%.1f", $0) } ?? "-", 12)
                          + pad(ratio, 8) + faissName)
                }
            }
        }
        if let n = rowCounts.max(), let share {
            print(String(format: "\nfp32 single-query scan vs memory read bandwidth at %d rows, %d threads, %d interleaved rounds:", n, threads, share.rounds.count))
            print(String(format: "  read bandwidth (streaming SIMD sum), median: %.2f GB/s", share.bandwidth / 1e9))
            print(String(format: "  fp32 single-query scan, median:             %.2f GB/s", share.scan / 1e9))
            print(String(format: "  share: %.0f%% (medians); %.0f%% (median of the rounds' own shares: %@)",
                         100 * share.scan / share.bandwidth, 100 * share.pairedShare,
                         share.rounds.map { String(format: "%.0f%%", 100 * $0.scan / $0.bandwidth) }.joined(separator: " ")))
        }
    }

    /// Medians of alternating bandwidth and fp32 scan measurements (bytes/s), and each round's pair.
    struct BandwidthShare {
        var rounds: [(bandwidth: Double, scan: Double)]
        var bandwidth: Double { median(rounds.map(\.bandwidth)) }
        var scan: Double { median(rounds.map(\.scan)) }
        var pairedShare: Double { median(rounds.map { $0.scan / $0.bandwidth }) }

        private func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }

    /// The fp32 single-query scan rate and the read bandwidth of the same memory, measured in
    /// alternation (the order flipping each round) over equal amounts of data, so that load from
    /// other processes on a shared machine hits both alike; a single best-of bandwidth figure
    /// taken apart from the scans swung the share between 54 % and 140 %.
    private func interleavedShare(_ matrix: VectorMatrix, queries: [[Float]], engine: ScoringEngine, rounds: Int) -> BandwidthShare {
        let bytes = Double(matrix.bytes.count)
        // About 4 GB per measurement (two queries at 1M rows), at least two passes.
        let passes = max(2, Int(4e9 / bytes))
        var measured: [(bandwidth: Double, scan: Double)] = []
        for round in 0..<rounds {
            var bandwidth = 0.0, scan = 0.0
            for step in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                if step == 0 {
                    let seconds = time { for _ in 0..<passes { readPass(matrix.bytes, threads: threads) } }
                    bandwidth = Double(passes) * readBytes(matrix.bytes.count, threads: threads) / seconds
                } else {
                    let seconds = time {
                        for q in 0..<passes { _ = try? engine.search(queries[q % queries.count], in: matrix, k: 10, metric: .cosine) }
                    }
                    scan = Double(passes) * bytes / seconds
                }
            }
            measured.append((bandwidth, scan))
        }
        return BandwidthShare(rounds: measured)
    }

    private func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

    /// Seconds of the fastest of `repeats` runs.
    private func best(_ repeats: Int, _ body: () -> Void) -> Double? {
        var fastest: Double?
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            fastest = min(fastest ?? seconds, seconds)
        }
        return fastest
    }

    /// Uniform values in [-1, 1) from a xorshift generator (fast enough for 500M values).
    private func randomValues(count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                buffer[i] = Float(state >> 40) * 0x1p-23 - 1
            }
            initialized = count
        }
    }

    /// Bytes one ``readPass(_:threads:)`` reads: each thread's equal share, whole 64-byte lines.
    private func readBytes(_ count: Int, threads: Int) -> Double { Double((count / 64 / threads) * 64 * threads) }

    /// One streaming read (16-wide SIMD sum) over `bytes`, split between `threads`.
    private func readPass(_ bytes: UnsafeRawBufferPointer, threads: Int) {
        guard let base = bytes.baseAddress else { return }
        let box = ReadTarget(base: base, count: bytes.count)
        let sink = SumSink(threads: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let chunk = (box.count / 64 / threads) * 64
            let start = box.base + t * chunk
            var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
            var offset = 0
            while offset + 128 <= chunk {
                acc0 += start.load(fromByteOffset: offset, as: SIMD16<Float>.self)
                acc1 += start.load(fromByteOffset: offset + 64, as: SIMD16<Float>.self)
                offset += 128
            }
            sink.store((acc0 + acc1).sum(), at: t)
        }
    }

    /// Runs faiss in Python on data of the same shapes; returns queries/s by case.
    private func runFaiss(_ rowCounts: [Int]) throws -> [String: Double] {
        let python = try faissPython()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-faiss-\(getpid()).py")
        try SearchBenchmark.faissScript.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, rowCounts.map(String.init).joined(separator: ","), "\(dimension)", "\(threads)", "\(batch)", "\(repeats)"]
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_NUM_THREADS"] = "\(threads)"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("faiss reference failed (exit \(process.terminationStatus))") }
        var result: [String: Double] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2, let value = Double(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// The Python that has faiss: AERIE_BENCH_PYTHON, or a venv made under the cache directory.
    private func faissPython() throws -> String {
        if let python = ProcessInfo.processInfo.environment["AERIE_BENCH_PYTHON"], !python.isEmpty { return python }
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        let venv = cache + "/aerie/bench-venv"
        let python = venv + "/bin/python"
        if !FileManager.default.fileExists(atPath: python) {
            print("creating \(venv) with faiss-cpu from PyPI …")
            for arguments in [["python3", "-m", "venv", venv], [python, "-m", "pip", "install", "-q", "faiss-cpu", "numpy"]] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    throw ValidationError("could not set up faiss: `\(arguments.joined(separator: " "))` failed")
                }
            }
        }
        return python
    }

    static let faissScript = """
        import sys, time
        import numpy as np, faiss
        sizes = [int(s) for s in sys.argv[1].split(",")]
        d, threads, batch, repeats = (int(a) for a in sys.argv[2:6])
        faiss.omp_set_num_threads(threads)
        rng = np.random.default_rng(0)
        def best(body):
            times = []
            for _ in range(max(1, repeats)):
                t = time.perf_counter(); body(); times.append(time.perf_counter() - t)
            return min(times)
        for n in sizes:
            x = rng.uniform(-1, 1, size=(n, d)).astype(np.float32)
            q = (x[:batch] + 0.01).astype(np.float32)
            ip = faiss.IndexFlatIP(d); ip.add(x)
            sq = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            sq.train(x[:1000]); sq.add(x)
            codes = np.packbits(x > 0, axis=1, bitorder="little"); qcodes = np.packbits(q > 0, axis=1, bitorder="little")
            del x
            bi = faiss.IndexBinaryFlat(d); bi.add(codes)
            for name, index, queries, row_bytes in (("fp32", ip, q, d * 4), ("fp16", sq, q, d * 2), ("binary", bi, qcodes, d // 8)):
                singles = max(3, min(batch, int(2e8) // (n * row_bytes // 64 + 1)))
                s = best(lambda: [index.search(queries[i % batch:i % batch + 1], 10) for i in range(singles)])
                b = best(lambda: index.search(queries, 10))
                print(f"{name} {n} single\\t{singles / s}")
                print(f"{name} {n} batch\\t{batch / b}")
            sys.stdout.flush()
        """
}

/// A read-only buffer shared by the bandwidth threads.
private struct ReadTarget: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
}

/// One slot per thread so the bandwidth loop's sums are used and not optimised away.
private final class SumSink: @unchecked Sendable {
    private var sums: [Float]
    private let lock = NSLock()
    init(threads: Int) { sums = [Float](repeating: 0, count: threads) }
    func store(_ value: Float, at index: Int) {
        lock.lock(); sums[index] += value; lock.unlock()
    }
}
