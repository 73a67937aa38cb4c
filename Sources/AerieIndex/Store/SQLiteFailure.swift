import AerieCore
import Foundation
import GRDB

/// Short reasons for SQLite and file-system failures, for error messages of one line: never the
/// SQL statement or the multi-line description GRDB and Foundation give.
enum SQLiteFailure {
    /// Why a database operation failed, in a few words ("read-only", "disk full").
    static func reason(_ error: DatabaseError) -> String {
        switch error.resultCode.primaryResultCode {
        case .SQLITE_READONLY: return "read-only"
        case .SQLITE_FULL: return "disk full"
        case .SQLITE_PERM, .SQLITE_AUTH: return "permission denied"
        case .SQLITE_CANTOPEN: return "cannot open the database file"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is in use by another process"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "the database is damaged or not a database"
        case .SQLITE_IOERR: return "input/output error"
        default: return firstLine(error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
    }

    /// Why a file operation failed, in a few words.
    static func reason(_ error: CocoaError) -> String {
        switch error.code {
        case .fileWriteVolumeReadOnly: return "read-only"
        case .fileWriteOutOfSpace: return "disk full"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        default: return "cannot create or write files there"
        }
    }

    /// Why a `write(2)`-level failure happened, in a few words.
    static func reason(_ error: OutputError) -> String {
        switch error {
        case .diskFull: return "disk full"
        case .readOnly: return "read-only"
        case .permissionDenied: return "permission denied"
        case let .failed(_, reason): return reason
        case .brokenPipe, .closed: return "input/output error"
        }
    }

    /// Any error's reason: the cases above, else the first line of its description.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return reason(error) }
        if let error = error as? CocoaError { return reason(error) }
        if let error = error as? OutputError { return reason(error) }
        return firstLine(String(describing: error))
    }

    /// Whether `error` says the disk is full, whichever layer saw it: SQLite (SQLITE_FULL, 13),
    /// `write(2)` (ENOSPC, EDQUOT as ``OutputError/diskFull(path:)``) or Foundation.
    static func isDiskFull(_ error: any Error) -> Bool {
        switch error {
        case let error as DatabaseError: return error.resultCode.primaryResultCode == .SQLITE_FULL
        case let error as CocoaError: return error.code == .fileWriteOutOfSpace
        case let error as POSIXError: return error.code == .ENOSPC || error.code == .EDQUOT
        case OutputError.diskFull: return true
        default: return false
        }
    }

    private static func firstLine(_ text: String) -> String {
        String(text.prefix { $0 != "\n" && $0 != "\r" })
    }
}

extension IndexError {
    /// The error for a failure to write the index in `directory`: ``diskFull(directory:)`` when
    /// the disk is full, else ``cannotWrite(directory:reason:)`` with a short reason.
    static func writeFailure(_ error: any Error, directory: URL) -> IndexError {
        SQLiteFailure.isDiskFull(error)
            ? .diskFull(directory: directory.path)
            : .cannotWrite(directory: directory.path, reason: SQLiteFailure.reason(error))
    }
}
