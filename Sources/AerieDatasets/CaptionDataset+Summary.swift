import Foundation

/// Counts and statistics that describe a data set at a glance (`aerie datasets inspect`).
public struct DatasetSummary: Sendable, Codable, Equatable {
    /// Minimum, maximum, mean and median of a list of lengths.
    public struct LengthStats: Sendable, Codable, Equatable {
        public let min: Int
        public let max: Int
        public let mean: Double
        public let median: Double

        /// Statistics of `values`, or `nil` when it is empty.
        public init?(_ values: [Int]) {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            min = sorted[0]
            max = sorted[sorted.count - 1]
            mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
            let mid = sorted.count / 2
            median = sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
        }
    }

    public struct LabelCount: Sendable, Codable, Equatable {
        public let label: String
        public let count: Int
    }

    public let kind: String
    public let source: String
    public let imageRoot: String
    public let name: String?
    public let images: Int
    public let captions: Int
    /// Captions counted once per distinct text.
    public let distinctCaptions: Int
    /// Images per split name; unsplit images under `"(none)"`.
    public let splits: [String: Int]
    /// Images per label, most frequent first.
    public let labels: [LabelCount]
    /// How many images have n captions, keyed by n.
    public let captionsPerImage: [String: Int]
    /// Caption lengths in words (split on white space).
    public let captionWords: LengthStats?
    /// Caption lengths in characters.
    public let captionCharacters: LengthStats?
    public let missingImages: Int
    /// The first few missing files, relative to the image root.
    public let missingExamples: [String]
    /// Issues per category.
    public let issueCounts: [String: Int]
}

extension CaptionDataset {
    /// Counts and caption statistics; `missingExamples` lists at most `examples` missing files.
    public func summary(missingExamples examples: Int = 5) -> DatasetSummary {
        var splits: [String: Int] = [:]
        var perImage: [String: Int] = [:]
        var words: [Int] = []
        var characters: [Int] = []
        var distinct = Set<String>()
        words.reserveCapacity(captionCount)
        characters.reserveCapacity(captionCount)
        for entry in images {
            splits[entry.split?.rawValue ?? "(none)", default: 0] += 1
            perImage[String(entry.sentences.count), default: 0] += 1
            for sentence in entry.sentences {
                words.append(sentence.split(whereSeparator: \.isWhitespace).count)
                characters.append(sentence.count)
                distinct.insert(sentence)
            }
        }
        var issueCounts: [String: Int] = [:]
        for issue in issues { issueCounts[issue.category, default: 0] += 1 }
        return DatasetSummary(
            kind: kind.rawValue, source: source.path, imageRoot: imageRoot.path, name: name,
            images: images.count, captions: words.count, distinctCaptions: distinct.count,
            splits: splits,
            labels: labelCounts.map { DatasetSummary.LabelCount(label: $0.label, count: $0.count) },
            captionsPerImage: perImage,
            captionWords: DatasetSummary.LengthStats(words),
            captionCharacters: DatasetSummary.LengthStats(characters),
            missingImages: missing.count,
            missingExamples: missing.prefix(examples).map { images[$0].filename },
            issueCounts: issueCounts)
    }
}
