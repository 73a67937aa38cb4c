#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why writing a file or a stream failed: one line that names the path (or the stream).
public enum OutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The device or file system is full (ENOSPC, EDQUOT).
    case diskFull(path: String)
    /// The reader of a pipe has gone (EPIPE): `aerie search … | head -1`.
    case brokenPipe(path: String)
    /// The file system is mounted read-only (EROFS).
    case readOnly(path: String)
    /// Not allowed (EACCES, EPERM).
    case permissionDenied(path: String)
    /// The stream is closed or not open for writing (EBADF): `aerie … >&-`.
    case closed(path: String)
    /// Any other failure, with the system's one-line reason (`strerror`).
    case failed(path: String, reason: String)

    /// The error for `errno` `code` while writing `path`.
    public init(errno code: Int32, path: String) {
        switch code {
        case ENOSPC, EDQUOT: self = .diskFull(path: path)
        case EPIPE: self = .brokenPipe(path: path)
        case EROFS: self = .readOnly(path: path)
        case EACCES, EPERM: self = .permissionDenied(path: path)
        case EBADF: self = .closed(path: path)
        default: self = .failed(path: path, reason: String(cString: strerror(code)))
        }
    }

    public var description: String {
        switch self {
        case let .diskFull(path): "disk full: cannot write \(path)"
        case let .brokenPipe(path): "broken pipe: the reader of \(path) has gone"
        case let .readOnly(path): "cannot write \(path): read-only file system"
        case let .permissionDenied(path): "cannot write \(path): permission denied"
        case let .closed(path): "cannot write \(path): it is closed"
        case let .failed(path, reason): "cannot write \(path): \(reason)"
        }
    }
}

/// Writing bytes to file descriptors with `write(2)`, checking every result.
public enum FileDescriptorIO {
    /// Writes every byte of `bytes` to `descriptor`, retrying short writes and EINTR.
    /// - Returns: nil when all was written, else the `errno` of the failed write.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, min(bytes.count - offset, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }
}

/// A standard stream written with `write(2)`, unbuffered (rows show as they are ready), where
/// every failure is reported: result output must not be lost with exit status 0.
public struct StandardStream: Sendable {
    public let descriptor: Int32
    /// How errors name the stream ("standard output").
    public let name: String

    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    public static let standardOutput = StandardStream(descriptor: STDOUT_FILENO, name: "standard output")
    public static let standardError = StandardStream(descriptor: STDERR_FILENO, name: "standard error")

    /// Writes `text` as UTF-8.
    /// - Throws: ``OutputError`` (``OutputError/brokenPipe(path:)`` when the reader has gone;
    ///   SIGPIPE must be ignored for that, else the process dies instead).
    public func write(_ text: String) throws(OutputError) {
        var text = text
        let failure = text.withUTF8 { FileDescriptorIO.writeAll(descriptor, UnsafeRawBufferPointer($0)) }
        if let failure { throw OutputError(errno: failure, path: name) }
    }
}

/// Writing a file the user named, the way `cp` and shells do for special files and the way
/// editors do for regular ones.
///
/// - A symbolic link is written through: the link stays and its target gets the bytes.
/// - A FIFO, a device (`/dev/null`, `/dev/full`, a terminal) or a socket is opened and written
///   in place; it is never replaced by a regular file.
/// - A regular file, or a path that does not exist yet, is replaced atomically: the bytes go to
///   a temporary file beside it, are synced, and the temporary file is renamed over the path, so
///   a failed or interrupted write leaves the old file whole. An existing file keeps its mode.
public enum OutputFile {
    /// Writes `bytes` to `path` (see the type's discussion for which way).
    /// - Throws: ``OutputError`` naming `path`: ``OutputError/diskFull(path:)`` when the disk
    ///   (or `/dev/full`) is full, and so on. Nothing is left behind but the old file.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(OutputError) {
        let contents = Array(bytes)
        var link = stat()
        let exists = lstat(path, &link) == 0
        if exists && (link.st_mode & S_IFMT) != S_IFREG {
            try writeInPlace(contents, to: path)
        } else {
            try replace(path, with: contents, mode: exists ? link.st_mode & 0o7777 : nil)
        }
    }

    /// Writes the UTF-8 of `text` to `path`.
    public static func write(_ text: String, to path: String) throws(OutputError) {
        try write(Array(text.utf8), to: path)
    }

    /// Opens `path` for writing (following links, creating a link's missing target) and writes.
    private static func writeInPlace(_ bytes: [UInt8], to path: String) throws(OutputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw OutputError(errno: errno, path: path) }
        let failure = bytes.withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) }
        let closed = close(fd) == 0 ? nil : errno
        if let code = failure ?? closed { throw OutputError(errno: code, path: path) }
    }

    /// Writes a temporary file beside `path`, syncs it and renames it over `path`.
    /// - Parameter mode: the permissions to keep (an existing file's), else the umask's default.
    private static func replace(_ path: String, with bytes: [UInt8], mode: mode_t?) throws(OutputError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // O_EXCL with mode 0666: a new file gets the umask's permissions, as `>` would give it.
        let temporary = "\(directory).\(name).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw OutputError(errno: errno, path: path) }
        var failure = bytes.withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) }
        if failure == nil, let mode, fchmod(fd, mode) != 0 { failure = errno }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(temporary, path) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw OutputError(errno: failure, path: path)
        }
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 { fsync(directoryFD); close(directoryFD) }
    }
}
