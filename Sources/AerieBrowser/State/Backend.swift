import AerieTerminal

/// What the browser asks of the search engine. The runtime calls it on a background worker to
/// carry out the browser's effects; the view never sees it.
///
/// Implementations: the CLI's adapter over AerieIndex (the real corpus) and, in tests only, a
/// deterministic in-memory corpus. Every method may be called from any thread, one call at a
/// time per kind of effect. Strings returned are untrusted: the view sanitizes them.
public protocol BrowserBackend: Sendable {
    /// The model and corpus, for the status line.
    func corpusInfo() -> CorpusInfo

    /// Ranks the corpus for a query (rclip-style arithmetic in `request.query` is parsed by the
    /// backend), optionally re-ranked with Rocchio relevance feedback.
    func search(_ request: SearchRequest) throws -> SearchResponse

    /// An image's own captions, its nearest images (image → image) and its nearest captions
    /// (image → text).
    func neighbours(of imageID: String, limit: Int) throws -> Neighbours

    /// The image rendered for the terminal in at most `size` cells.
    func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage
}

/// The model and corpus the browser searches.
public struct CorpusInfo: Hashable, Sendable {
    public var modelName: String
    public var imageCount: Int
    public var captionCount: Int
    public init(modelName: String, imageCount: Int, captionCount: Int) {
        self.modelName = modelName
        self.imageCount = imageCount
        self.captionCount = captionCount
    }
}

/// Rocchio relevance feedback: the query vector becomes
/// `α·q + β·mean(relevant) − γ·mean(non-relevant)` before ranking.
///
/// The browser sends the labelled image ids; the vector maths belongs to the backend (which
/// has the vectors). Grades above 0 count as relevant, weighted by grade; grade 0 (or "not
/// relevant") counts as non-relevant.
public struct RocchioWeights: Hashable, Sendable {
    public var alpha: Double
    public var beta: Double
    public var gamma: Double
    public init(alpha: Double = 1.0, beta: Double = 0.75, gamma: Double = 0.15) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
    }
}

/// A relevance-feedback request: the labels of the current query.
public struct FeedbackRequest: Hashable, Sendable {
    /// Relevant images and their weights (the grade, 1–3).
    public var relevant: [WeightedID]
    /// Images marked not relevant.
    public var nonRelevant: [String]
    public var weights: RocchioWeights

    public struct WeightedID: Hashable, Sendable {
        public var id: String
        public var weight: Double
        public init(id: String, weight: Double) {
            self.id = id
            self.weight = weight
        }
    }

    public init(relevant: [WeightedID], nonRelevant: [String], weights: RocchioWeights) {
        self.relevant = relevant
        self.nonRelevant = nonRelevant
        self.weights = weights
    }
}

/// A search: the query text as typed, how many results, and optional feedback.
public struct SearchRequest: Hashable, Sendable {
    public var query: String
    public var limit: Int
    public var feedback: FeedbackRequest?
    public init(query: String, limit: Int, feedback: FeedbackRequest? = nil) {
        self.query = query
        self.limit = limit
        self.feedback = feedback
    }
}

/// One ranked image.
public struct ResultItem: Hashable, Sendable {
    /// The image's identifier in the corpus (also the TREC docno of its labels).
    public var id: String
    /// The file name shown.
    public var name: String
    public var score: Float
    /// Its first caption, or its class label when it has no caption.
    public var caption: String
    public init(id: String, name: String, score: Float, caption: String) {
        self.id = id
        self.name = name
        self.score = score
        self.caption = caption
    }
}

/// The answer to a search.
public struct SearchResponse: Hashable, Sendable {
    public var results: [ResultItem]
    /// Wall time the backend spent, in milliseconds.
    public var milliseconds: Double
    public init(results: [ResultItem], milliseconds: Double) {
        self.results = results
        self.milliseconds = milliseconds
    }
}

/// A caption found near an image.
public struct CaptionHit: Hashable, Sendable {
    public var text: String
    /// The image the caption belongs to.
    public var imageID: String
    public var score: Float
    public init(text: String, imageID: String, score: Float) {
        self.text = text
        self.imageID = imageID
        self.score = score
    }
}

/// An image with its own captions and its neighbourhood.
public struct Neighbours: Hashable, Sendable {
    public var image: ResultItem
    public var captions: [String]
    public var nearestImages: [ResultItem]
    public var nearestCaptions: [CaptionHit]
    public init(image: ResultItem, captions: [String], nearestImages: [ResultItem], nearestCaptions: [CaptionHit]) {
        self.image = image
        self.captions = captions
        self.nearestImages = nearestImages
        self.nearestCaptions = nearestCaptions
    }
}

extension PreviewMode {
    /// The next mode in the cycle sixel → symbols → ascii → sixel (sixel only when available).
    public func next(sixelAvailable: Bool) -> PreviewMode {
        switch self {
        case .sixel: return .symbols
        case .symbols, .auto: return .ascii
        case .ascii: return sixelAvailable ? .sixel : .symbols
        }
    }
}

/// A rendered preview, or why there is none.
public enum PreviewImage: Hashable, Sendable {
    /// Cells (symbols or ASCII) or sixel bytes, from AerieTerminal's renderer.
    case rendered(PreviewOutput)
    /// Nothing to show, and why (a decode error, a missing file).
    case unavailable(String)
}

/// A failure the backend reports, as text for the status line.
public struct BackendFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public init(_ error: any Error) { self.message = String(describing: error) }
    public var description: String { message }
}
