import AerieModels
import Foundation
import GRDB

/// An image of an opened index.
public struct IndexedImage: Sendable, Hashable, Codable {
    /// Row in the image vectors (0-based, stable for this generation).
    public var row: Int
    /// Database id (stable across re-indexing while the file stays).
    public var id: Int64
    /// Path relative to the data set's image root.
    public var path: String
    public var split: String?
    public var label: String?
    /// Rows of this image's captions in the caption vectors.
    public var captionRows: [Int]
}

/// A caption of an opened index.
public struct IndexedCaption: Sendable, Hashable, Codable {
    public var row: Int
    public var id: Int64
    /// Row of its image.
    public var imageRow: Int
    public var text: String
}

/// A read-only, validated view of an index: metadata from SQLite, vectors memory-mapped.
///
/// Opening checks that every vector file is the one the database recorded (generation, count,
/// dimension, checksum, kind, embedding space) and that the index is complete; anything else is
/// an ``IndexError``, never a silently wrong result.
public final class SearchIndex: @unchecked Sendable {
    public let location: IndexLocation
    public let space: EmbeddingSpace
    public let generation: UInt64
    public let images: [IndexedImage]
    public let captions: [IndexedCaption]
    /// Joint image vectors in the stored type, and their sign-bit codes.
    public let imageVectors: VectorMatrix
    public let imageCodes: VectorMatrix
    /// Joint caption vectors (nil without a joint head and a text encoder).
    public let captionVectors: VectorMatrix?
    public let captionCodes: VectorMatrix?
    private let database: DatabaseQueue

    /// Opens and validates the index at `location`.
    /// - Parameter verifyPayload: check every vector file's CRC-32 (reads the files once).
    public init(location: IndexLocation, verifyPayload: Bool = true) throws {
        self.location = location
        let db = try IndexSchema.open(location, create: false)
        database = db
        let (meta, recorded, images, captionRows) = try db.read { db in
            let meta = Dictionary(try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) },
                                  uniquingKeysWith: { a, _ in a })
            let files = try Row.fetchAll(db, sql: "SELECT * FROM vectorFiles")
            let images = try Row.fetchAll(db, sql: "SELECT id, path, split, label FROM images WHERE feature IS NOT NULL ORDER BY id")
            let captions = try Row.fetchAll(db, sql: """
                SELECT c.id, c.imageId, c.text FROM captions c JOIN images i ON i.id = c.imageId
                WHERE i.feature IS NOT NULL ORDER BY c.id
                """)
            return (meta, files, images, captions)
        }
        guard meta["state"] == "complete", let generationText = meta["generation"], let generation = UInt64(generationText),
              let spaceJSON = meta["space"], let typeName = meta["vectorType"], let type = VectorType(name: typeName)
        else { throw IndexError.incomplete(directory: location.directory.path) }
        let space: EmbeddingSpace
        do {
            space = try JSONDecoder().decode(EmbeddingSpace.self, from: Data(spaceJSON.utf8))
        } catch {
            throw IndexError.databaseUnreadable(path: location.database.path, reason: "embedding space record is damaged")
        }
        self.space = space
        self.generation = generation

        var rowOfImage: [Int64: Int] = [:]
        var builtImages: [IndexedImage] = []
        for (row, record) in images.enumerated() {
            let id: Int64 = record["id"]
            rowOfImage[id] = row
            builtImages.append(IndexedImage(row: row, id: id, path: record["path"], split: record["split"], label: record["label"], captionRows: []))
        }
        var builtCaptions: [IndexedCaption] = []
        for (row, record) in captionRows.enumerated() {
            guard let imageRow = rowOfImage[record["imageId"] as Int64] else { continue }
            builtCaptions.append(IndexedCaption(row: row, id: record["id"], imageRow: imageRow, text: record["text"]))
            builtImages[imageRow].captionRows.append(row)
        }
        self.images = builtImages
        self.captions = builtCaptions

        let byName = Dictionary(recorded.map { ($0["name"] as String, $0) }, uniquingKeysWith: { a, _ in a })
        func load(_ kind: String, _ type: VectorType, count: Int) throws -> VectorMatrix? {
            guard let record = byName["\(kind).\(type)"] else { return nil }
            let url = location.vectorFile(kind, type, generation: generation)
            let (header, matrix) = try VectorFile.open(url, verifyPayload: verifyPayload)
            let path = url.path
            let expectedIdentity = VectorIdentity.make(kind: kind, type: type, space: space)
            func check(_ field: String, _ expected: String, _ found: String) throws {
                if expected != found { throw IndexError.vectorFileMismatch(path: path, field: field, expected: expected, found: found) }
            }
            try check("generation", "\(generation)", "\(header.generation)")
            try check("identity", expectedIdentity, header.identity)
            try check("identity (database)", record["identity"] as String, header.identity)
            try check("type", "\(type)", "\(header.type)")
            try check("dimension", "\(space.dimension)", "\(header.dimension)")
            try check("count", "\(count)", "\(header.count)")
            try check("count (database)", "\(record["count"] as Int)", "\(header.count)")
            try check("checksum", String(UInt32(truncatingIfNeeded: record["crc"] as Int64), radix: 16), String(header.payloadCRC, radix: 16))
            return matrix
        }
        guard let imageVectors = try load("images", type, count: builtImages.count),
              let imageCodes = try load("images", .binary, count: builtImages.count)
        else { throw IndexError.incomplete(directory: location.directory.path) }
        self.imageVectors = imageVectors
        self.imageCodes = imageCodes
        captionVectors = try load("captions", type, count: builtCaptions.count)
        captionCodes = try load("captions", .binary, count: builtCaptions.count)
    }

    /// Stored encoder features of image `row` (for re-projection or inspection).
    public func imageFeature(row: Int) throws -> [Float] {
        let id = images[row].id
        let blob = try database.read { try Data.fetchOne($0, sql: "SELECT feature FROM images WHERE id = ?", arguments: [id]) }
        guard let blob else { throw IndexError.unknownItem("image \(id)") }
        return FeatureBlob.floats(blob)
    }

    /// The image whose path (relative to the image root) or database id is `reference`.
    public func image(matching reference: String) -> IndexedImage? {
        if let id = Int64(reference), let hit = images.first(where: { $0.id == id }) { return hit }
        return images.first { $0.path == reference || reference.hasSuffix("/" + $0.path) }
    }

    /// What a search runs against.
    public enum Target: String, Sendable { case images, captions }

    /// The matrix searched for `target` under `metric` (binary codes for Hamming).
    public func matrix(for target: Target, metric: Metric) throws -> VectorMatrix {
        switch target {
        case .images:
            return metric == .hamming ? imageCodes : imageVectors
        case .captions:
            guard let vectors = captionVectors, let codes = captionCodes else {
                throw IndexError.noVectors(kind: "caption", reason: "the index was built without a joint head (run `aerie train`, then `aerie index`)")
            }
            return metric == .hamming ? codes : vectors
        }
    }

    /// The `k` nearest images or captions to a joint-space vector.
    public func search(_ vector: [Float], target: Target, k: Int, metric: Metric = .cosine,
                       engine: ScoringEngine = ScoringEngine()) throws -> [Hit] {
        try engine.search(vector, in: matrix(for: target, metric: metric), k: k, metric: metric)
    }

    /// Checks that encoders and head asked for are the ones the index was built with.
    public func requireSpace(_ expected: EmbeddingSpace) throws {
        if expected.imageEncoder != space.imageEncoder {
            throw IndexError.modelMismatch(what: "image encoder", index: space.imageEncoder.description, requested: expected.imageEncoder.description)
        }
        if let text = expected.textEncoder, text != space.textEncoder {
            throw IndexError.modelMismatch(what: "text encoder", index: space.textEncoder?.description ?? "none", requested: text.description)
        }
        if expected.head != space.head {
            throw IndexError.modelMismatch(what: "joint head", index: space.head ?? "none", requested: expected.head ?? "none")
        }
    }
}
