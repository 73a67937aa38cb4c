import AerieCore
import AerieImage
import AerieIndex
import AerieJoint
import AerieModels
import AerieTensor
import Foundation

/// The encoders and joint head of one embedding space, loaded: the image encoder the head's card
/// names (or the configured one without a head), MiniLM for text, and the head.
public struct EncoderSet: Sendable {
    public let image: any ImageEncoding
    public let text: (any TextEncoding)?
    public let head: JointHead?
    /// The head's reference queries, when it carries a bank (hubness corrections on indexes
    /// without captions).
    public let queryBank: QueryBank?

    public init(image: any ImageEncoding, text: (any TextEncoding)?, head: JointHead?, queryBank: QueryBank? = nil) {
        self.image = image
        self.text = text
        self.head = head
        self.queryBank = queryBank
    }

    /// Loads what `configuration` names: with a head (``RetrievalConfiguration/headDirectory()``),
    /// its card decides the image encoder(s) and text is MiniLM; without one, the configured image
    /// encoder alone.
    /// - Parameter needText: refuse to go on without a head (text cannot be embedded without one).
    /// - Throws: ``RetrievalError/textNeedsHead``; the model store's and the head's loading errors.
    public static func load(_ configuration: RetrievalConfiguration, needText: Bool) throws -> EncoderSet {
        let store = configuration.modelStore
        if let directory = configuration.headDirectory() {
            let card = try JointModel.loadCard(from: directory)
            let features = try ModelRegistry.imageEncoder(card.imageEncoder.name, store: store)
            let text = try MiniLMEncoder(store: store)
            let projection = try JointModel.load(from: directory, imageEncoder: features.identity, textEncoder: text.identity)
            // A head selected on the mean of several views' features is used the same way.
            let views = try card.imageViews.map { name -> ImageView in
                guard let view = ImageView(rawValue: name) else { throw RetrievalError.unknownView(name, card: directory.path) }
                return view
            }
            let image: any ImageEncoding = views == [.center] || views.isEmpty
                ? features : ViewAveragingImageEncoder(base: features, views: views)
            let weights = try Data(contentsOf: directory.appendingPathComponent(JointModel.weightsFileName))
            var sha = SHA256()
            sha.update(weights)
            let bank = try card.queryBank.map { try QueryBank.load(from: directory, record: $0, dimension: projection.dimension) }
            return EncoderSet(image: image, text: text, head: JointHead(projection: projection, identity: sha.finalizeHex()),
                              queryBank: bank)
        }
        if needText { throw RetrievalError.textNeedsHead }
        return EncoderSet(image: try ModelRegistry.imageEncoder(configuration.imageModel, store: store), text: nil, head: nil)
    }

    /// The space these encoders embed into, at `dimension` (the index's).
    public func space(dimension: Int) -> EmbeddingSpace {
        EmbeddingSpace(imageEncoder: image.identity, textEncoder: text?.identity, head: head?.identity, dimension: dimension)
    }

    /// The joint vector of an image file (its normalised features without a head).
    public func imageVector(_ url: URL) throws -> [Float] {
        let decoded = try ImageDecoder.decode(contentsOf: url)
        let features = try image.encode([decoded])
        if let head { return try head.projection.projectImages(features).data }
        return L2.normalized(features.data, dimension: features.shape.last ?? 1)
    }

    /// The joint vector of a caption.
    /// - Throws: ``RetrievalError/textNeedsHead`` without a head.
    public func textVector(_ caption: String) throws -> [Float] {
        guard let text, let head else { throw RetrievalError.textNeedsHead }
        return try head.projection.projectTexts(text.encode([caption])).data
    }

    /// The joint vector of a query expression: its terms' vectors, weighted and summed
    /// (``QueryExpression/combine(_:)``).
    /// - Throws: ``RetrievalError/nonFiniteQuery(term:)`` when a term's vector holds NaN or infinity.
    public func vector(for query: QueryExpression) throws -> [Float] {
        let vectors = try query.terms.map { term in
            let vector = term.kind == .image
                ? try imageVector(URL(fileURLWithPath: NSString(string: term.value).expandingTildeInPath))
                : try textVector(term.value)
            // Damaged weights give NaN, which would rank nothing and still exit 0.
            guard BLAS.firstNonFinite(vector) == nil else { throw RetrievalError.nonFiniteQuery(term: term.value) }
            return vector
        }
        return try query.combine(vectors)
    }
}
