import AerieCore
import AerieDatasets
import AerieEvaluation
import AerieImage
import AerieIndex
import AerieJoint
import AerieModels
import AerieTensor
import AerieTensor
import AerieTestSupport
import Foundation
import Testing
@testable import AerieRetrieval

/// The session on a small index of coloured test images, with the test encoders (no weights):
/// query expressions, Rocchio, space checks, hubness and evaluation, each against a plain twin
/// computed here.
@Suite struct RetrievalSessionTests {
    struct Fixture {
        let data: TemporaryDirectory
        let store: TemporaryDirectory
        let set: TestDataset
        var location: IndexLocation { IndexLocation(directory: store.url.appendingPathComponent("idx")) }
        static let head = JointHead(projection: TestHead(), identity: "test-head")
        var encoders: EncoderSet { EncoderSet(image: TestImageEncoder(), text: TestTextEncoder(), head: Self.head) }

        init(count: Int = 24) throws {
            data = try TemporaryDirectory()
            store = try TemporaryDirectory()
            set = try TestDataset(root: data.url, count: count)
            let builder = IndexBuilder(location: location, imageEncoder: TestImageEncoder(), textEncoder: TestTextEncoder(),
                                       head: Self.head, decode: TestImageFile.decode, batchSize: 5, threads: 1)
            _ = try builder.update(set.dataset)
        }

        func session() throws -> RetrievalSession {
            try RetrievalSession(index: SearchIndex(location: location), configuration: RetrievalConfiguration(index: location.directory),
                                 encoders: encoders)
        }
    }

    /// The twin of the test head's text side: colour counts, normalised.
    static func textTwin(_ text: String) -> [Float] {
        var v = [Float](repeating: 0, count: 6)
        for word in text.split(separator: " ") {
            if let i = testColours.firstIndex(where: { $0.word == word }) { v[i] += 1 }
        }
        return L2.normalized(v, dimension: 6)
    }

    @Test func queryExpressionsEncodeAsTheirWeightedSum() throws {
        let f = try Fixture()
        let session = try f.session()
        // "2:red - blue": 2·e_red − e_blue, normalised.
        let vector = try session.queryVector(session.parseQuery(["2:red", "-", "blue"]))
        let expected = L2.normalized([2, 0, -1, 0, 0, 0], dimension: 6)
        #expect(zip(vector, expected).allSatisfy { abs($0 - $1) < 1e-6 })

        // An image term is a file that exists: a real PNG of pure green.
        let png = f.data.url.appendingPathComponent("query.png")
        try RGBAImage(width: 4, height: 4, fill: (10, 250, 10, 255)).writePNG(to: png)
        let mixed = try session.parseQuery(["yellow", "+", png.path])
        #expect(mixed.terms.map(\.kind) == [.text, .image])
        let imageVector = try f.encoders.imageVector(png)
        let combined = try session.queryVector(mixed)
        let twin = L2.normalized(zip(Self.textTwin("yellow"), L2.normalized(imageVector, dimension: 6)).map { $0 + $1 }, dimension: 6)
        #expect(zip(combined, twin).allSatisfy { abs($0 - $1) < 1e-6 })
        // A path that does not exist, or a folder, is an error, not text (issue 12, item 20).
        let missing = f.data.url.appendingPathComponent("nope.png").path
        #expect(throws: QueryExpression.ParseError.noSuchImage(missing)) { try session.parseQuery([missing]) }
        #expect(throws: QueryExpression.ParseError.noSuchImage(f.data.url.path)) { try session.parseQuery([f.data.url.path]) }
    }

    /// A text encoder with damaged weights: NaN for every text.
    struct NaNTextEncoder: TextEncoding {
        var identity = TestTextEncoder().identity
        func encode(_ texts: [String]) throws -> Tensor {
            Tensor(shape: [texts.count, identity.dimension], data: [Float](repeating: .nan, count: texts.count * identity.dimension))
        }
    }

    /// A NaN query vector used to rank nothing and exit 0; it is an error naming the term.
    @Test func nonFiniteQueryVectorsAreRefused() throws {
        let f = try Fixture(count: 6)
        let session = try RetrievalSession(index: SearchIndex(location: f.location), configuration: RetrievalConfiguration(index: f.location.directory),
                                           encoders: EncoderSet(image: TestImageEncoder(), text: NaNTextEncoder(), head: Fixture.head))
        #expect(throws: RetrievalError.nonFiniteQuery(term: "red")) { try session.queryVector(session.parseQuery(["red"])) }
    }

    @Test func searchRanksTheQuerysColourFirst() throws {
        let f = try Fixture()
        let session = try f.session()
        let items = try session.search(session.parseQuery(["blue"]), k: 4)
        #expect(items.map(\.rank) == [1, 2, 3, 4])
        #expect(items.allSatisfy { $0.label == "blue" && $0.kind == .image })
        let captions = try session.search(session.parseQuery(["a green field"]), target: .captions, k: 3)
        #expect(captions.allSatisfy { $0.kind == .caption && $0.caption?.contains("green") == true })
        // Neighbours leave the image itself out.
        let first = session.index.images[0]
        let near = try session.neighbours(of: first.path, target: .images, k: 5)
        #expect(near.count == 5 && !near.contains { $0.path == first.path })
        #expect(throws: IndexError.self) { try session.neighbours(of: "missing.png", target: .images, k: 3) }
    }

    /// Rocchio against its formula written out: α·q̂ + β·Σwᵢ·d̂ᵢ/Σwᵢ − γ·mean(n̂), normalised.
    @Test func rocchioMatchesItsFormula() throws {
        let f = try Fixture()
        let session = try f.session()
        let query = Self.textTwin("red")
        let images = session.index.images
        let relevant = [(path: images[2].path, weight: 2.0), (path: images[3].path, weight: 1.0), (path: "not-indexed.png", weight: 3.0)]
        let nonRelevant = [images[0].path]
        let feedback = RetrievalSession.Feedback(relevant: relevant, nonRelevant: nonRelevant, alpha: 1, beta: 0.75, gamma: 0.15)
        let moved = session.rocchio(query, feedback: feedback)

        func unit(_ row: Int) -> [Double] {
            let v = session.index.imageVectors.row(row).map(Double.init)
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / n }
        }
        var twin = query.map(Double.init)
        for (row, w) in [(2, 2.0), (3, 1.0)] { for i in 0..<6 { twin[i] += 0.75 * w / 3 * unit(row)[i] } }
        for i in 0..<6 { twin[i] -= 0.15 * unit(0)[i] }
        let norm = twin.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(zip(moved, twin).allSatisfy { abs(Double($0) - $1 / norm) < 1e-5 })

        // No feedback at all leaves the (normalised) query.
        let none = session.rocchio([3, 0, 0, 0, 0, 0], feedback: .init(relevant: [], nonRelevant: [], alpha: 1, beta: 0.75, gamma: 0.15))
        #expect(none == [1, 0, 0, 0, 0, 0])
    }

    @Test func encodersOfAnotherSpaceAreRefused() throws {
        let f = try Fixture()
        let index = try SearchIndex(location: f.location)
        var otherImage = TestImageEncoder()
        otherImage.identity.weightsSHA256 = String(repeating: "c", count: 64)
        let wrongEncoder = EncoderSet(image: otherImage, text: TestTextEncoder(), head: Fixture.head)
        #expect(throws: IndexError.modelMismatch(what: "image encoder", index: TestImageEncoder().identity.description,
                                                 requested: otherImage.identity.description)) {
            try RetrievalSession(index: index, configuration: RetrievalConfiguration(), encoders: wrongEncoder)
        }
        let wrongHead = EncoderSet(image: TestImageEncoder(), text: TestTextEncoder(),
                                   head: JointHead(projection: TestHead(), identity: "another-head"))
        #expect(throws: IndexError.self) {
            try RetrievalSession(index: index, configuration: RetrievalConfiguration(), encoders: wrongHead)
        }
    }

    /// The hubness reference set of a session's search: every caption of the index learns the
    /// image offsets (below the reference limit), and the ranking equals CSLS written out.
    @Test func hubnessUsesTheIndexsCaptionsAsReferences() throws {
        let f = try Fixture()
        let session = try f.session()
        let index = session.index
        let prepared = try index.prepareHubness(.csls(k: 3), target: .images)
        #expect(prepared.referenceCount == index.captions.count)
        let query = Self.textTwin("green blue")
        let ranked = try session.rank(query, target: .images, k: 5, hubness: .csls(k: 3))

        // CSLS twin: 2·cos(q, x) − r(x), r(x) the mean of x's 3 nearest captions' cosines.
        let d = 6
        let images = index.images.map { L2.normalized(index.imageVectors.row($0.row), dimension: d) }
        let captions = index.captions.map { L2.normalized(index.captionVectors?.row($0.row) ?? [], dimension: d) }
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        let scores = images.map { x in
            let top = captions.map { dot(x, $0) }.sorted(by: >).prefix(3)
            return 2 * dot(query, x) - top.reduce(0, +) / 3
        }
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        #expect(ranked.map(\.row) == Array(order.prefix(5)))
    }

    /// Issue 12, item 21: an unknown split is an error listing the splits, not an empty index.
    @Test func indexingAnUnknownSplitListsTheSplits() throws {
        let f = try Fixture()
        #expect(try Indexing.select(split: "val", of: f.set.dataset).images.count == 6)
        #expect(throws: RetrievalError.emptySplit("nosuchsplit", available: ["train": 18, "val": 6])) {
            try Indexing.select(split: "nosuchsplit", of: f.set.dataset)
        }
        #expect(RetrievalError.emptySplit("tset", available: ["train": 18, "val": 6]).description
                    == "split 'tset' has no images; the splits are train (18 images), val (6 images)")
    }

    /// A folder of images has no captions: the head's query bank stands in as the references, so
    /// the correction works there too, and ranks as CSLS over the bank written out.
    @Test func hubnessOnAnIndexWithoutCaptionsUsesTheQueryBank() throws {
        let data = try TemporaryDirectory(), store = try TemporaryDirectory()
        var set = try TestDataset(root: data.url, count: 18)
        set.entries = set.entries.map { (file: $0.file, colour: $0.colour, split: $0.split, captions: []) }
        let location = IndexLocation(directory: store.url.appendingPathComponent("idx"))
        _ = try IndexBuilder(location: location, imageEncoder: TestImageEncoder(), textEncoder: TestTextEncoder(),
                             head: Fixture.head, decode: TestImageFile.decode, batchSize: 5, threads: 1).update(set.dataset)
        let index = try SearchIndex(location: location)
        #expect((index.captionVectors?.count ?? 0) == 0)
        let bankTexts = ["red", "red field", "green", "blue", "yellow white", "black"]
        let bankVectors = bankTexts.flatMap { Self.textTwin($0) }
        let bank = QueryBank(vectors: Tensor(shape: [bankTexts.count, 6], data: bankVectors))
        let withBank = try RetrievalSession(index: index, configuration: RetrievalConfiguration(index: location.directory),
                                            encoders: EncoderSet(image: TestImageEncoder(), text: TestTextEncoder(), head: Fixture.head, queryBank: bank))
        let query = Self.textTwin("green blue")
        let ranked = try withBank.rank(query, target: .images, k: 5, hubness: .csls(k: 2))

        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        let images = index.images.map { L2.normalized(index.imageVectors.row($0.row), dimension: 6) }
        let references = bankTexts.map { Self.textTwin($0) }
        let scores = images.map { x in
            let top = references.map { dot(x, $0) }.sorted(by: >).prefix(2)
            return 2 * dot(query, x) - top.reduce(0, +) / 2
        }
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        #expect(ranked.map(\.row) == Array(order.prefix(5)))

        // Without a bank the correction has nothing to learn from: a clear error.
        let withoutBank = try RetrievalSession(index: index, configuration: RetrievalConfiguration(index: location.directory),
                                               encoders: EncoderSet(image: TestImageEncoder(), text: TestTextEncoder(), head: Fixture.head))
        #expect(throws: IndexError.self) { try withoutBank.rank(query, target: .images, k: 5, hubness: .csls(k: 2)) }
    }

    /// Scene-type retrieval: each label typed as a query over the split. The test encoders map a
    /// colour word onto its colour exactly, so every class ranks its own images first (AP 1).
    @Test func classNamesFindTheirClass() throws {
        let f = try Fixture()
        let session = try f.session()
        let results = try session.classNameRetrieval(split: "val")
        let valLabels = Set(f.set.entries.filter { $0.split == "val" }.map { testColours[$0.colour].word })
        #expect(Set(results.map(\.label)) == valLabels)
        for r in results {
            let count = f.set.entries.filter { $0.split == "val" && testColours[$0.colour].word == r.label }.count
            #expect(r.relevant == count && r.relevantInTop10 == min(10, count))
            #expect(abs(r.averagePrecision - 1) < 1e-12)
        }
        #expect(throws: RetrievalError.self) { try session.classNameRetrieval(split: "nosuchsplit") }
        #expect(try session.classNameRetrieval(split: RetrievalSession.allSplits).reduce(0) { $0 + $1.relevant } == 24)
    }

    @Test func evaluationOfASplit() throws {
        let f = try Fixture()
        let session = try f.session()
        let report = try session.evaluate(split: "val", ties: .expected, hubness: .none)
        #expect(report.overall.textToImage.count == 3)
        #expect(report.overall.meanRecall > 0)
        #expect(throws: RetrievalError.emptySplit("nosuchsplit", available: ["train": 18, "val": 6])) {
            try session.evaluate(split: "nosuchsplit", ties: .expected, hubness: .none)
        }
        // Labelled-query rankings are the session's plain searches, as paths.
        let rankings = try session.rankings(of: ["red", "red", "blue"], depth: 3)
        #expect(rankings.count == 2 && rankings["red"]?.count == 3)
        #expect(rankings["blue"] == (try session.search(session.parseQuery(["blue"]), k: 3).map(\.path)))
    }

    @Test func theHeadPrecedence() throws {
        let folder = try TemporaryDirectory()
        let json = folder.url.appendingPathComponent("dataset.json")
        try Data("{}".utf8).write(to: json)
        // The data set's own head/ is used when it holds a head's weights.
        #expect(RetrievalConfiguration.datasetHeadDirectory(json) == nil)
        let head = folder.url.appendingPathComponent("head")
        try FileManager.default.createDirectory(at: head, withIntermediateDirectories: true)
        try Data().write(to: head.appendingPathComponent(JointModel.weightsFileName))
        #expect(RetrievalConfiguration.datasetHeadDirectory(json)?.standardizedFileURL.path == head.standardizedFileURL.path)
        #expect(RetrievalConfiguration(dataset: json).headDirectory()?.standardizedFileURL.path == head.standardizedFileURL.path)
        // --head wins; --no-head means none.
        let explicit = URL(fileURLWithPath: "/somewhere/else")
        #expect(RetrievalConfiguration(dataset: json, head: explicit).headDirectory() == explicit)
        #expect(RetrievalConfiguration(dataset: json, noHead: true).headDirectory() == nil)
        // Without --index, the index location comes from the data set; with neither, a clear error.
        #expect(throws: RetrievalError.noIndexNamed) { try RetrievalConfiguration().indexLocation() }
    }
}
