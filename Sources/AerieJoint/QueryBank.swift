import AerieCore
import AerieTensor
import Foundation

/// A head's reference queries: the joint vectors of a sample of its training captions, shipped
/// beside the weights (`query-bank.safetensors`).
///
/// Hubness corrections (CSLS, inverted softmax) learn each image's offset from how close it lies
/// to typical queries. An index of captioned images has its own captions for that; a user's folder
/// of images has none, and the bank stands in for them, so `--hubness` works on every index.
public struct QueryBank: Sendable, Equatable {
    /// The file's name inside a head directory.
    public static let fileName = "query-bank.safetensors"
    static let formatName = "aerie-query-bank"

    /// Unit joint vectors, `[count, dimension]`.
    public var vectors: Tensor

    public init(vectors: Tensor) { self.vectors = vectors }

    public var count: Int { vectors.shape[0] }
    public var dimension: Int { vectors.shape[1] }

    /// What a head's card records of its bank, so a missing, truncated or foreign file is found.
    public struct Record: Codable, Sendable, Equatable {
        public var count: Int
        public var sha256: String
        /// Where the queries come from, e.g. "1,000 distinct captions of the train split".
        public var source: String
    }

    /// `count` rows spread evenly over `0..<total` (all of them when `count ≥ total`).
    public static func spread(_ count: Int, over total: Int) -> [Int] {
        guard total > 0, count > 0 else { return [] }
        return count >= total ? Array(0..<total) : (0..<count).map { $0 * total / count }
    }

    /// Writes the bank (float16) into `directory` and returns the record for the head's card.
    public func save(to directory: URL, source: String) throws -> Record {
        let url = directory.appendingPathComponent(Self.fileName)
        try SafeTensorsWriter.write(tensors: ["queries": vectors], metadata: ["format": Self.formatName], dtype: .f16, to: url)
        var sha = SHA256()
        sha.update(try Data(contentsOf: url))
        return Record(count: count, sha256: sha.finalizeHex(), source: source)
    }

    /// Reads the bank a card records, checking the file's hash and shape first.
    /// - Throws: ``JointError/badFile(path:reason:)`` naming the file when it is missing,
    ///   truncated, altered or of the wrong shape.
    public static func load(from directory: URL, record: Record, dimension: Int) throws -> QueryBank {
        let url = directory.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw JointError.badFile(path: url.path, reason: "the head's query bank is missing (retrain the head, or copy the whole head folder)")
        }
        var sha = SHA256()
        sha.update(data)
        guard sha.finalizeHex() == record.sha256 else {
            throw JointError.badFile(path: url.path, reason: "the query bank does not match the head's card (truncated or altered)")
        }
        let file = try SafeTensorsFile(contentsOf: url)
        guard file.metadata["format"] == formatName else {
            throw JointError.badFile(path: url.path, reason: "not an Aerie query bank")
        }
        return QueryBank(vectors: try file.tensor("queries", shape: [record.count, dimension]))
    }
}
