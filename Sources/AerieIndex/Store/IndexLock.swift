import AerieCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write lock of an index: an exclusive `flock` on `index.lock` in the index folder, held by
/// an ``IndexBuilder`` for the whole of an update, with the holder's process id written inside.
///
/// A second writer does not wait: it fails at once with ``IndexError/locked(directory:holder:)``
/// naming the holder, rather than with SQLite's "database is locked" half-way through. The kernel
/// releases the lock when the holder exits, however it exits, so a stale lock file is harmless.
final class IndexLock {
    static let fileName = "index.lock"
    private var descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the lock of the index at `location` (creating the folder and lock file if needed).
    /// - Throws: ``IndexError/locked(directory:holder:)`` when another writer holds it;
    ///   ``IndexError/notARegularFile(path:kind:)`` when the lock file is a FIFO or device.
    static func acquire(_ location: IndexLocation) throws -> IndexLock {
        let path = location.directory.appendingPathComponent(fileName).path
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            if errno == ENOSPC || errno == EDQUOT { throw IndexError.diskFull(directory: location.directory.path) }
            throw IndexError.databaseUnreadable(path: path, reason: "cannot create the lock file (\(String(cString: strerror(errno))))")
        }
        if let kind = FileKind(descriptor: fd), kind != .regular {
            close(fd)
            throw IndexError.notARegularFile(path: path, kind: kind.description)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let holder = Int32(text).map { "pid \($0)" } ?? "pid unknown"
            throw IndexError.locked(directory: location.directory.path, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return IndexLock(descriptor: fd)
    }

    /// Releases the lock (also done on deinit).
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
