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

    /// Any error's reason: the cases above, else the first line of its description.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return reason(error) }
        if let error = error as? CocoaError { return reason(error) }
        return firstLine(String(describing: error))
    }

    private static func firstLine(_ text: String) -> String {
        String(text.prefix { $0 != "\n" && $0 != "\r" })
    }
}
