import AerieDatasets
import AerieImage
import AerieIndex
import AerieJoint
import AerieModels
import AerieTensor
import AerieTerminal
import ArgumentParser
import Foundation

/// Options shared by `index`, `search`, `neighbors` and `eval`: where the data set, the index,
/// the models and the joint head are.
struct IndexModelOptions: ParsableArguments {
    @Option(name: .customLong("images"), help: "Image root of a caption JSON (default: imgs/ or images/ beside it).")
    var imageRoot: String?
    @Option(help: "Index directory (default: a per-data-set folder under ${XDG_DATA_HOME:-~/.local/share}/aerie/indexes).")
    var index: String?
    @Option(help: "Model store directory (default: AERIE_MODELS or the XDG cache).")
    var models: String?
    @Option(help: "Joint head directory (default: the data set's own head/, else the current head of `aerie train`, else the shipped default).")
    var head: String?
    @Flag(help: "Use no joint head: image vectors are the image encoder's features (image→image search only).")
    var noHead = false
    @Option(help: "Image encoder when there is no head (efficientnet-lite0, efficientnet-lite2).")
    var model: String = "efficientnet-lite0"

    /// These options as command-line arguments, to hand them on to another subcommand.
    var arguments: [String] {
        var out: [String] = []
        if let imageRoot { out += ["--images", imageRoot] }
        if let index { out += ["--index", index] }
        if let models { out += ["--models", models] }
        if let head { out += ["--head", head] }
        if noHead { out.append("--no-head") }
        return out + ["--model", model]
    }

    /// The head directory to use, or nil. Precedence: `--head` > the data set's own head
    /// (``datasetHeadDirectory(_:)``) > the current head of `aerie train` > the shipped default
    /// (`assets/heads/default`). An index remembers its head's hash, so the same precedence picks
    /// the same head for `index`, `search` and `browse` of one data set.
    func headDirectory(dataset: String?) -> URL? {
        guard !noHead else { return nil }
        if let head { return URL(fileURLWithPath: head) }
        if let dataset, let own = Self.datasetHeadDirectory(dataset) { return own }
        let current = Train.defaultHeadDirectory()
        if Self.holdsHead(current) { return current }
        if let shipped = Assets.defaultHeadDirectory(), Self.holdsHead(shipped) { return shipped }
        return nil
    }

    /// A data set's own joint head: the folder `head/` beside its caption JSON (or inside the data
    /// set's folder), when it holds a head. The bundled corpus carries one, trained on its train split.
    static func datasetHeadDirectory(_ dataset: String) -> URL? {
        let url = URL(fileURLWithPath: dataset)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
        let folder = isDirectory.boolValue ? url : url.deletingLastPathComponent()
        let head = folder.appendingPathComponent("head")
        return holdsHead(head) ? head : nil
    }

    static func holdsHead(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(JointModel.weightsFileName).path)
    }

    /// `--index`, else the data set's default index folder. The folder is named from the data
    /// set's path alone (not from its loaded name), so `index`, `browse`, `search`, `neighbors` and
    /// `eval` all find the same index without loading the data set.
    func location(forDataset dataset: URL?) throws -> IndexLocation {
        if let index { return IndexLocation(directory: URL(fileURLWithPath: index)) }
        guard let dataset else { throw ValidationError("name the index with --index DIR or the data set with --dataset PATH") }
        return IndexLocation.defaultLocation(forDataset: dataset)
    }

    func loadDataset(_ path: String) throws -> CaptionDataset {
        try CaptionDataset.load(URL(fileURLWithPath: path),
                                options: DatasetLoadOptions(imageRoot: imageRoot.map { URL(fileURLWithPath: $0) }))
    }

    /// The encoders and head: the head's card decides the image encoder(s).
    /// - Parameter dataset: the data set being indexed or searched, whose own head comes before
    ///   the user's (see ``headDirectory(dataset:)``).
    func loadModels(needText: Bool, dataset: String? = nil) throws -> (image: any ImageEncoding, text: (any TextEncoding)?, head: JointHead?) {
        let store = ModelStore(explicit: models)
        if let directory = headDirectory(dataset: dataset) {
            let card = try JointModel.loadCard(from: directory)
            let image = try makeCombinedImageEncoder(store: store, name: card.imageEncoder.name)
            let text = try MiniLMEncoder(store: store)
            let projection = try JointModel.load(from: directory, imageEncoder: Train.reference(image.identity),
                                                 textEncoder: Train.reference(text.identity))
            let weights = try Data(contentsOf: directory.appendingPathComponent(JointModel.weightsFileName))
            var sha = SHA256()
            sha.update(weights)
            return (image, text, JointHead(projection: projection, identity: sha.finalizeHex()))
        }
        if needText {
            throw ValidationError("text search needs a joint head: run `aerie train` first (or pass --head DIR)")
        }
        return (try makeCombinedImageEncoder(store: store, name: model), nil, nil)
    }
}

/// `a+b` names several image encoders whose features are concatenated (as `aerie train` does).
func makeCombinedImageEncoder(store: ModelStore, name: String) throws -> any ImageEncoding {
    let parts = name.split(separator: "+").map(String.init)
    let encoders = try parts.map { try makeImageEncoder(store: store, name: $0) }
    if encoders.count == 1, let only = encoders.first { return only }
    return ConcatenatedImageEncoder(parts: encoders)
}

/// Several image encoders side by side; features concatenated per image, in order.
struct ConcatenatedImageEncoder: ImageEncoding {
    let parts: [any ImageEncoding]
    var identity: ModelIdentity {
        ModelIdentity(name: parts.map(\.identity.name).joined(separator: "+"),
                      weightsSHA256: parts.map(\.identity.weightsSHA256).joined(separator: "+"),
                      dimension: parts.reduce(0) { $0 + $1.identity.dimension })
    }
    func encode(_ images: [RGBAImage]) throws -> Tensor {
        let outputs = try parts.map { try $0.encode(images) }
        let width = identity.dimension
        var data = [Float]()
        data.reserveCapacity(images.count * width)
        for row in 0..<images.count {
            for (part, output) in zip(parts, outputs) {
                let d = part.identity.dimension
                data += output.data[(row * d)..<((row + 1) * d)]
            }
        }
        return Tensor(shape: [images.count, width], data: data)
    }
}

/// Set by SIGINT; the indexing progress callback turns it into ``IndexError/cancelled``.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptRequested = 1 }
}

/// Encodes outside images and texts and projects them into the index's joint space.
struct QueryEncoder {
    let image: any ImageEncoding
    let text: (any TextEncoding)?
    let head: JointHead?

    func imageVector(_ url: URL) throws -> [Float] {
        let decoded = try ImageDecoder.decode(contentsOf: url)
        let features = try image.encode([decoded])
        if let head { return try head.projection.projectImages(features).data }
        return RetrievalEvaluation.l2Normalised(features.data, features.shape.last ?? 1)
    }

    func textVector(_ caption: String) throws -> [Float] {
        guard let text, let head else { throw ValidationError("text queries need a joint head: run `aerie train` first (or pass --head DIR)") }
        return try head.projection.projectTexts(text.encode([caption])).data
    }

    func vector(for query: QueryExpression) throws -> [Float] {
        let vectors = try query.terms.map { term in
            term.kind == .image ? try imageVector(URL(fileURLWithPath: term.value)) : try textVector(term.value)
        }
        return query.combine(vectors)
    }
}

/// One printed or JSON result.
struct SearchResultLine: Codable {
    var rank: Int
    var score: Float
    var kind: String
    var id: Int64
    var path: String
    var label: String?
    var split: String?
    var caption: String?
}

/// Options shared by `search` and `neighbors`: which index, how many results, which distance,
/// and the output form.
struct RankingOptions: ParsableArguments {
    @Option(name: .customLong("dataset"), help: "The data set whose index to search.")
    var dataset: String?
    @Option(help: "Results to show.")
    var k: Int = 10
    @Option(help: "cosine, euclidean, cityblock or hamming.")
    var metric: Metric = .cosine
    @Flag(help: "JSON output.")
    var json = false

    /// The index named by the data set and `options` (`--index` wins).
    func openIndex(_ options: IndexModelOptions) throws -> SearchIndex {
        try SearchIndex(location: options.location(forDataset: dataset.map { URL(fileURLWithPath: $0) }))
    }

    /// Prints the ranked lines as a table or JSON.
    ///
    /// - Parameter scoreName: the score column's title when it is not the metric's (a hubness
    ///   correction's name).
    func print(_ lines: [SearchResultLine], scoreName: String? = nil) throws {
        try printResults(lines, json: json, metric: metric, scoreName: scoreName)
    }
}

func printResults(_ lines: [SearchResultLine], json: Bool, metric: Metric, scoreName: String? = nil) throws {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(lines), as: UTF8.self))
        return
    }
    print("rank  \((scoreName ?? metric.rawValue).padding(toLength: 9, withPad: " ", startingAt: 0))  id      image / caption")
    for line in lines {
        let score = String(format: metric == .hamming ? "%9.0f" : "%9.4f", line.score)
        let what = line.caption.map { "\"\(TerminalText.sanitize($0))\"  (\(TerminalText.sanitize(line.path)))" }
            ?? TerminalText.sanitize(line.path) + (line.label.map { "  [\(TerminalText.sanitize($0))]" } ?? "")
        print(String(format: "%4d", line.rank) + "  " + score + "  " + String(line.id).padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + what)
    }
}

func resultLines(_ hits: [Hit], index: SearchIndex, target: SearchIndex.Target) -> [SearchResultLine] {
    hits.enumerated().map { rank, hit in
        switch target {
        case .images:
            let image = index.images[hit.id]
            return SearchResultLine(rank: rank + 1, score: hit.score, kind: "image", id: image.id, path: image.path,
                                    label: image.label, split: image.split, caption: nil)
        case .captions:
            let caption = index.captions[hit.id]
            let image = index.images[caption.imageRow]
            return SearchResultLine(rank: rank + 1, score: hit.score, kind: "caption", id: caption.id, path: image.path,
                                    label: image.label, split: image.split, caption: caption.text)
        }
    }
}

extension Metric: ExpressibleByArgument {}
