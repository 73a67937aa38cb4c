import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What kind of file a path names, from `stat` (symbolic links followed).
///
/// Stores read only regular files: opening a FIFO blocks until a writer appears, and a device or
/// directory is never an index, a model or a label file. Callers check the kind before they open
/// and name the file in their own error when it is not ``regular``.
public enum FileKind: Sendable, Equatable, CustomStringConvertible {
    case regular
    case directory
    case fifo
    case socket
    case characterDevice
    case blockDevice
    case missing
    case other

    /// The kind of the file at `path` (after following symbolic links).
    public init(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { self = .missing; return }
        self.init(mode: info.st_mode)
    }

    /// The kind a `st_mode` describes.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .other
        }
    }

    /// The kind of the open file `descriptor`, or nil when `fstat` fails.
    public init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(mode: info.st_mode)
    }

    /// "a FIFO (named pipe)", "a directory", … for error messages.
    public var description: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .fifo: "a FIFO (named pipe)"
        case .socket: "a socket"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .missing: "missing"
        case .other: "not a regular file"
        }
    }
}
