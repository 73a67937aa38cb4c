/// Why an index could not be built, opened or searched. Each case names the file and what is wrong.
public enum IndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A vector file the database refers to does not exist.
    case vectorFileMissing(path: String)
    /// An index file is a FIFO, device, directory or socket: only regular files are read.
    case notARegularFile(path: String, kind: String)
    /// Another process (an `aerie index` run) holds the index's write lock.
    case locked(directory: String, holder: String)
    /// The file does not start with the vector file magic.
    case notAVectorFile(path: String)
    /// The file was written by a format version this build does not read.
    case unsupportedVersion(path: String, version: UInt32)
    /// The header's own checksum does not match (damaged header).
    case headerCorrupt(path: String)
    /// The file is shorter or longer than its header says.
    case sizeMismatch(path: String, expected: Int, actual: Int)
    /// The header claims more rows than any file could hold (the size overflows): damaged or crafted.
    case impossibleShape(path: String, dimension: Int, count: Int, fileBytes: Int)
    /// The payload's checksum differs from the header's (flipped bytes).
    case payloadCorrupt(path: String, expected: UInt32, actual: UInt32)
    /// The file is intact but is not the one the database expects (another generation, another
    /// index, another model, or a swapped file).
    case vectorFileMismatch(path: String, field: String, expected: String, found: String)
    /// The database is missing, damaged or of an unknown schema.
    case databaseUnreadable(path: String, reason: String)
    /// No index exists at this location yet.
    case noIndex(directory: String)
    /// Indexing was interrupted or is in progress: the vectors do not match the database yet.
    case incomplete(directory: String)
    /// The index was built with other models than the ones asked for.
    case modelMismatch(what: String, index: String, requested: String)
    /// The index has no vectors of this kind (e.g. captions without a joint head).
    case noVectors(kind: String, reason: String)
    /// An encoder returned a tensor of the wrong shape.
    case badEncoderOutput(encoder: String, expected: [Int], actual: [Int])
    /// An encoder or head produced NaN or infinity (damaged weights): nothing is stored.
    case nonFiniteOutput(encoder: String, item: String)
    /// An image or caption id is not in the index.
    case unknownItem(String)
    /// The index folder or its database cannot be written (read-only, no permission, in use).
    case cannotWrite(directory: String, reason: String)
    /// The disk holding the index is full (ENOSPC from `write(2)`, SQLite's SQLITE_FULL): the
    /// new vectors were not switched to, their partial files are removed.
    case diskFull(directory: String)
    /// The caller's progress handler asked to stop (Ctrl-C); everything committed so far is kept.
    case cancelled

    public var description: String {
        switch self {
        case let .vectorFileMissing(path): return "vector file \(path) is missing: re-run `aerie index` to rebuild it"
        case let .notARegularFile(path, kind): return "\(path) is \(kind), not a regular file: remove it and re-run `aerie index`"
        case let .locked(directory, holder):
            return "the index at \(directory) is being written by another aerie index (\(holder)): wait for it to finish, or index into another folder"
        case let .notAVectorFile(path): return "\(path) is not an Aerie vector file (bad magic)"
        case let .unsupportedVersion(path, version): return "\(path) has vector file version \(version), this build reads version \(VectorFile.version)"
        case let .headerCorrupt(path): return "\(path): header checksum mismatch (the file is damaged)"
        case let .sizeMismatch(path, expected, actual): return "\(path) is \(actual) bytes, its header says \(expected) (truncated or damaged)"
        case let .impossibleShape(path, dimension, count, fileBytes):
            return "\(path) is damaged: its header claims \(count) rows of dimension \(dimension), more than any file holds (it is \(fileBytes) bytes); delete it and re-run `aerie index`"
        case let .payloadCorrupt(path, expected, actual):
            return "\(path): vector checksum \(String(actual, radix: 16)) differs from the header's \(String(expected, radix: 16)) (the file is damaged)"
        case let .vectorFileMismatch(path, field, expected, found):
            return "\(path) does not belong to this index: \(field) is \(found), the database expects \(expected)"
        case let .databaseUnreadable(path, reason): return "index database \(path) is unreadable: \(reason)"
        case let .noIndex(directory): return "no index at \(directory): run `aerie index` first"
        case let .incomplete(directory): return "the index at \(directory) is incomplete (indexing was interrupted or is running): re-run `aerie index`"
        case let .modelMismatch(what, index, requested):
            return "the index was built with \(what) \(index), not \(requested): re-run `aerie index` with this model, or use the index's model"
        case let .noVectors(kind, reason): return "the index has no \(kind) vectors: \(reason)"
        case let .badEncoderOutput(encoder, expected, actual): return "encoder \(encoder) returned shape \(actual), expected \(expected)"
        case let .nonFiniteOutput(encoder, item):
            return "\(encoder) produced NaN or infinite values for \(item); nothing was stored: its weights are probably damaged (reinstall the model or retrain the head)"
        case let .unknownItem(item): return "\(item) is not in the index"
        case let .cannotWrite(directory, reason): return "cannot write the index at \(directory): \(reason)"
        case let .diskFull(directory): return "disk full: cannot write the index at \(directory); free some space and re-run `aerie index`"
        case .cancelled: return "indexing interrupted; the work done so far is kept and the next run resumes it"
        }
    }
}
