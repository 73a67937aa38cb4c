import Foundation

/// A remote-sensing data set: images, their captions, labels and splits.
///
/// One value describes any of the three shapes Aerie reads — a Karpathy-style caption JSON with
/// an image root, a class-folder scene data set, or a plain folder of images — so that indexing,
/// search and evaluation never care which shape a data set came in. Captions are kept exactly as
/// the source gives them, in order and with duplicates, because the retrieval protocol of the
/// literature counts every caption as a query.
public struct CaptionDataset: Sendable {
    /// The shape a data set was read from.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Karpathy-style caption JSON (`images[].filename`, `split`, `sentences[].raw`).
        case captionJSON = "caption-json"
        /// A folder per class; the label is the folder's name; no captions.
        case classFolders = "class-folders"
        /// A folder of images searched recursively; no labels, no captions.
        case imageFolder = "image-folder"
    }

    /// Which shape the data set was read from.
    public let kind: Kind
    /// The caption JSON file or the data set's folder.
    public let source: URL
    /// The folder image file names are relative to.
    public let imageRoot: URL
    /// The JSON's `dataset` field (`"rsicd"`, `"ucm"`, …) when present.
    public let name: String?
    /// Every usable entry, in source order; `images[i].id == i`.
    public let images: [ImageEntry]
    /// Indices into ``images`` of entries whose image file does not exist, in order.
    public let missing: [Int]
    /// Problems found while reading, in source order. None of them stopped the load.
    public let issues: [DatasetIssue]

    /// Assembles a data set from already validated parts (used by the loaders and the generator).
    ///
    /// - Precondition: `images[i].id == i` for every entry.
    public init(kind: Kind, source: URL, imageRoot: URL, name: String?, images: [ImageEntry],
                missing: [Int], issues: [DatasetIssue]) {
        precondition(images.indices.allSatisfy { images[$0].id == $0 }, "image ids must equal their positions")
        self.kind = kind
        self.source = source
        self.imageRoot = imageRoot
        self.name = name
        self.images = images
        self.missing = missing
        self.issues = issues
    }

    /// The splits present, in the order train, val, test, then others by name; unsplit entries excluded.
    public var splits: [Split] {
        let present = Set(images.compactMap(\.split))
        return present.sorted()
    }

    /// The entries of one split, in source order.
    public func images(in split: Split) -> [ImageEntry] {
        images.filter { $0.split == split }
    }

    /// The entries whose image file exists, in source order.
    public var presentImages: [ImageEntry] {
        let missingSet = Set(missing)
        return images.filter { !missingSet.contains($0.id) }
    }

    /// The number of captions over all entries.
    public var captionCount: Int {
        images.reduce(0) { $0 + $1.sentences.count }
    }

    /// The distinct labels with their image counts, most frequent first, then by name.
    public var labelCounts: [(label: String, count: Int)] {
        var counts: [String: Int] = [:]
        for entry in images { if let label = entry.label { counts[label, default: 0] += 1 } }
        return counts.map { (label: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.label < $1.label }
    }
}

/// One image of a data set with everything the data set says about it.
public struct ImageEntry: Sendable, Hashable, Identifiable {
    /// Position in the data set, from 0.
    public let id: Int
    /// The file name relative to the image root, with `/` separators (`airport_1.jpg`, `forest/12.png`).
    public let filename: String
    /// The resolved location: image root + ``filename``.
    public let url: URL
    /// The split this image belongs to, or `nil` when the data set has none.
    public let split: Split?
    /// The class label (the JSON's `label`, or the class folder's name).
    public let label: String?
    /// Captions, exactly as written, in source order, duplicates included.
    public let sentences: [String]
    /// The JSON's `imgid` when present: the data set's own number for this image.
    public let sourceID: Int?

    public init(id: Int, filename: String, url: URL, split: Split?, label: String?,
                sentences: [String], sourceID: Int? = nil) {
        self.id = id
        self.filename = filename
        self.url = url
        self.split = split
        self.label = label
        self.sentences = sentences
        self.sourceID = sourceID
    }
}

/// A data set split: `train`, `val`, `test`, or any other name a file uses (`restval`).
public struct Split: RawRepresentable, Hashable, Sendable, Codable, Comparable,
                     CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let train = Split(rawValue: "train")
    public static let val = Split(rawValue: "val")
    public static let test = Split(rawValue: "test")

    public var description: String { rawValue }

    /// train < val < test < any other split by name.
    public static func < (lhs: Split, rhs: Split) -> Bool {
        let order = ["train", "val", "test"]
        let l = order.firstIndex(of: lhs.rawValue) ?? order.count
        let r = order.firstIndex(of: rhs.rawValue) ?? order.count
        return l != r ? l < r : lhs.rawValue < rhs.rawValue
    }
}
