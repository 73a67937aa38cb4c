import AerieCore
import AerieDatasets
import AerieImage
import AerieModels
import AerieTensor
import Foundation
import GRDB

/// Progress of an indexing run, reported after every committed batch.
public struct IndexingProgress: Sendable {
    public enum Phase: String, Sendable { case images, captions, vectors }
    public var phase: Phase
    public var done: Int
    public var total: Int
}

/// What an indexing run did.
public struct IndexingSummary: Sendable, Codable, Equatable {
    public var imagesEncoded = 0
    public var imagesUnchanged = 0
    public var imagesRemoved = 0
    public var imagesFailed: [String] = []
    public var captionsEncoded = 0
    public var vectorsRebuilt = false
    public var generation: UInt64 = 0
}

/// Builds and incrementally updates an index: encoder features in SQLite, joint vectors in
/// vector files.
///
/// An update proceeds in committed steps, so that an interruption at any point (Ctrl-C, kill -9,
/// power loss) loses at most one batch of work:
/// 1. the data set's images and captions are synchronised into the database (new, changed and
///    deleted files found by size, mtime and content CRC), and the index is marked incomplete;
/// 2. images without features are decoded and encoded in batches, each batch committed;
/// 3. captions whose text has no features are encoded in batches, each committed;
/// 4. the features are projected into the joint space and written as new vector files of the
///    next generation (temporary file + rename) beside the previous generation's; one
///    transaction then points the database at them and marks the index complete; the previous
///    generation's files are deleted.
///
/// The index is marked incomplete only when the database stops matching the vectors (images
/// added, changed or removed); a new head or vector type alone (and ``reproject()``) leaves the
/// previous generation complete and searchable until the new one is switched to. When writing
/// the new generation fails (a full disk: ``IndexError/diskFull(directory:)``), its files are
/// removed and the database still points at the previous one, so a rerun starts clean.
public struct IndexBuilder: Sendable {
    public var location: IndexLocation
    public var imageEncoder: any ImageEncoding
    public var textEncoder: (any TextEncoding)?
    public var head: JointHead?
    /// Decodes an image file (the CLI passes AerieImage's decoder).
    public var decode: @Sendable (URL) throws -> RGBAImage
    /// Storage of the joint vectors (binary codes are always written too, for Hamming search).
    public var vectorType: VectorType
    public var batchSize: Int
    /// Threads for decoding a batch.
    public var threads: Int
    /// For tests: the bytes the vector files of one generation may take before writing fails
    /// with ENOSPC, as on a full disk (nil: no limit).
    var vectorWriteBudget: Int?

    public init(location: IndexLocation, imageEncoder: any ImageEncoding, textEncoder: (any TextEncoding)?,
                head: JointHead?, decode: @escaping @Sendable (URL) throws -> RGBAImage,
                vectorType: VectorType = .float32, batchSize: Int = 32,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        precondition(vectorType != .binary, "joint vectors are stored as fp32 or fp16; binary codes come with them")
        self.location = location
        self.imageEncoder = imageEncoder
        self.textEncoder = textEncoder
        self.head = head
        self.decode = decode
        self.vectorType = vectorType
        self.batchSize = max(1, batchSize)
        self.threads = max(1, threads)
    }

    /// The space this builder's vectors live in.
    public var space: EmbeddingSpace {
        EmbeddingSpace(imageEncoder: imageEncoder.identity, textEncoder: textEncoder?.identity,
                       head: head?.identity, dimension: head?.projection.dimension ?? imageEncoder.identity.dimension)
    }

    /// Brings the index up to date with `dataset`.
    ///
    /// - Parameter progress: called after each committed batch; throwing from it (e.g.
    ///   ``IndexError/cancelled`` on Ctrl-C) stops the run, keeping the committed work.
    /// Only one update or reprojection runs on an index at a time: the second fails at once with
    /// ``IndexError/locked(directory:holder:)`` naming the first's process id (see `IndexLock`).
    /// - Throws: ``IndexError`` (``IndexError/cannotWrite(directory:reason:)`` when the index
    ///   folder or database cannot be written), encoder errors.
    @discardableResult
    public func update(_ dataset: CaptionDataset, progress: (IndexingProgress) throws -> Void = { _ in }) throws -> IndexingSummary {
        try writing { try synchronise(dataset, progress: progress) }
    }

    /// Runs `body`, turning a failure to write the database, the vector files or the folder into
    /// ``IndexError/diskFull(directory:)`` or ``IndexError/cannotWrite(directory:reason:)``: one
    /// line, no SQL.
    private func writing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw IndexError.writeFailure(error, directory: location.directory)
        } catch let error as OutputError {
            throw IndexError.writeFailure(error, directory: location.directory)
        } catch let error as CocoaError where error.isFileError {
            throw IndexError.writeFailure(error, directory: location.directory)
        }
    }

    private func synchronise(_ dataset: CaptionDataset, progress: (IndexingProgress) throws -> Void) throws -> IndexingSummary {
        try validateHead()
        try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
        let lock = try IndexLock.acquire(location)
        defer { lock.release() }
        let db = try IndexSchema.open(location, create: true)
        var summary = IndexingSummary()
        var metadataChanged = false
        let imageKey = canonical(imageEncoder.identity)
        let textKey = textEncoder.map { canonical($0.identity) }

        // 1. Synchronise the data set into the database.
        // A file listed twice (the loaders report it as an issue) is indexed once, as first listed.
        var seen = Set<String>()
        let entries = dataset.presentImages.filter { seen.insert($0.filename).inserted }
        let stats = entries.map { entry in FileStat(url: entry.url) }
        try db.write { db in
            var known: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, path, position, split, label, size, mtime, contentCRC, encoder, feature IS NOT NULL AS encoded FROM images") {
                known[row["path"]] = row
            }
            let present = Set(entries.map(\.filename))
            for (path, row) in known where !present.contains(path) {
                try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [row["id"] as Int64])
                summary.imagesRemoved += 1
            }
            for (position, entry) in entries.enumerated() {
                let stat = stats[position]
                if let row = known[entry.filename] {
                    let id: Int64 = row["id"]
                    var keep = (row["encoded"] as Bool) && (row["encoder"] as String?) == imageKey
                    if keep, (row["size"] as Int64) != stat.size || (row["mtime"] as Double) != stat.mtime {
                        // Size or time changed: the content decides.
                        keep = (row["contentCRC"] as Int64) == Int64(stat.contentCRC())
                    }
                    try db.execute(sql: """
                        UPDATE images SET position = ?, split = ?, label = ?, size = ?, mtime = ?,
                            contentCRC = CASE WHEN ? THEN contentCRC ELSE -1 END,
                            feature = CASE WHEN ? THEN feature ELSE NULL END,
                            error = CASE WHEN ? THEN error ELSE NULL END
                        WHERE id = ?
                        """, arguments: [position, entry.split?.rawValue, entry.label, stat.size, stat.mtime, keep, keep, keep, id])
                    if keep { summary.imagesUnchanged += 1 }
                    if try syncCaptions(db, imageId: id, entry.sentences) { metadataChanged = true }
                    if (row["split"] as String?) != entry.split?.rawValue || (row["label"] as String?) != entry.label
                        || (row["position"] as Int) != position { metadataChanged = true }
                } else {
                    try db.execute(sql: """
                        INSERT INTO images (path, position, split, label, size, mtime, contentCRC) VALUES (?, ?, ?, ?, ?, ?, -1)
                        """, arguments: [entry.filename, position, entry.split?.rawValue, entry.label, stat.size, stat.mtime])
                    try syncCaptions(db, imageId: db.lastInsertedRowID, entry.sentences)
                    metadataChanged = true
                }
            }
            if let textKey { try db.execute(sql: "DELETE FROM textFeatures WHERE encoder != ?", arguments: [textKey]) }
            // The stored vectors no longer describe these images.
            if metadataChanged || summary.imagesRemoved > 0 { try markIncomplete(db) }
        }

        // 2. Encode images without features, a committed batch at a time.
        let pending = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, path FROM images WHERE feature IS NULL AND error IS NULL ORDER BY position")
                .map { (id: $0["id"] as Int64, path: $0["path"] as String) }
        }
        let urls = Dictionary(entries.map { ($0.filename, $0.url) }, uniquingKeysWith: { first, _ in first })
        var done = 0
        if !pending.isEmpty { try markIncomplete(db) }
        try progress(IndexingProgress(phase: .images, done: 0, total: pending.count))
        for start in stride(from: 0, to: pending.count, by: batchSize) {
            let batch = Array(pending[start..<min(pending.count, start + batchSize)])
            let decoded = decodeBatch(batch.map { urls[$0.path] })
            let good = batch.indices.filter { decoded[$0].image != nil }
            let images = good.compactMap { decoded[$0].image }
            let features = images.isEmpty ? nil : try imageEncoder.encode(images)
            let d = imageEncoder.identity.dimension
            if let features, features.shape != [images.count, d] {
                throw IndexError.badEncoderOutput(encoder: imageEncoder.identity.name, expected: [images.count, d], actual: features.shape)
            }
            if let features, let bad = BLAS.firstNonFinite(features.data) {
                throw IndexError.nonFiniteOutput(encoder: imageEncoder.identity.name, item: batch[good[bad / d]].path)
            }
            try db.write { db in
                for (row, i) in good.enumerated() {
                    guard let features, let url = urls[batch[i].path] else { continue }
                    try db.execute(sql: "UPDATE images SET feature = ?, encoder = ?, contentCRC = ? WHERE id = ?", arguments: [
                        FeatureBlob.data(features.data[(row * d)..<((row + 1) * d)]), imageKey,
                        Int64(FileStat(url: url).contentCRC()), batch[i].id])
                }
                for i in batch.indices where decoded[i].image == nil {
                    try db.execute(sql: "UPDATE images SET error = ? WHERE id = ?", arguments: [decoded[i].error, batch[i].id])
                }
            }
            summary.imagesEncoded += good.count
            summary.imagesFailed += batch.indices.filter { decoded[$0].image == nil }.map { batch[$0].path }
            done += batch.count
            try progress(IndexingProgress(phase: .images, done: done, total: pending.count))
        }

        // 3. Encode caption texts without features.
        if let textEncoder, let textKey {
            let texts = try db.read { db in
                try String.fetchAll(db, sql: """
                    SELECT DISTINCT c.text FROM captions c LEFT JOIN textFeatures t ON t.text = c.text
                    WHERE t.text IS NULL ORDER BY c.id
                    """)
            }
            if !texts.isEmpty { try markIncomplete(db) }
            let d = textEncoder.identity.dimension
            for start in stride(from: 0, to: texts.count, by: batchSize * 4) {
                let batch = Array(texts[start..<min(texts.count, start + batchSize * 4)])
                let features = try textEncoder.encode(batch)
                guard features.shape == [batch.count, d] else {
                    throw IndexError.badEncoderOutput(encoder: textEncoder.identity.name, expected: [batch.count, d], actual: features.shape)
                }
                if let bad = BLAS.firstNonFinite(features.data) {
                    throw IndexError.nonFiniteOutput(encoder: textEncoder.identity.name, item: "caption \"\(batch[bad / d].prefix(60))…\"")
                }
                try db.write { db in
                    for (row, text) in batch.enumerated() {
                        try db.execute(sql: "INSERT OR REPLACE INTO textFeatures (text, encoder, feature) VALUES (?, ?, ?)",
                                       arguments: [text, textKey, FeatureBlob.data(features.data[(row * d)..<((row + 1) * d)])])
                    }
                }
                summary.captionsEncoded += batch.count
                try progress(IndexingProgress(phase: .captions, done: start + batch.count, total: texts.count))
            }
        }

        // 4. Project and write the vectors, unless they are already current.
        let current = try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'state'") } == "complete"
        let sameSpace = try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'space'") } == space.canonicalJSON
        let sameType = try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'vectorType'") } == vectorType.description
        if current && sameSpace && sameType && !metadataChanged && summary.imagesRemoved == 0 && summary.imagesEncoded == 0
            && summary.captionsEncoded == 0, (try? SearchIndex(location: location)) != nil {
            summary.generation = try db.read { try UInt64.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'generation'") } ?? 0
            return summary
        }
        // Not marked incomplete here: the previous generation stays searchable until the switch.
        try progress(IndexingProgress(phase: .vectors, done: 0, total: 1))
        summary.generation = try writeVectors(db)
        summary.vectorsRebuilt = true
        try progress(IndexingProgress(phase: .vectors, done: 1, total: 1))
        return summary
    }

    /// Projects the stored features with this builder's head (no encoding) and writes new vectors.
    ///
    /// The previous generation stays complete and searchable until the new one is written.
    /// - Returns: the new generation.
    /// - Throws: ``IndexError/diskFull(directory:)`` when the disk fills (the previous generation
    ///   is kept), ``IndexError/cannotWrite(directory:reason:)``, ``IndexError/locked(directory:holder:)``.
    @discardableResult
    public func reproject() throws -> UInt64 {
        try validateHead()
        return try writing {
            try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
            let lock = try IndexLock.acquire(location)
            defer { lock.release() }
            return try writeVectors(try IndexSchema.open(location, create: true))
        }
    }

    private func validateHead() throws {
        guard let head else { return }
        let image = imageEncoder.identity
        if head.projection.imageEncoder.name != image.name || head.projection.imageEncoder.weightsSHA256 != image.weightsSHA256 {
            throw IndexError.modelMismatch(what: "joint head image encoder", index: "\(head.projection.imageEncoder.name)",
                                           requested: image.description)
        }
        if let text = textEncoder?.identity,
           head.projection.textEncoder.name != text.name || head.projection.textEncoder.weightsSHA256 != text.weightsSHA256 {
            throw IndexError.modelMismatch(what: "joint head text encoder", index: "\(head.projection.textEncoder.name)",
                                           requested: text.description)
        }
    }

    private func markIncomplete(_ db: DatabaseQueue) throws {
        try db.write { db in try markIncomplete(db) }
    }

    private func markIncomplete(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('state', 'building')")
    }

    /// Replaces an image's captions when they differ; returns whether they did.
    @discardableResult
    private func syncCaptions(_ db: Database, imageId: Int64, _ sentences: [String]) throws -> Bool {
        let stored = try String.fetchAll(db, sql: "SELECT text FROM captions WHERE imageId = ? ORDER BY position", arguments: [imageId])
        guard stored != sentences else { return false }
        try db.execute(sql: "DELETE FROM captions WHERE imageId = ?", arguments: [imageId])
        for (position, text) in sentences.enumerated() {
            try db.execute(sql: "INSERT INTO captions (imageId, position, text) VALUES (?, ?, ?)", arguments: [imageId, position, text])
        }
        return true
    }

    private func decodeBatch(_ urls: [URL?]) -> [(image: RGBAImage?, error: String?)] {
        var results = [(image: RGBAImage?, error: String?)](repeating: (nil, "not decoded"), count: urls.count)
        results.withUnsafeMutableBufferPointer { out in
            let decode = self.decode
            parallelFor(min(threads, urls.count)) { t in
                var i = t
                while i < urls.count {
                    if let url = urls[i] {
                        do { out[i] = (try decode(url), nil) } catch { out[i] = (nil, "\(error)") }
                    }
                    i += max(1, min(threads, urls.count))
                }
            }
        }
        return results
    }

    private func canonical(_ identity: ModelIdentity) -> String {
        EmbeddingSpace(imageEncoder: identity, textEncoder: nil, head: nil, dimension: identity.dimension).canonicalJSON
    }

    /// Step 4: features → joint vectors → vector files of generation + 1 → database points at them.
    private func writeVectors(_ db: DatabaseQueue) throws -> UInt64 {
        let space = self.space
        let (imageFeatures, captionRows, previous) = try db.read { db -> ([Float], [(text: String, feature: Data?)], UInt64) in
            var features: [Float] = []
            for blob in try Data.fetchAll(db, sql: "SELECT feature FROM images WHERE feature IS NOT NULL ORDER BY id") {
                features += FeatureBlob.floats(blob)
            }
            let captions = try Row.fetchAll(db, sql: """
                SELECT c.text, t.feature FROM captions c JOIN images i ON i.id = c.imageId
                LEFT JOIN textFeatures t ON t.text = c.text
                WHERE i.feature IS NOT NULL ORDER BY c.id
                """).map { (text: $0["text"] as String, feature: $0["feature"] as Data?) }
            let generation = try UInt64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? 0
            return (features, captions, generation)
        }
        // Files of a generation that was never switched to (a full disk, a kill) go first.
        removeVectorFiles(exceptGeneration: previous)
        let generation = previous + 1
        do {
            try writeGeneration(generation, space: space, imageFeatures: imageFeatures, captionRows: captionRows, db: db)
        } catch {
            // The database still points at `previous`: the new generation's files are garbage.
            removeVectorFiles(exceptGeneration: previous)
            throw error
        }
        // The database no longer refers to older generations: remove their files.
        removeVectorFiles(exceptGeneration: generation)
        return generation
    }

    /// Writes the vector files of `generation` and switches the database to them in one transaction.
    private func writeGeneration(_ generation: UInt64, space: EmbeddingSpace, imageFeatures: [Float],
                                 captionRows: [(text: String, feature: Data?)], db: DatabaseQueue) throws {
        var budget = vectorWriteBudget
        var files: [(name: String, url: URL, header: VectorFile.Header)] = []
        let imageVectors = try project(images: imageFeatures)
        if BLAS.firstNonFinite(imageVectors) != nil {
            throw IndexError.nonFiniteOutput(encoder: head.map { "joint head \($0.identity.prefix(12))" } ?? "normalisation", item: "image vectors")
        }
        files += try writeBoth("images", imageVectors, space: space, generation: generation, budget: &budget)
        if textEncoder != nil, let head, captionRows.allSatisfy({ $0.feature != nil }) {
            var features: [Float] = []
            features.reserveCapacity(captionRows.count * (textEncoder?.identity.dimension ?? 0))
            for row in captionRows { if let data = row.feature { features += FeatureBlob.floats(data) } }
            let d = textEncoder?.identity.dimension ?? 1
            let joint = captionRows.isEmpty ? [] : try head.projection.projectTexts(Tensor(shape: [captionRows.count, d], data: features)).data
            if BLAS.firstNonFinite(joint) != nil {
                throw IndexError.nonFiniteOutput(encoder: "joint head \(head.identity.prefix(12))", item: "caption vectors")
            }
            files += try writeBoth("captions", joint, space: space, generation: generation, budget: &budget)
        }
        try db.write { db in
            try db.execute(sql: "DELETE FROM vectorFiles")
            for file in files {
                try db.execute(sql: "INSERT INTO vectorFiles (name, generation, count, dimension, crc, identity) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [file.name, generation, file.header.count, file.header.dimension, Int64(file.header.payloadCRC), file.header.identity])
            }
            for (key, value) in [("generation", "\(generation)"), ("space", space.canonicalJSON),
                                 ("vectorType", vectorType.description), ("state", "complete")] {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    /// Removes every vector file, and every temporary one, that is not of `generation`.
    private func removeVectorFiles(exceptGeneration generation: UInt64) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: location.directory.path)) ?? [] {
            let temporary = name.hasPrefix(".") && name.contains(".vec.tmp-")
            let ofGeneration = name.hasSuffix(".vec") && name.contains(".g\(generation).")
            guard temporary || (name.hasSuffix(".vec") && !ofGeneration) else { continue }
            try? FileManager.default.removeItem(at: location.directory.appendingPathComponent(name))
        }
    }

    private func project(images features: [Float]) throws -> [Float] {
        let d = imageEncoder.identity.dimension
        let count = features.count / d
        guard count > 0 else { return [] }
        if let head { return try head.projection.projectImages(Tensor(shape: [count, d], data: features)).data }
        return L2.normalized(features, dimension: d)
    }

    /// Writes `values` as `kind` vectors of the builder's type and as binary codes.
    /// - Parameter budget: bytes left before a simulated full disk (``vectorWriteBudget``).
    private func writeBoth(_ kind: String, _ values: [Float], space: EmbeddingSpace, generation: UInt64, budget: inout Int?) throws
        -> [(name: String, url: URL, header: VectorFile.Header)] {
        var out: [(name: String, url: URL, header: VectorFile.Header)] = []
        for type in [vectorType, .binary] {
            let matrix = VectorMatrix(type, from: values, dimension: space.dimension)
            let url = location.vectorFile(kind, type, generation: generation)
            let header = try VectorFile.write(matrix, to: url, generation: generation,
                                              identity: VectorIdentity.make(kind: kind, type: type, space: space), failAfter: budget)
            budget = budget.map { $0 - VectorFile.fileBytes(matrix) }
            out.append((name: "\(kind).\(type)", url: url, header: header))
        }
        return out
    }
}

/// The identity text a vector file carries: its kind, storage and embedding space.
enum VectorIdentity {
    static func make(kind: String, type: VectorType, space: EmbeddingSpace) -> String {
        "{\"kind\":\"\(kind)\",\"type\":\"\(type)\",\"space\":\(space.canonicalJSON)}"
    }
}

/// Size, modification time and (on demand) content checksum of a file.
struct FileStat {
    let url: URL
    let size: Int64
    let mtime: Double

    init(url: URL) {
        self.url = url
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    }

    func contentCRC() -> UInt32 {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else { return 0 }
        return data.withUnsafeBytes { CRC32.checksum($0) }
    }
}
