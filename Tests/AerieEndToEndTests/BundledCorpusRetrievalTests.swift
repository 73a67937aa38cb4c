import AerieDatasets
import AerieImage
import AerieIndex
import AerieJoint
import AerieModels
import AerieTestSupport
import Foundation
import Testing

/// Issue 7 §2: on the bundled corpus (assets/corpus) with the head it carries (assets/corpus/head),
/// every scene kind's name and a caption-like phrase put mostly that kind in the top 10.
///
/// The whole path: the real encoders (EfficientNet-Lite0, MiniLM), the corpus's head, an index
/// built by ``IndexBuilder`` and searched by ``SearchIndex``. The index is kept between runs under
/// the system temporary folder, keyed by the head's and encoders' hashes, and brought up to date
/// incrementally, so only the first run in a debug build pays for encoding the 240 images.
@Suite struct BundledCorpusRetrievalTests {
    static let corpus = SharedData.repositoryRoot.appendingPathComponent("assets/corpus")
    static let head = corpus.appendingPathComponent("head")
    static let store = ModelStore()
    static let needed = ["efficientnet-lite0", "minilm"]
    static var modelsInstalled: Bool { needed.allSatisfy { store.isInstalled($0) } }
    static var missingModels: Comment {
        Comment(rawValue: "skipped: \(needed.joined(separator: " and ")) must be installed in \(store.root.path) "
                + "(run scripts/setup.sh or `aerie models install`)")
    }

    /// Two queries per scene kind (label): its name, and a phrase worded like a caption.
    static let queries: [(label: String, query: String)] = [
        ("airport", "airport"), ("airport", "white planes parked near a runway"),
        ("bare land", "bare land"), ("bare land", "a piece of brown bare land"),
        ("baseball field", "baseball field"), ("baseball field", "baseball fields shaped like a fan"),
        ("beach", "beach"), ("beach", "a yellow beach beside the blue sea"),
        ("bridge", "bridge"), ("bridge", "a bridge crosses a river"),
        ("desert", "desert"), ("desert", "light yellow sand ripples"),
        ("farmland", "farmland"), ("farmland", "fields of cropland divided by narrow paths"),
        ("forest", "forest"), ("forest", "lots of trees make up a thick forest"),
        ("intersection", "intersection"), ("intersection", "two roads cross with zebra crossings"),
        ("parking", "parking lot"), ("parking", "many cars parked in rows in a parking lot"),
        ("playground", "playground"), ("playground", "a green field inside a red track"),
        ("pond", "pond"), ("pond", "a green pond among trees"),
        ("residential", "residential area"), ("residential", "houses with roofs separated by straight roads"),
        ("river", "river"), ("river", "a winding river with sandy banks"),
        ("storage tanks", "storage tanks"), ("storage tanks", "white storage tanks beside a road"),
        ("tennis court", "tennis court"), ("tennis court", "green tennis courts next to each other"),
    ]
    static let k = 10
    /// Measured with the committed head: mean 0.99, lowest 0.9 (see the lead's README notes).
    /// The bars leave room for BLAS rounding yet fail on a head or index that does not serve the corpus.
    static let minimumMeanPrecision = 0.9
    static let minimumQueryPrecision = 0.6

    @Test("every scene kind's queries find mostly that kind in the top 10",
          .enabled(if: modelsInstalled, missingModels))
    func everySceneKindIsFoundByItsQueries() throws {
        let dataset = try CaptionDataset.load(Self.corpus)
        let card = try JointModel.loadCard(from: Self.head)
        let image = try EfficientNetLiteEncoder(store: Self.store, name: card.imageEncoder.name, verifyHash: false)
        let text = try MiniLMEncoder(store: Self.store, verifyHash: false)
        let projection = try JointModel.load(from: Self.head, imageEncoder: Self.reference(image.identity),
                                             textEncoder: Self.reference(text.identity))
        var sha = SHA256()
        sha.update(try Data(contentsOf: Self.head.appendingPathComponent(JointModel.weightsFileName)))
        let headIdentity = sha.finalizeHex()
        let kinds = Set(dataset.images.compactMap(\.label))
        #expect(Set(Self.queries.map(\.label)) == kinds, "one query pair per scene kind of the corpus")

        let index = try Self.corpusIndex(dataset: dataset, image: image, head: JointHead(projection: projection, identity: headIdentity))
        #expect(index.images.count == dataset.images.count)

        let textVectors = try projection.projectTexts(text.encode(Self.queries.map(\.query)))
        let d = projection.dimension
        var precisions: [Double] = []
        for (row, query) in Self.queries.enumerated() {
            let vector = Array(textVectors.data[(row * d)..<((row + 1) * d)])
            let hits = try index.search(vector, target: .images, k: Self.k)
            let labels = hits.map { index.images[$0.id].label ?? "" }
            let precision = Double(labels.filter { $0 == query.label }.count) / Double(Self.k)
            precisions.append(precision)
            #expect(precision >= Self.minimumQueryPrecision,
                    "\"\(query.query)\": P@10 \(precision) for \(query.label); top 10: \(labels)")
        }
        let mean = precisions.reduce(0, +) / Double(precisions.count)
        #expect(mean >= Self.minimumMeanPrecision, "mean P@10 \(mean) over \(precisions.count) queries")
    }

    static func reference(_ identity: ModelIdentity) -> EncoderReference {
        EncoderReference(name: identity.name, weightsSHA256: identity.weightsSHA256, dimension: identity.dimension)
    }

    /// The corpus index in a temporary folder named by the models' hashes, updated incrementally;
    /// rebuilt from scratch when the kept one cannot be opened or updated.
    static func corpusIndex(dataset: CaptionDataset, image: any ImageEncoding, head: JointHead) throws -> SearchIndex {
        let key = "\(image.identity.weightsSHA256.prefix(12))-\(head.identity.prefix(12))"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-tests/corpus-index-\(key)")
        let builder = IndexBuilder(location: IndexLocation(directory: folder), imageEncoder: image, textEncoder: nil,
                                   head: head, decode: { try ImageDecoder.decode(contentsOf: $0) }, batchSize: 16)
        do {
            try builder.update(dataset)
            return try SearchIndex(location: IndexLocation(directory: folder))
        } catch {
            try? FileManager.default.removeItem(at: folder)
            try builder.update(dataset)
            return try SearchIndex(location: IndexLocation(directory: folder))
        }
    }
}
