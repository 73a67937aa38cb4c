import AerieCore
import AerieJoint
import AerieModels
import Foundation
import GRDB

/// The embedding space an index's vectors live in: the encoders that made the features and the
/// joint head that projected them (none: image features, normalised, are the vectors).
public struct EmbeddingSpace: Codable, Hashable, Sendable, CustomStringConvertible {
    public var imageEncoder: ModelIdentity
    public var textEncoder: ModelIdentity?
    /// Identity of the joint head (e.g. the SHA-256 of its weights), nil without a head.
    public var head: String?
    /// Dimension of the stored vectors.
    public var dimension: Int

    public init(imageEncoder: ModelIdentity, textEncoder: ModelIdentity?, head: String?, dimension: Int) {
        self.imageEncoder = imageEncoder
        self.textEncoder = textEncoder
        self.head = head
        self.dimension = dimension
    }

    public var description: String {
        var parts = ["image \(imageEncoder)"]
        if let textEncoder { parts.append("text \(textEncoder)") }
        parts.append(head.map { "joint head \($0.prefix(12)) (\(dimension)-d)" } ?? "no joint head")
        return parts.joined(separator: ", ")
    }

    /// A canonical JSON text of the space (sorted keys), stored in the database and vector files.
    var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? description
    }
}

/// A joint head with the identity under which an index records it.
public struct JointHead: Sendable {
    public var projection: any JointProjection
    /// Stable identity, e.g. the SHA-256 of the head's weights file.
    public var identity: String

    public init(projection: any JointProjection, identity: String) {
        self.projection = projection
        self.identity = identity
    }
}

/// Where an index lives and what its files are called.
public struct IndexLocation: Sendable, Hashable {
    /// The index directory.
    public var directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `${XDG_DATA_HOME:-~/.local/share}/aerie/indexes/<name>-<hash of the data set's absolute path>`:
    /// one folder per data set, never inside the data set (which may be read-only).
    public static func defaultLocation(forDataset dataset: URL, name: String? = nil,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) -> IndexLocation {
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".local/share")
        let absolute = dataset.standardizedFileURL.resolvingSymlinksInPath().path
        let base = name ?? dataset.deletingPathExtension().lastPathComponent
        let safe = String(base.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" ? Character($0) : "_" }.prefix(64))
        let hash = String(FNV1a.hash(absolute), radix: 16)
        return IndexLocation(directory: dataHome.appendingPathComponent("aerie/indexes/\(safe)-\(hash)"))
    }

    public var database: URL { directory.appendingPathComponent("index.sqlite") }

    /// The vector file of `kind` (`images`, `captions`) and storage at `generation`.
    func vectorFile(_ kind: String, _ type: VectorType, generation: UInt64) -> URL {
        directory.appendingPathComponent("\(kind).g\(generation).\(type).vec")
    }
}

/// The SQLite schema, created and migrated through GRDB.
enum IndexSchema {
    static let version = 1

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE images (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE,       -- relative to the image root
                    position INTEGER NOT NULL,        -- order in the data set
                    split TEXT, label TEXT,
                    size INTEGER NOT NULL, mtime REAL NOT NULL, contentCRC INTEGER NOT NULL,
                    feature BLOB,                     -- float32 encoder features, NULL until encoded
                    encoder TEXT,                     -- canonical JSON of the image encoder's identity
                    error TEXT                        -- why the image could not be encoded
                );
                CREATE TABLE captions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    imageId INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    text TEXT NOT NULL
                );
                CREATE INDEX captions_image ON captions(imageId);
                CREATE TABLE textFeatures (
                    text TEXT PRIMARY KEY NOT NULL,
                    encoder TEXT NOT NULL,
                    feature BLOB NOT NULL
                );
                CREATE TABLE vectorFiles (
                    name TEXT PRIMARY KEY NOT NULL,   -- kind.type, e.g. images.fp32
                    generation INTEGER NOT NULL, count INTEGER NOT NULL, dimension INTEGER NOT NULL,
                    crc INTEGER NOT NULL, identity TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    static func open(_ location: IndexLocation, create: Bool) throws -> DatabaseQueue {
        let path = location.database.path
        switch FileKind(path: path) {
        case .missing:
            if !create { throw IndexError.noIndex(directory: location.directory.path) }
        case .regular:
            break
        case let kind:
            // SQLite would block forever opening a FIFO, or fail with a raw message on the rest.
            throw IndexError.notARegularFile(path: path, kind: kind.description)
        }
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            configuration.readonly = !create
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            if create {
                try migrator().migrate(queue)
            } else {
                let applied = try queue.read { try migrator().hasCompletedMigrations($0) }
                guard applied else { throw IndexError.databaseUnreadable(path: path, reason: "unknown or older schema") }
            }
            return queue
        } catch let error as IndexError {
            throw error
        } catch {
            throw create
                ? IndexError.writeFailure(error, directory: location.directory)
                : IndexError.databaseUnreadable(path: path, reason: SQLiteFailure.reason(error))
        }
    }
}

/// Float32 rows as SQLite blobs (little-endian, the byte order of every platform Aerie runs on).
enum FeatureBlob {
    static func data(_ values: ArraySlice<Float>) -> Data { values.withUnsafeBytes { Data($0) } }
    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }
}
