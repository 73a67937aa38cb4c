import AerieDatasets
import AerieJoint
import AerieModels
import AerieIndex
import Foundation

/// Where a retrieval session's pieces are: the data set, its index, the model store and the
/// joint head. Every front end (the `aerie` commands, the browser, the benchmarks) describes
/// what it opens with one of these; nothing here is loaded until a session asks.
public struct RetrievalConfiguration: Sendable, Equatable {
    /// The data set (a caption JSON, a class-folder tree or a folder of images), if named.
    public var dataset: URL?
    /// The image root of a caption JSON (default: `imgs/` or `images/` beside it).
    public var imageRoot: URL?
    /// The index folder (default: a per-data-set folder, ``IndexLocation/defaultLocation(forDataset:)``).
    public var index: URL?
    /// The model store (default: `AERIE_MODELS` or the XDG cache).
    public var models: String?
    /// The joint head folder (default: see ``headDirectory()``).
    public var head: URL?
    /// Use no joint head: image vectors are the image encoder's normalised features.
    public var noHead: Bool
    /// The image encoder when there is no head.
    public var imageModel: String

    public init(dataset: URL? = nil, imageRoot: URL? = nil, index: URL? = nil, models: String? = nil,
                head: URL? = nil, noHead: Bool = false, imageModel: String = "efficientnet-lite0") {
        self.dataset = dataset
        self.imageRoot = imageRoot
        self.index = index
        self.models = models
        self.head = head
        self.noHead = noHead
        self.imageModel = imageModel
    }

    /// The head to use, or nil. Precedence: ``head`` > the data set's own head
    /// (``datasetHeadDirectory(_:)``) > the current head of `aerie train`
    /// (``DefaultLocations/currentHead``) > the shipped default (`assets/heads/default`).
    /// An index remembers its head's hash, so the same precedence picks the same head for
    /// indexing, searching and browsing one data set.
    public func headDirectory() -> URL? {
        guard !noHead else { return nil }
        if let head { return head }
        if let dataset, let own = Self.datasetHeadDirectory(dataset) { return own }
        let current = DefaultLocations.currentHead()
        if Self.holdsHead(current) { return current }
        if let shipped = BundledAssets.defaultHeadDirectory(), Self.holdsHead(shipped) { return shipped }
        return nil
    }

    /// A data set's own joint head: the folder `head/` beside its caption JSON (or inside the data
    /// set's folder), when it holds a head. The bundled corpus carries one.
    public static func datasetHeadDirectory(_ dataset: URL) -> URL? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataset.path, isDirectory: &isDirectory) else { return nil }
        let folder = isDirectory.boolValue ? dataset : dataset.deletingLastPathComponent()
        let head = folder.appendingPathComponent("head")
        return holdsHead(head) ? head : nil
    }

    /// True when `directory` holds a head's weights.
    public static func holdsHead(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(JointModel.weightsFileName).path)
    }

    /// ``index``, else the data set's default index folder (named from the data set's path alone,
    /// so every command finds the same index without loading the data set).
    /// - Throws: ``RetrievalError/noIndexNamed`` when neither is given.
    public func indexLocation() throws -> IndexLocation {
        if let index { return IndexLocation(directory: index) }
        guard let dataset else { throw RetrievalError.noIndexNamed }
        return IndexLocation.defaultLocation(forDataset: dataset)
    }

    /// Loads the data set (``dataset`` must be set).
    public func loadDataset() throws -> CaptionDataset {
        guard let dataset else { throw RetrievalError.noDatasetNamed }
        return try CaptionDataset.load(dataset, options: DatasetLoadOptions(imageRoot: imageRoot))
    }

    /// The model store these paths name.
    public var modelStore: ModelStore { ModelStore(explicit: models) }
}

/// The per-user folders Aerie writes when no option names another (XDG base directories).
public enum DefaultLocations {
    /// `$XDG_CACHE_HOME/aerie/features`: encoder features cached for training.
    public static func featureCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        base(environment["XDG_CACHE_HOME"], fallback: ".cache").appendingPathComponent("aerie/features")
    }

    /// `$XDG_DATA_HOME/aerie/heads/current`: the head `aerie train` writes without `--out`.
    public static func currentHead(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        base(environment["XDG_DATA_HOME"], fallback: ".local/share").appendingPathComponent("aerie/heads/current")
    }

    private static func base(_ variable: String?, fallback: String) -> URL {
        variable.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(fallback)
    }
}

/// Why a retrieval session could not do what was asked. Each case says what to run or pass.
public enum RetrievalError: Error, Equatable, Sendable, CustomStringConvertible {
    case noIndexNamed
    case noDatasetNamed
    case textNeedsHead
    /// A split with no image; `available` counts the images of each split there is.
    case emptySplit(String, available: [String: Int])
    case unknownImage(String)
    /// The encoders or head produced NaN or infinity for a query term (damaged weights).
    case nonFiniteQuery(term: String)
    case unknownView(String, card: String)

    /// How many images each split has, from each image's split (nil: in none).
    public static func splitSizes(_ splits: [String?]) -> [String: Int] {
        splits.reduce(into: [:]) { counts, split in if let split { counts[split, default: 0] += 1 } }
    }

    public var description: String {
        switch self {
        case .noIndexNamed: "name the index with --index DIR or the data set with --dataset PATH"
        case .noDatasetNamed: "name a data set"
        case .textNeedsHead: "text queries need a joint head: run `aerie train` first (or pass --head DIR)"
        case let .emptySplit(split, available) where available.isEmpty:
            "there is no split '\(split)': the images have no splits (leave out --split)"
        case let .emptySplit(split, available):
            "split '\(split)' has no images; the splits are "
                + available.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) images)" }.joined(separator: ", ")
        case let .unknownImage(reference): "image \(reference) is not in the index"
        case let .nonFiniteQuery(term):
            "the query term '\(term)' embeds to NaN or infinite values: the model or head weights are probably damaged (reinstall the model or retrain the head)"
        case let .unknownView(name, card): "the head at \(card) names an unknown image view '\(name)'"
        }
    }
}
