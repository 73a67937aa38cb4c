import AerieCore
import Foundation
import AerieEvaluation
import GRDB

/// Relevance labels and query history in one SQLite file.
///
/// Every write is its own committed transaction (SQLite's write-ahead log with
/// `synchronous=FULL`), so a label the browser reports as saved survives `kill -9` or a power
/// cut. Several stores (two browsers, a browser and `aerie labels import`) may share one file:
/// readers never block the writer, and a writer waits for another's transaction (a busy
/// timeout, then a few retries) instead of failing with "database is locked". The file carries
/// an application id (the magic, `AERB`) and a schema version, checked when it is opened.
public final class LabelStore: Sendable {
    /// SQLite's `application_id` for Aerie's label files: "AERB".
    public static let applicationID: Int32 = 0x4145_5242
    /// The schema version this code writes and reads.
    public static let schemaVersion = 1
    /// How long one write waits for another connection's transaction before SQLite gives up.
    public static let busyTimeout: TimeInterval = 5
    /// How many times a write that still finds the file busy is tried again.
    static let busyRetries = 4

    private let database: DatabaseQueue
    /// Where the store lives, or `nil` in memory.
    public let path: String?

    /// Opens (creating if needed) the label file at `path`.
    /// - Throws: `LabelStoreError` when the file is not a label store or is of a newer version.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LabelStoreError.cannotOpen(path: path, reason: SQLiteFailure.reason(error))
            }
        }
        let kind = FileKind(path: path)
        guard kind == .regular || kind == .missing else {
            // SQLite would block forever opening a FIFO.
            throw LabelStoreError.cannotOpen(path: path, reason: "it is \(kind), not a regular file; name another --labels file")
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(LabelStore.busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw LabelStoreError.cannotOpen(path: path, reason: SQLiteFailure.reason(error))
        }
        try prepare()
    }

    /// Opens the label file at `path` to read it: unlike ``init(path:)``, a missing file is an
    /// error and nothing is created (`aerie labels list`, `export`, `eval`).
    /// - Throws: ``LabelStoreError/noLabelFile(path:)`` when nothing is at `path`; otherwise as
    ///   ``init(path:)``.
    public convenience init(existingAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw LabelStoreError.noLabelFile(path: path) }
        try self.init(path: path)
    }

    /// A store in memory (tests, or when no file is wanted).
    public init() throws {
        path = nil
        do {
            database = try DatabaseQueue()
        } catch {
            throw LabelStoreError.cannotOpen(path: ":memory:", reason: SQLiteFailure.reason(error))
        }
        try prepare()
    }

    private func prepare() throws {
        let where_ = path ?? ":memory:"
        do {
            try immediateTransaction { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if appID == 0 && tables > 0 {
                    throw LabelStoreError.notALabelStore(path: where_)
                }
                if appID != 0 && appID != LabelStore.applicationID {
                    throw LabelStoreError.notALabelStore(path: where_)
                }
                if version > LabelStore.schemaVersion {
                    throw LabelStoreError.newerVersion(path: where_, found: version, supported: LabelStore.schemaVersion)
                }
                if version < 1 {
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS topic (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            query TEXT NOT NULL UNIQUE
                        );
                        CREATE TABLE IF NOT EXISTS label (
                            topic INTEGER NOT NULL REFERENCES topic(id),
                            image TEXT NOT NULL,
                            grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 3),
                            updated REAL NOT NULL,
                            PRIMARY KEY (topic, image)
                        );
                        CREATE TABLE IF NOT EXISTS history (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            query TEXT NOT NULL,
                            at REAL NOT NULL
                        );
                        PRAGMA application_id = \(LabelStore.applicationID);
                        PRAGMA user_version = \(LabelStore.schemaVersion);
                        """)
                }
            }
        } catch let error as LabelStoreError {
            throw error
        } catch {
            throw LabelStoreError.cannotOpen(path: where_, reason: SQLiteFailure.reason(error))
        }
    }

    private func topicID(_ db: Database, _ query: String) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM topic WHERE query = ?", arguments: [query]) {
            return id
        }
        try db.execute(sql: "INSERT INTO topic (query) VALUES (?)", arguments: [query])
        return db.lastInsertedRowID
    }

    /// Applies one change (set or remove a label) and commits it before returning.
    public func apply(_ change: LabelChange) throws {
        try write { db in
            let topic = try self.topicID(db, change.key.query)
            if let grade = change.grade {
                precondition(Label.grades.contains(grade), "a relevance grade is 0...3, got \(grade)")
                try db.execute(
                    sql: """
                        INSERT INTO label (topic, image, grade, updated) VALUES (?, ?, ?, ?)
                        ON CONFLICT (topic, image) DO UPDATE SET grade = excluded.grade, updated = excluded.updated
                        """,
                    arguments: [topic, change.key.imageID, grade, Date().timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM label WHERE topic = ? AND image = ?", arguments: [topic, change.key.imageID])
            }
        }
    }

    /// Saves many labels in one transaction (import).
    public func save(_ labels: [Label]) throws {
        try write { db in
            for label in labels {
                let topic = try self.topicID(db, label.query)
                try db.execute(
                    sql: """
                        INSERT INTO label (topic, image, grade, updated) VALUES (?, ?, ?, ?)
                        ON CONFLICT (topic, image) DO UPDATE SET grade = excluded.grade, updated = excluded.updated
                        """,
                    arguments: [topic, label.imageID, label.grade, Date().timeIntervalSince1970])
            }
        }
    }

    /// Every label, ordered by topic then image.
    public func allLabels() throws -> [Label] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT topic.query AS query, label.image AS image, label.grade AS grade
                FROM label JOIN topic ON topic.id = label.topic ORDER BY topic.id, label.image
                """)
            return rows.compactMap { row -> Label? in
                let grade: Int = row["grade"]
                guard Label.grades.contains(grade) else { return nil }
                return Label(query: row["query"], imageID: row["image"], grade: grade)
            }
        }
    }

    /// The topics (queries) that have labels, with their stable numeric ids.
    public func topics() throws -> [(id: Int64, query: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, query FROM topic WHERE id IN (SELECT DISTINCT topic FROM label) ORDER BY id
                """).map { (id: $0["id"], query: $0["query"]) }
        }
    }

    /// Appends a query to the history (skipped when it repeats the last one).
    public func appendHistory(_ query: String) throws {
        try write { db in
            let last = try String.fetchOne(db, sql: "SELECT query FROM history ORDER BY id DESC LIMIT 1")
            if last != query {
                try db.execute(sql: "INSERT INTO history (query, at) VALUES (?, ?)", arguments: [query, Date().timeIntervalSince1970])
            }
        }
    }

    /// The most recent distinct queries, oldest first.
    public func history(limit: Int = 500) throws -> [String] {
        try read { db in
            let newestFirst = try String.fetchAll(db, sql: """
                SELECT query FROM history GROUP BY query ORDER BY max(id) DESC LIMIT ?
                """, arguments: [limit])
            return newestFirst.reversed()
        }
    }

    /// Runs `body` in one committed `IMMEDIATE` transaction. Taking the write lock at `BEGIN`
    /// lets the busy timeout wait for another writer (a deferred transaction that read first
    /// would fail at once with a stale snapshot); a write still busy after the timeout (WAL
    /// recovery, a checkpoint) is tried again a few times before it is an error.
    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try immediateTransaction(body)
        } catch let error as LabelStoreError {
            throw error
        } catch {
            throw LabelStoreError.writeFailed(path: path ?? ":memory:", reason: SQLiteFailure.reason(error))
        }
    }

    private func immediateTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try database.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(db)
                        return .commit
                    }
                    guard let result else { preconditionFailure("a committed transaction ran its body") }
                    return result
                }
            } catch let error as DatabaseError where LabelStore.isBusy(error) && attempt < LabelStore.busyRetries {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.01 * Double(1 << attempt))
            }
        }
    }

    private static func isBusy(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw LabelStoreError.readFailed(path: path ?? ":memory:", reason: SQLiteFailure.reason(error))
        }
    }
}

/// Why the label store failed.
public enum LabelStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case noLabelFile(path: String)
    case notALabelStore(path: String)
    case newerVersion(path: String, found: Int, supported: Int)
    case writeFailed(path: String, reason: String)
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open label store \(path): \(reason)"
        case let .noLabelFile(path): return "no label file at \(path)"
        case let .notALabelStore(path): return "\(path) is not an Aerie label store (wrong application id)"
        case let .newerVersion(path, found, supported):
            return "label store \(path) has schema version \(found); this Aerie reads up to \(supported)"
        case let .writeFailed(path, reason): return "cannot write label store \(path): \(reason)"
        case let .readFailed(path, reason): return "cannot read label store \(path): \(reason)"
        }
    }
}

extension LabelStore {
    /// Where labels live unless `--labels` says otherwise: `$AERIE_LABELS`, else
    /// `$XDG_DATA_HOME/aerie/labels.sqlite`, else `~/.local/share/aerie/labels.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let explicit = environment["AERIE_LABELS"], !explicit.isEmpty { return explicit }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/aerie/labels.sqlite" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/aerie/labels.sqlite"
    }
}

extension LabelStore: LabelRecording {}
