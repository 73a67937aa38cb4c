import AerieCore
import AerieEvaluation
import AerieIndex
import Foundation

/// One open index and the models of its space: what every front end searches through.
///
/// A session opens the index at once and loads the encoders and head only when a query needs
/// them (``encoders(needText:)``), checking that they are the ones the index was built with.
/// It owns the way a query travels: terms parsed (``parseQuery(_:)``), encoded and combined
/// (``queryVector(_:)``), optionally moved by relevance feedback (``rocchio(_:feedback:)``),
/// scored by the engine, optionally corrected for hubs, and described as ``RankedItem``s.
///
/// Thread safety: every method may be called from any thread; the models load once.
public final class RetrievalSession: @unchecked Sendable {
    public let index: SearchIndex
    public let configuration: RetrievalConfiguration
    private let engine = ScoringEngine()
    private let loaded = Locked<EncoderSet?>(nil)
    private let rowOfPath: [String: Int]
    /// The last query line → vector, so feedback toggles and repeated searches skip the encoders.
    private let lastEncoding = Locked<(String, [Float])?>(nil)

    /// Opens the index `configuration` names (``RetrievalConfiguration/indexLocation()``).
    public convenience init(_ configuration: RetrievalConfiguration) throws {
        try self.init(index: SearchIndex(location: configuration.indexLocation()), configuration: configuration)
    }

    /// A session over an index already open, with models from `configuration`, or `encoders`
    /// when given (already loaded; checked against the index's space).
    public init(index: SearchIndex, configuration: RetrievalConfiguration, encoders: EncoderSet? = nil) throws {
        self.index = index
        self.configuration = configuration
        rowOfPath = Dictionary(index.images.map { ($0.path, $0.row) }, uniquingKeysWith: { a, _ in a })
        if let encoders {
            try index.requireSpace(encoders.space(dimension: index.space.dimension))
            loaded.set(encoders)
        }
    }

    // MARK: Models

    /// The encoders and head of the index's space, loaded on first use.
    /// - Parameter needText: text queries need a head; without one this throws
    ///   ``RetrievalError/textNeedsHead``.
    /// - Throws: ``IndexError/modelMismatch(what:index:requested:)`` when the configured models are
    ///   not the ones the index was built with.
    public func encoders(needText: Bool) throws -> EncoderSet {
        // The lock is held while loading, so concurrent first queries load the models once.
        try loaded.update { set in
            if let set, !needText || set.head != nil { return set }
            let fresh = try EncoderSet.load(configuration, needText: needText)
            try index.requireSpace(fresh.space(dimension: index.space.dimension))
            set = fresh
            return fresh
        }
    }

    // MARK: Queries

    /// True when a query term names an image file: an existing file that is not a folder
    /// (`~` expanded). Anything else is text.
    public static func isImagePath(_ term: String) -> Bool {
        let expanded = NSString(string: term).expandingTildeInPath
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Checks that `path` names an image file (an outside image, `aerie search --image`).
    /// - Throws: ``QueryExpression/ParseError/noSuchImage(_:)`` when nothing, or a folder, is there.
    public static func requireImageFile(_ path: String) throws {
        guard isImagePath(path) else { throw QueryExpression.ParseError.noSuchImage(path) }
    }

    /// Parses rclip-style query arithmetic (`"2:parking lot" - cars + ./img.jpg`), one shell
    /// argument per element or one line split at ` + ` and ` - `.
    public func parseQuery(_ terms: [String]) throws -> QueryExpression {
        try QueryExpression.parse(terms, isImage: Self.isImagePath)
    }

    /// The joint vector of a query expression, loading the models it needs.
    public func queryVector(_ expression: QueryExpression) throws -> [Float] {
        let needText = expression.terms.contains { $0.kind == .text }
        return try encoders(needText: needText).vector(for: expression)
    }

    /// The joint vector of a query line as typed in the browser; the last line's vector is kept.
    public func queryVector(line: String) throws -> [Float] {
        if let (text, vector) = lastEncoding.get(), text == line { return vector }
        let vector = try queryVector(parseQuery([line]))
        lastEncoding.set((line, vector))
        return vector
    }

    // MARK: Ranking

    /// The `k` images (or captions) nearest `vector`, plain or corrected for hubs.
    /// - Parameters:
    ///   - hubness: a correction learned from the index's items of the other modality (cosine only).
    public func rank(_ vector: [Float], target: SearchIndex.Target, k: Int, metric: Metric = .cosine,
                     hubness: HubnessCorrection = .none) throws -> [RankedItem] {
        let hits = hubness == .none
            ? try index.search(vector, target: target, k: k, metric: metric, engine: engine)
            : try index.search(vector, k: k, hubness: prepareHubness(hubness, target: target))
        return describe(hits, target: target)
    }

    /// A hubness correction for `target`, learned from the index's items of the other modality,
    /// or, for an index without captions, from the head's query bank (loading the models).
    public func prepareHubness(_ correction: HubnessCorrection, target: SearchIndex.Target) throws -> PreparedHubness {
        let bank = target == .images && (index.captionVectors?.count ?? 0) == 0 ? try encoders(needText: false).queryBank?.vectors.data : nil
        return try index.prepareHubness(correction, target: target, queryBank: bank)
    }

    /// Searches with a parsed query.
    public func search(_ expression: QueryExpression, target: SearchIndex.Target = .images, k: Int,
                       metric: Metric = .cosine, hubness: HubnessCorrection = .none) throws -> [RankedItem] {
        try rank(queryVector(expression), target: target, k: k, metric: metric, hubness: hubness)
    }

    /// The images (or captions) nearest an indexed image, the image itself left out of images.
    /// - Parameter reference: the image's path relative to the image root, or its id.
    public func neighbours(of reference: String, target: SearchIndex.Target, k: Int, metric: Metric = .cosine,
                           hubness: HubnessCorrection = .none) throws -> [RankedItem] {
        guard let found = index.image(matching: reference) else { throw IndexError.unknownItem("image \(reference)") }
        let vector = index.imageVectors.row(found.row)
        // The image itself is its own nearest neighbour: ask for one more and drop it.
        let hits = hubness == .none
            ? try index.search(vector, target: target, k: target == .images ? k + 1 : k, metric: metric, engine: engine)
            : try index.search(vector, k: k, hubness: prepareHubness(hubness, target: target))
        let kept = target == .images ? Array(hits.filter { $0.id != found.row }.prefix(k)) : hits
        return describe(kept, target: target)
    }

    /// The row of the image whose path (relative to the image root) is `path`.
    public func row(ofImage path: String) -> Int? { rowOfPath[path] }

    /// Hits as ranked items: rank from 1, the image's path, label, split, and the caption's text.
    public func describe(_ hits: [Hit], target: SearchIndex.Target) -> [RankedItem] {
        hits.enumerated().map { rank, hit in
            switch target {
            case .images:
                let image = index.images[hit.id]
                return RankedItem(rank: rank + 1, score: hit.score, kind: .image, row: hit.id, id: image.id, path: image.path,
                                  label: image.label, split: image.split, caption: nil)
            case .captions:
                let caption = index.captions[hit.id]
                let image = index.images[caption.imageRow]
                return RankedItem(rank: rank + 1, score: hit.score, kind: .caption, row: hit.id, id: caption.id, path: image.path,
                                  label: image.label, split: image.split, caption: caption.text)
            }
        }
    }

    // MARK: Relevance feedback

    /// Rocchio: `α·q + β·Σ wᵢ·dᵢ / Σ wᵢ − γ·mean(non-relevant)` on unit vectors, renormalised.
    ///
    /// Relevant images weigh by their weight (the grade); images not in the index are ignored.
    /// - Complexity: O((relevant + non-relevant) × dimension).
    public func rocchio(_ query: [Float], feedback: Feedback) -> [Float] {
        let d = query.count
        var out = L2.normalized(query, dimension: d).map { Float(feedback.alpha) * $0 }
        let relevant = feedback.relevant.compactMap { r in rowOfPath[r.path].map { ($0, r.weight) } }
        let totalWeight = relevant.reduce(0) { $0 + $1.1 }
        if totalWeight > 0 {
            for (row, weight) in relevant {
                let v = L2.normalized(index.imageVectors.row(row), dimension: d)
                let scale = Float(feedback.beta * weight / totalWeight)
                for i in 0..<d { out[i] += scale * v[i] }
            }
        }
        let nonRelevant = feedback.nonRelevant.compactMap { rowOfPath[$0] }
        if !nonRelevant.isEmpty {
            let scale = Float(feedback.gamma / Double(nonRelevant.count))
            for row in nonRelevant {
                let v = L2.normalized(index.imageVectors.row(row), dimension: d)
                for i in 0..<d { out[i] -= scale * v[i] }
            }
        }
        return L2.normalized(out, dimension: d)
    }

    /// Relevance feedback for ``rocchio(_:feedback:)``: images by path, and the weights.
    public struct Feedback: Sendable {
        public var relevant: [(path: String, weight: Double)]
        public var nonRelevant: [String]
        public var alpha: Double, beta: Double, gamma: Double

        public init(relevant: [(path: String, weight: Double)], nonRelevant: [String], alpha: Double, beta: Double, gamma: Double) {
            self.relevant = relevant
            self.nonRelevant = nonRelevant
            self.alpha = alpha
            self.beta = beta
            self.gamma = gamma
        }
    }
}

/// One ranked image or caption, as every front end shows it.
public struct RankedItem: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case image, caption }
    /// 1 for the best.
    public var rank: Int
    public var score: Float
    public var kind: Kind
    /// Row in the index's image (or caption) vectors.
    public var row: Int
    /// The database id (stable across re-indexing while the file stays).
    public var id: Int64
    /// The image's path relative to the data set's image root (the caption's image's, for captions).
    public var path: String
    public var label: String?
    public var split: String?
    /// The caption's text (captions only).
    public var caption: String?

    public init(rank: Int, score: Float, kind: Kind, row: Int, id: Int64, path: String, label: String?, split: String?, caption: String?) {
        self.rank = rank
        self.score = score
        self.kind = kind
        self.row = row
        self.id = id
        self.path = path
        self.label = label
        self.split = split
        self.caption = caption
    }
}
