import AerieCore
import AerieBrowser
import AerieIndex
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie-bench browse-latency`: keystroke → redrawn results latency of the browser, and time
/// to first frame, at 10k and 100k images.
///
/// Each keystroke of a scripted session (typing, deleting, retyping queries) goes through the
/// browser's real loop: `Browser.update` with the key, the search effect executed at once (the
/// debounce wait is a deliberate pause, excluded and reported separately), AerieIndex's scoring
/// engine ranking the synthetic corpus, `Browser.update` with the answer, `Browser.view`, and the
/// runtime's cell diff against the previous frame. The reference measured in the same run is the
/// engine's search alone for the same queries: the ratio is what the browser adds on top.
///
/// The corpus is synthetic (seeded unit vectors); the query vector is a seeded random embedding
/// of the query's words, standing in for the text encoder, whose cost this does not include.
struct BrowseLatencyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "browse-latency",
        abstract: "Browser keystroke-to-frame latency (p50/p95) and first-frame time, 10k and 100k images."
    )

    @Option(help: "Corpus sizes, comma separated.") var sizes: String = "10000,100000"
    @Option(help: "Embedding dimension.") var dimension: Int = 384
    @Option(help: "Keystrokes measured per size.") var keystrokes: Int = 300
    @Option(help: "Terminal size, WxH.") var terminal: String = "120x40"
    @Option(help: "Random seed.") var seed: UInt64 = 7

    static let targetP95Milliseconds = 30.0
    static let targetFirstFrameMilliseconds = 500.0

    func run() throws {
        let corpusSizes = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let parts = terminal.split(separator: "x").compactMap { Int($0) }
        guard !corpusSizes.isEmpty, corpusSizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--sizes needs positive integers") }
        guard parts.count == 2 else { throw ValidationError("--terminal is WxH, e.g. 120x40") }
        let size = Size(width: parts[0], height: parts[1])
        print("browse-latency: \(dimension)-d synthetic vectors, terminal \(size), \(keystrokes) keystrokes per size, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        for n in corpusSizes {
            try measure(count: n, size: size)
        }
    }

    private func measure(count: Int, size: Size) throws {
        let clock = ContinuousClock()
        let buildStart = clock.now
        let backend = SyntheticCorpus(count: count, dimension: dimension, seed: seed)
        let buildSeconds = (clock.now - buildStart).seconds

        // First frame: state, start effects (labels and history from an empty store), view, and
        // a full draw (every cell differs from nothing).
        let labels = try LabelStore()
        let firstStart = clock.now
        var state = BrowserState(info: backend.corpusInfo(), size: size, previewMode: .symbols)
        for effect in Browser.start(&state) {
            switch effect {
            case .loadLabels: _ = Browser.update(&state, .labelsLoaded(.success(try labels.allLabels())))
            case .loadHistory: _ = Browser.update(&state, .historyLoaded(try labels.history()))
            default: break
            }
        }
        var previous = Browser.view(state, size: size)
        _ = FrameDiff.changedCells(from: nil, to: previous)
        let firstFrame = (clock.now - firstStart).seconds * 1000

        var frameTimes: [Double] = []
        var engineTimes: [Double] = []
        var changed = 0
        let script = KeystrokeScript(length: keystrokes)
        for key in script.keys {
            let t0 = clock.now
            var pending = Browser.update(&state, .key(key))
            var searched = false
            while let effect = pending.first {
                pending.removeFirst()
                switch effect {
                case let .debounce(generation, _):
                    pending += Browser.update(&state, .debounceElapsed(generation: generation))
                case let .search(request, generation):
                    let result = Result { try backend.search(request) }.mapError { BackendFailure($0) }
                    searched = true
                    pending += Browser.update(&state, .searchFinished(generation: generation, result))
                default:
                    break  // previews and history are asynchronous in the runtime: not on this path
                }
            }
            let screen = Browser.view(state, size: size)
            changed += FrameDiff.changedCells(from: previous, to: screen)
            previous = screen
            let elapsed = (clock.now - t0).seconds * 1000
            if searched {
                frameTimes.append(elapsed)
                let query = state.trimmedQuery
                let e0 = clock.now
                _ = try backend.engineOnly(query)
                engineTimes.append((clock.now - e0).seconds * 1000)
            }
        }
        let p50 = percentile(frameTimes, 0.50), p95 = percentile(frameTimes, 0.95)
        let e50 = percentile(engineTimes, 0.50), e95 = percentile(engineTimes, 0.95)
        print("  \(count) images (corpus built in \(String(format: "%.2f", buildSeconds)) s):")
        print(String(format: "    keystroke → redrawn results: p50 %.2f ms  p95 %.2f ms  over %d searches (target p95 < %.0f ms: %@)",
                     p50, p95, frameTimes.count, Self.targetP95Milliseconds, p95 < Self.targetP95Milliseconds ? "met" : "MISSED"))
        print(String(format: "    reference, engine search alone: p50 %.2f ms  p95 %.2f ms; browser overhead ratio p50 %.2fx",
                     e50, e95, e50 > 0 ? p50 / e50 : 0))
        print(String(format: "    first frame: %.2f ms (target < %.0f ms: %@); mean %.0f cells redrawn per keystroke; debounce adds %d ms by design",
                     firstFrame, Self.targetFirstFrameMilliseconds, firstFrame < Self.targetFirstFrameMilliseconds ? "met" : "MISSED",
                     Double(changed) / Double(max(1, script.keys.count)), BrowserConfig().debounceMilliseconds))
    }

    private func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * p).rounded())))
        return sorted[index]
    }
}

/// What the runtime writes per frame: the number of cells that differ from the last frame.
enum FrameDiff {
    static func changedCells(from old: Screen?, to new: Screen) -> Int {
        guard let old, old.size == new.size else { return new.cells.count }
        var n = 0
        for i in new.cells.indices where new.cells[i] != old.cells[i] { n += 1 }
        return n
    }
}

/// A scripted session: queries typed letter by letter, words deleted with Ctrl-W, retyped.
struct KeystrokeScript {
    let keys: [Key]
    init(length: Int) {
        let queries = ["planes parked beside the terminal", "a parking lot full of cars", "dense green forest near a river",
                       "ships docked in a harbour", "a stadium surrounded by buildings"]
        var keys: [Key] = []
        var q = 0
        while keys.count < length {
            let text = queries[q % queries.count]
            keys += text.map { Key.character($0) }
            keys += [.control("w"), .control("w")]
            keys += "again".map { Key.character($0) }
            keys.append(.control("u"))
            q += 1
        }
        self.keys = Array(keys.prefix(length))
    }
}

/// BENCHMARK ONLY: a synthetic corpus of seeded unit vectors ranked by AerieIndex's scoring
/// engine; queries are embedded by summing seeded random vectors of their words (a stand-in for
/// the text encoder, so only the browser and the engine are measured).
final class SyntheticCorpus: BrowserBackend, @unchecked Sendable {
    let count: Int
    let dimension: Int
    let matrix: VectorMatrix
    let engine = ScoringEngine()
    let seed: UInt64

    init(count: Int, dimension: Int, seed: UInt64) {
        self.count = count
        self.dimension = dimension
        self.seed = seed
        var generator = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            for j in 0..<dimension { values[row * dimension + j] = generator.nextGaussian() }
        }
        L2.normalizeRows(&values, dimension: dimension, floor: 1e-12, scaling: .reciprocal)
        matrix = VectorMatrix(float32: values, dimension: dimension)
        matrix.prepareHalfShadow()  // as the browser's backend does (IndexBrowserBackend)
    }

    func corpusInfo() -> CorpusInfo { CorpusInfo(modelName: "synthetic-\(dimension)d", imageCount: count, captionCount: count * 5) }

    func embed(_ query: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        for word in query.lowercased().split(separator: " ") {
            var h: UInt64 = seed
            for b in word.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
            var g = SplitMix64(seed: h)
            for j in 0..<dimension { vector[j] += g.nextGaussian() }
        }
        return vector
    }

    func engineOnly(_ query: String) throws -> [Hit] {
        try engine.search(embed(query), in: matrix, k: 200, metric: .cosine)
    }

    func search(_ request: SearchRequest) throws -> SearchResponse {
        let start = ContinuousClock.now
        let hits = try engine.search(embed(request.query), in: matrix, k: request.limit, metric: .cosine)
        let items = hits.map { ResultItem(id: String($0.id), name: "synthetic_\($0.id).jpg", score: $0.score, caption: "synthetic scene \($0.id)") }
        return SearchResponse(results: items, milliseconds: (ContinuousClock.now - start).seconds * 1000)
    }

    func neighbours(of imageID: String, limit: Int) throws -> Neighbours {
        throw BackendFailure("the synthetic corpus has no captions")
    }

    func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage {
        .unavailable("synthetic")
    }
}
