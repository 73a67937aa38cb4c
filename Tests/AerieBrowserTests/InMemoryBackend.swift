import AerieEvaluation
import AerieCore
import AerieBrowser
import AerieTerminal
import Foundation

/// TEST ONLY: a deterministic in-memory corpus standing in for AerieIndex, so the browser's
/// logic and screens can be tested without models. Scores are word overlaps between the query
/// and each image's captions; `a - b` subtracts; Rocchio feedback adds β·grade to relevant
/// images' scores and subtracts γ for non-relevant ones.
struct InMemoryBackend: BrowserBackend {
    struct Image {
        var id: String
        var name: String
        var captions: [String]
    }

    var images: [Image]
    var model = "test-model"

    static let standard = InMemoryBackend(images: [
        Image(id: "airport_1", name: "airport_1.jpg", captions: ["many planes parked beside the terminal", "an airport with planes"]),
        Image(id: "airport_2", name: "airport_2.jpg", captions: ["two planes near a runway", "a runway and a terminal"]),
        Image(id: "beach_1", name: "beach_1.jpg", captions: ["waves on a sandy beach", "a beach beside the sea"]),
        Image(id: "parking_1", name: "parking_1.jpg", captions: ["a parking lot full of cars", "cars parked in rows"]),
        Image(id: "parking_2", name: "parking_2.jpg", captions: ["an empty parking lot", "a parking lot with few cars"]),
        Image(id: "forest_1", name: "forest_1.jpg", captions: ["dense green forest", "trees of a forest"]),
        Image(id: "river_1", name: "river_1.jpg", captions: ["a river crossing farmland", "a bridge over a river"]),
        Image(id: "port_1", name: "port_1.jpg", captions: ["boats in a port", "ships docked in a harbour beside the terminal"]),
    ])

    func corpusInfo() -> CorpusInfo {
        CorpusInfo(modelName: model, imageCount: images.count, captionCount: images.reduce(0) { $0 + $1.captions.count })
    }

    static func words(_ s: String) -> Set<String> {
        Set(s.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
    }

    func score(_ query: String, _ image: Image) -> Float {
        var positive = query
        var negative = ""
        if let range = query.range(of: " - ") {
            positive = String(query[..<range.lowerBound])
            negative = String(query[range.upperBound...])
        }
        let text = InMemoryBackend.words(image.captions.joined(separator: " "))
        let p = InMemoryBackend.words(positive), n = InMemoryBackend.words(negative)
        let plus = Float(p.intersection(text).count) / Float(max(1, p.count))
        let minus = Float(n.intersection(text).count) / Float(max(1, n.count))
        return plus - (n.isEmpty ? 0 : minus)
    }

    func search(_ request: SearchRequest) throws -> SearchResponse {
        if request.query == "fail" { throw BackendFailure("the index is on fire") }
        var scored = images.map { ($0, score(request.query, $0)) }
        if let feedback = request.feedback {
            let w = feedback.weights
            scored = scored.map { image, s in
                var v = Float(w.alpha) * s
                if let r = feedback.relevant.first(where: { $0.id == image.id }) { v += Float(w.beta * r.weight) }
                if feedback.nonRelevant.contains(image.id) { v -= Float(w.gamma) }
                return (image, v)
            }
        }
        let ranked = scored.filter { $0.1 != 0 }.sorted { a, b in
            a.1 != b.1 ? a.1 > b.1 : a.0.id < b.0.id
        }
        let items: [ResultItem] = ranked.prefix(request.limit).map { pair in
            ResultItem(id: pair.0.id, name: pair.0.name, score: pair.1, caption: pair.0.captions.first ?? "")
        }
        return SearchResponse(results: items, milliseconds: 1.5)
    }

    func neighbours(of imageID: String, limit: Int) throws -> Neighbours {
        guard let image = images.first(where: { $0.id == imageID }) else { throw BackendFailure("no image \(imageID)") }
        let mine = InMemoryBackend.words(image.captions.joined(separator: " "))
        func overlap(_ s: String) -> Float { Float(InMemoryBackend.words(s).intersection(mine).count) / Float(max(1, mine.count)) }
        let otherImages: [Image] = images.filter { $0.id != imageID }
        var others: [(Image, Float)] = otherImages.map { ($0, overlap($0.captions.joined(separator: " "))) }
        others.sort { a, b in a.1 != b.1 ? a.1 > b.1 : a.0.id < b.0.id }
        var captions: [CaptionHit] = []
        for other in otherImages {
            for text in other.captions { captions.append(CaptionHit(text: text, imageID: other.id, score: overlap(text))) }
        }
        captions.sort { a, b in a.score != b.score ? a.score > b.score : a.text < b.text }
        let nearest: [ResultItem] = others.prefix(limit).map { pair in
            ResultItem(id: pair.0.id, name: pair.0.name, score: pair.1, caption: pair.0.captions.first ?? "")
        }
        return Neighbours(
            image: ResultItem(id: image.id, name: image.name, score: 1, caption: image.captions.first ?? ""),
            captions: image.captions,
            nearestImages: nearest,
            nearestCaptions: Array(captions.prefix(limit)))
    }

    /// A preview whose cells spell the image's initial, so golden screens show which image is
    /// previewed.
    func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage {
        guard let initial = imageID.first else { return .unavailable("empty id") }
        let w = min(size.width, 12), h = min(size.height, 4)
        guard w > 0, h > 0 else { return .unavailable("no room") }
        let glyph: Character = mode == .ascii ? initial : "▚"
        let cells = (0..<(w * h)).map { _ in AerieTerminal.Cell(glyph: glyph, foreground: .palette(2), background: .none) }
        return .rendered(.cells(CellGrid(columns: w, rows: h, colorMode: .palette16, cells: cells)))
    }
}

/// TEST ONLY: runs the browser's effects synchronously against the in-memory backend and an
/// in-memory label store, recording them, so a test reads like a session.
struct Session {
    var state: BrowserState
    let backend: InMemoryBackend
    let store: InMemoryLabels
    var effects: [Effect] = []
    var timers: [Int] = []
    /// When set, label writes wait in `heldWrites` until `landWrites` (a slow disk, a burst).
    var holdLabelWrites = false
    var heldWrites: [LabelChange] = []

    init(size: Size = Size(width: 80, height: 24), backend: InMemoryBackend = .standard,
         config: BrowserConfig = BrowserConfig(), store: InMemoryLabels? = nil) throws {
        self.backend = backend
        self.store = store ?? InMemoryLabels()
        state = BrowserState(config: config, info: backend.corpusInfo(), size: size, previewMode: .symbols)
        let start = Browser.start(&state)
        run(start)
    }

    /// Sends a message and runs every effect it causes (timers are kept until `fireTimers`).
    mutating func send(_ message: Message) {
        run(Browser.update(&state, message))
    }

    mutating func type(_ text: String) {
        for c in text { send(.key(.character(c))) }
    }

    mutating func press(_ keys: Key...) {
        for k in keys { send(.key(k)) }
    }

    /// Lets the first `count` held label writes land (all when nil), oldest first; with
    /// `failing`, each fails with that reason instead.
    mutating func landWrites(_ count: Int? = nil, failing reason: String? = nil) {
        let landing = Array(heldWrites.prefix(count ?? heldWrites.count))
        heldWrites.removeFirst(landing.count)
        for change in landing {
            if let reason {
                send(.labelFailed(change, reason))
            } else {
                try? store.apply(change)
                send(.labelSaved(change))
            }
        }
    }

    /// Lets every pending debounce timer run out, oldest first.
    mutating func fireTimers() {
        let pending = timers
        timers = []
        for g in pending { send(.debounceElapsed(generation: g)) }
    }

    private mutating func run(_ new: [Effect]) {
        effects += new
        for effect in new {
            switch effect {
            case let .debounce(generation, _): timers.append(generation)
            case let .search(request, generation):
                let result: Result<SearchResponse, BackendFailure>
                do { result = .success(try backend.search(request)) } catch { result = .failure(BackendFailure(error)) }
                send(.searchFinished(generation: generation, result))
            case let .loadNeighbours(id, limit, token):
                let result: Result<Neighbours, BackendFailure>
                do { result = .success(try backend.neighbours(of: id, limit: limit)) } catch { result = .failure(BackendFailure(error)) }
                send(.neighboursLoaded(token: token, result))
            case let .loadPreview(key):
                let image = (try? backend.preview(of: key.imageID, size: key.size, mode: key.mode)) ?? .unavailable("error")
                send(.previewLoaded(key, image))
            case let .saveLabel(change) where holdLabelWrites:
                heldWrites.append(change)
            case let .saveLabel(change):
                do {
                    try store.apply(change)
                    send(.labelSaved(change))
                } catch {
                    send(.labelFailed(change, String(describing: error)))
                }
            case .loadLabels:
                send(.labelsLoaded(Result { try store.allLabels() }.mapError { BackendFailure($0) }))
            case .loadHistory:
                send(.historyLoaded((try? store.history(limit: 500)) ?? []))
            case let .appendHistory(q):
                try? store.appendHistory(q)
            case .quit:
                break
            }
        }
    }

    var screen: Screen { Browser.view(state, size: state.size) }
}

/// TEST ONLY: labels and history in memory, behind the protocol the runtime writes through
/// (the SQLite store has its own tests in AerieIndexTests).
final class InMemoryLabels: LabelRecording {
    private struct Contents {
        var topics: [String] = []
        var grades: [LabelKey: Int] = [:]
        var history: [String] = []
    }
    private let contents = Locked(Contents())

    func apply(_ change: LabelChange) throws {
        contents.update { c in
            if !c.topics.contains(change.key.query) { c.topics.append(change.key.query) }
            c.grades[change.key] = change.grade
        }
    }

    func allLabels() throws -> [Label] {
        contents.get().grades.map { Label(query: $0.key.query, imageID: $0.key.imageID, grade: $0.value) }
            .sorted { a, b in
                let c = contents.get()
                let ta = c.topics.firstIndex(of: a.query) ?? 0, tb = c.topics.firstIndex(of: b.query) ?? 0
                return ta != tb ? ta < tb : a.imageID < b.imageID
            }
    }

    func history(limit: Int) throws -> [String] {
        var seen = Set<String>(), newestFirst: [String] = []
        for q in contents.get().history.reversed() where seen.insert(q).inserted {
            newestFirst.append(q)
            if newestFirst.count == limit { break }
        }
        return newestFirst.reversed()
    }

    func appendHistory(_ query: String) throws {
        contents.update { c in if c.history.last != query { c.history.append(query) } }
    }
}
