import AerieBrowser
import AerieDatasets
import AerieIndex
import AerieTerminal
import ArgumentParser
import Foundation

/// The browser's backend over a persisted index (AerieIndex), the encoders and the joint head:
/// text and query arithmetic → joint vector → ranked images; Rocchio feedback on the stored
/// image vectors; neighbours image→image and image→text; previews from the data set's files.
///
/// Image identifiers (and so TREC docnos) are the images' paths relative to the data set's
/// image root, which stay the same when the data set is re-indexed.
final class IndexBrowserBackend: BrowserBackend, @unchecked Sendable {
    let index: SearchIndex
    let encoder: QueryEncoder
    /// Where image files are, or nil when only the index was named (no previews then).
    let imageRoot: URL?
    let previewer: BrowsePreviewer
    let modelName: String
    private let engine = ScoringEngine()
    private let rowOfPath: [String: Int]
    /// The last text → vector encoding, so feedback toggles and repeated searches skip the encoder.
    private let lastEncoding = LockedValue<(String, [Float])?>(nil)

    init(index: SearchIndex, encoder: QueryEncoder, imageRoot: URL?, previewer: BrowsePreviewer) {
        self.index = index
        self.encoder = encoder
        self.imageRoot = imageRoot
        self.previewer = previewer
        var names = [encoder.text?.identity.name, encoder.image.identity.name].compactMap { $0 }.joined(separator: " + ")
        if let head = encoder.head { names += " · head \(head.identity.prefix(8))" }
        modelName = names
        rowOfPath = Dictionary(index.images.map { ($0.path, $0.row) }, uniquingKeysWith: { a, _ in a })
        // Every keystroke scans all image vectors: a float16 shadow halves the bytes read, with
        // results identical to the float32 scan (see VectorMatrix.prepareHalfShadow).
        index.imageVectors.prepareHalfShadow()
    }

    func corpusInfo() -> CorpusInfo {
        CorpusInfo(modelName: modelName, imageCount: index.images.count, captionCount: index.captions.count)
    }

    /// The joint vector of a query line (rclip arithmetic: `"parking lot" - cars + ./img.jpg`).
    func queryVector(_ query: String) throws -> [Float] {
        if let (text, vector) = lastEncoding.get(), text == query { return vector }
        let expression = try QueryExpression.parse([query]) { term in
            let expanded = NSString(string: term).expandingTildeInPath
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let vector = try encoder.vector(for: expression)
        lastEncoding.set((query, vector))
        return vector
    }

    func search(_ request: SearchRequest) throws -> SearchResponse {
        let start = ContinuousClock.now
        var vector = try queryVector(request.query)
        if let feedback = request.feedback {
            vector = rocchio(vector, feedback)
        }
        let hits = try index.search(vector, target: .images, k: request.limit, engine: engine)
        let items = hits.map { item(row: $0.id, score: $0.score) }
        let elapsed = ContinuousClock.now - start
        return SearchResponse(results: items, milliseconds: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    }

    /// Rocchio: `α·q + β·Σ wᵢ·dᵢ / Σ wᵢ − γ·mean(non-relevant)`, on unit vectors, renormalised.
    func rocchio(_ query: [Float], _ feedback: FeedbackRequest) -> [Float] {
        let d = query.count
        let unitQuery = RetrievalEvaluation.l2Normalised(query, d)
        var out = unitQuery.map { Float(feedback.weights.alpha) * $0 }
        let relevant = feedback.relevant.compactMap { r in rowOfPath[r.id].map { ($0, r.weight) } }
        let totalWeight = relevant.reduce(0) { $0 + $1.1 }
        if totalWeight > 0 {
            for (row, weight) in relevant {
                let v = RetrievalEvaluation.l2Normalised(index.imageVectors.row(row), d)
                let scale = Float(feedback.weights.beta * weight / totalWeight)
                for i in 0..<d { out[i] += scale * v[i] }
            }
        }
        let nonRelevant = feedback.nonRelevant.compactMap { rowOfPath[$0] }
        if !nonRelevant.isEmpty {
            let scale = Float(feedback.weights.gamma / Double(nonRelevant.count))
            for row in nonRelevant {
                let v = RetrievalEvaluation.l2Normalised(index.imageVectors.row(row), d)
                for i in 0..<d { out[i] -= scale * v[i] }
            }
        }
        return RetrievalEvaluation.l2Normalised(out, d)
    }

    func neighbours(of imageID: String, limit: Int) throws -> Neighbours {
        guard let row = rowOfPath[imageID] else { throw BackendFailure("image \(imageID) is not in the index") }
        let image = index.images[row]
        let vector = index.imageVectors.row(row)
        let near = try index.search(vector, target: .images, k: limit + 1, engine: engine)
            .filter { $0.id != row }.prefix(limit).map { item(row: $0.id, score: $0.score) }
        var captionHits: [CaptionHit] = []
        if index.captionVectors != nil {
            captionHits = try index.search(vector, target: .captions, k: limit, engine: engine).map { hit in
                let caption = index.captions[hit.id]
                return CaptionHit(text: caption.text, imageID: index.images[caption.imageRow].path, score: hit.score)
            }
        }
        return Neighbours(image: item(row: row, score: 1),
                          captions: image.captionRows.map { index.captions[$0].text },
                          nearestImages: Array(near), nearestCaptions: captionHits)
    }

    func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage {
        guard let imageRoot else { return .unavailable("no data set named, so no image files") }
        guard rowOfPath[imageID] != nil else { return .unavailable("not in the index") }
        return previewer.preview(of: imageRoot.appendingPathComponent(imageID), size: size, mode: mode)
    }

    private func item(row: Int, score: Float) -> ResultItem {
        let image = index.images[row]
        let caption = image.captionRows.first.map { index.captions[$0].text } ?? image.label ?? ""
        return ResultItem(id: image.path, name: image.path, score: score, caption: caption)
    }
}

/// A value behind a lock.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: Value) { lock.lock(); value = v; lock.unlock() }
}

/// Opens what `aerie browse` searches.
enum BrowseCorpus {
    /// Loads the data set (when named), indexes it first when it has no complete index yet
    /// (with `aerie index`'s progress), opens the index and the models it was built with.
    /// With neither a data set nor `--index`, opens the bundled corpus (`assets/corpus`, found
    /// by ``Assets``), which carries its own head.
    static func open(dataset named: String?, options: IndexModelOptions, previewer: BrowsePreviewer,
                     progress: (String) -> Void) throws -> IndexBrowserBackend {
        let opened = try openIndex(dataset: named, options: options, progress: progress)
        return try loadModels(for: opened, options: options, previewer: previewer)
    }

    /// An open index, the data set it was built from (nil with `--index` alone) and its images' root.
    struct OpenedIndex: @unchecked Sendable {
        var index: SearchIndex
        var dataset: String?
        var imageRoot: URL?

        /// The status line's model and corpus, from what the index records (no model loaded).
        var corpusInfo: CorpusInfo {
            let space = index.space
            var names = [space.textEncoder?.name, space.imageEncoder.name].compactMap { $0 }.joined(separator: " + ")
            if let head = space.head { names += " · head \(head.prefix(8))" }
            return CorpusInfo(modelName: names, imageCount: index.images.count, captionCount: index.captions.count)
        }
    }

    /// The first half of ``open(dataset:options:previewer:progress:)``: the data set (indexed first
    /// when it has no complete index yet) and its index, without the models.
    static func openIndex(dataset named: String?, options: IndexModelOptions, progress: (String) -> Void) throws -> OpenedIndex {
        var dataset = named
        if dataset == nil, options.index == nil {
            dataset = try Assets.corpusDirectory().path
        }
        var imageRoot: URL?
        var location: IndexLocation
        if let dataset {
            let data = try options.loadDataset(dataset)
            imageRoot = data.imageRoot
            location = try options.location(forDataset: URL(fileURLWithPath: dataset))
            if (try? SearchIndex(location: location, verifyPayload: false)) == nil {
                progress("aerie: \(named ?? "the bundled corpus (\(dataset))") has no index yet; indexing it first")
                var arguments = [dataset, "--index", location.directory.path]
                if let root = options.imageRoot { arguments += ["--images", root] }
                if let models = options.models { arguments += ["--models", models] }
                if let head = options.head { arguments += ["--head", head] }
                let command = try Index.parse(arguments)
                try command.run()
            }
        } else if options.index != nil {
            location = try options.location(forDataset: nil)
        } else {
            throw ValidationError("name a data set to browse (or an index with --index DIR)")
        }
        return OpenedIndex(index: try SearchIndex(location: location), dataset: dataset, imageRoot: imageRoot)
    }

    /// The second half of ``open(dataset:options:previewer:progress:)``: the models the index was
    /// built with (checked against the index's space) and the backend over both.
    static func loadModels(for opened: OpenedIndex, options: IndexModelOptions, previewer: BrowsePreviewer) throws -> IndexBrowserBackend {
        let index = opened.index
        let models = try options.loadModels(needText: true, dataset: opened.dataset)
        try index.requireSpace(EmbeddingSpace(imageEncoder: models.image.identity, textEncoder: models.text?.identity,
                                              head: models.head?.identity, dimension: index.space.dimension))
        return IndexBrowserBackend(index: index, encoder: QueryEncoder(image: models.image, text: models.text, head: models.head),
                                   imageRoot: opened.imageRoot, previewer: previewer)
    }
}
