import AerieIndex
import AerieRetrieval
import AerieTerminal
import Foundation

/// The browser's backend over a ``RetrievalSession``: it only translates. A search request
/// becomes the session's query vector (moved by Rocchio when feedback is on) and ranking; a
/// neighbourhood request the session's image→image and image→text neighbours; previews come
/// from the data set's files.
///
/// Image identifiers (and so TREC docnos) are the images' paths relative to the data set's image
/// root, which stay the same when the data set is re-indexed.
public final class SessionBackend: BrowserBackend, @unchecked Sendable {
    public let session: RetrievalSession
    /// Where image files are, or nil when only the index was named (no previews then).
    public let imageRoot: URL?
    let previewer: BrowsePreviewer
    let modelName: String

    /// - Precondition: the session's models are loaded or loadable (the first search loads them).
    public init(session: RetrievalSession, imageRoot: URL?, previewer: BrowsePreviewer) {
        self.session = session
        self.imageRoot = imageRoot
        self.previewer = previewer
        modelName = Self.modelName(session.index.space)
        // Every keystroke scans all image vectors: a float16 shadow halves the bytes read, with
        // results identical to the float32 scan (see VectorMatrix.prepareHalfShadow).
        session.index.imageVectors.prepareHalfShadow()
    }

    /// The status line's model names, from what the index records (no model loaded).
    public static func modelName(_ space: EmbeddingSpace) -> String {
        var names = [space.textEncoder?.name, space.imageEncoder.name].compactMap { $0 }.joined(separator: " + ")
        if let head = space.head { names += " · head \(head.prefix(8))" }
        return names
    }

    /// The status line's corpus, from the index alone.
    public static func corpusInfo(_ index: SearchIndex) -> CorpusInfo {
        CorpusInfo(modelName: modelName(index.space), imageCount: index.images.count, captionCount: index.captions.count)
    }

    public func corpusInfo() -> CorpusInfo { Self.corpusInfo(session.index) }

    public func search(_ request: SearchRequest) throws -> SearchResponse {
        let start = ContinuousClock.now
        var vector = try session.queryVector(line: request.query)
        if let feedback = request.feedback {
            vector = session.rocchio(vector, feedback: RetrievalSession.Feedback(
                relevant: feedback.relevant.map { (path: $0.id, weight: $0.weight) }, nonRelevant: feedback.nonRelevant,
                alpha: feedback.weights.alpha, beta: feedback.weights.beta, gamma: feedback.weights.gamma))
        }
        let items = try session.rank(vector, target: .images, k: request.limit).map { item($0) }
        let elapsed = ContinuousClock.now - start
        return SearchResponse(results: items, milliseconds: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    }

    public func neighbours(of imageID: String, limit: Int) throws -> Neighbours {
        guard let row = session.row(ofImage: imageID) else { throw BackendFailure("image \(imageID) is not in the index") }
        let index = session.index
        let image = index.images[row]
        let near = try session.neighbours(of: imageID, target: .images, k: limit).map { item($0) }
        var captionHits: [CaptionHit] = []
        if index.captionVectors != nil {
            captionHits = try session.neighbours(of: imageID, target: .captions, k: limit).map {
                CaptionHit(text: $0.caption ?? "", imageID: $0.path, score: $0.score)
            }
        }
        let own = session.describe([Hit(id: row, score: 1)], target: .images)[0]
        return Neighbours(image: item(own), captions: image.captionRows.map { index.captions[$0].text },
                          nearestImages: near, nearestCaptions: captionHits)
    }

    public func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage {
        guard let imageRoot else { return .unavailable("no data set named, so no image files") }
        guard session.row(ofImage: imageID) != nil else { return .unavailable("not in the index") }
        return previewer.preview(of: imageRoot.appendingPathComponent(imageID), size: size, mode: mode)
    }

    /// A ranked image as the browser lists it: its first caption, or its class label.
    private func item(_ ranked: RankedItem) -> ResultItem {
        let image = session.index.images[ranked.row]
        let caption = image.captionRows.first.map { session.index.captions[$0].text } ?? image.label ?? ""
        return ResultItem(id: image.path, name: image.path, score: ranked.score, caption: caption)
    }
}
