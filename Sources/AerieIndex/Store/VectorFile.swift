import AerieCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The on-disk form of a ``VectorMatrix``: a page-aligned header, then the rows, memory-mapped
/// when read.
///
/// Layout (little-endian), header of 4096 bytes:
/// ```
/// 0    magic "AERIEVEC"           8 bytes
/// 8    version                    UInt32 (1)
/// 12   vector type                UInt32 (1 fp32, 2 fp16, 3 binary)
/// 16   dimension                  UInt64 (components, or bits for binary)
/// 24   count                      UInt64 rows
/// 32   generation                 UInt64, ties the file to its database
/// 40   payload bytes              UInt64
/// 48   payload CRC-32             UInt32
/// 52   identity length            UInt32
/// 56   identity                   UTF-8 (kind and embedding space, JSON), at most 4000 bytes
/// 4092 header CRC-32              UInt32 of bytes 0..<4092
/// 4096 payload                    count rows of `vectorType.rowBytes(dimension:)`
/// ```
/// Files are written to a temporary name, flushed and renamed, so a reader sees a whole file
/// or none.
public enum VectorFile {
    public static let magic = Array("AERIEVEC".utf8)
    public static let version: UInt32 = 1
    public static let headerBytes = 4096
    static let maxIdentityBytes = 4000

    /// What a header says.
    public struct Header: Sendable, Equatable {
        public var type: VectorType
        public var dimension: Int
        public var count: Int
        public var generation: UInt64
        public var payloadBytes: Int
        public var payloadCRC: UInt32
        public var identity: String
    }

    /// Writes `matrix` to `url` atomically (temporary file, fsync, rename).
    /// - Returns: the header written.
    /// - Throws: ``OutputError`` naming `url` (``OutputError/diskFull(path:)`` when the disk is
    ///   full); the temporary file is removed, `url` is untouched.
    @discardableResult
    public static func write(_ matrix: VectorMatrix, to url: URL, generation: UInt64, identity: String) throws(OutputError) -> Header {
        try write(matrix, to: url, generation: generation, identity: identity, failAfter: nil)
    }

    /// The bytes a file of `matrix` takes on disk.
    static func fileBytes(_ matrix: VectorMatrix) -> Int { headerBytes + matrix.bytes.count }

    /// ``write(_:to:generation:identity:)`` that, for tests, fails with ENOSPC once `failAfter`
    /// bytes of the file are written, as a full disk does (nil: no limit).
    static func write(_ matrix: VectorMatrix, to url: URL, generation: UInt64, identity: String,
                      failAfter: Int?) throws(OutputError) -> Header {
        let payload = matrix.bytes
        let identityBytes = Array(identity.utf8)
        precondition(identityBytes.count <= maxIdentityBytes, "vector file identity longer than \(maxIdentityBytes) bytes")
        let header = Header(type: matrix.type, dimension: matrix.dimension, count: matrix.count, generation: generation,
                            payloadBytes: payload.count, payloadCRC: CRC32.checksum(payload), identity: identity)
        var head = [UInt8](repeating: 0, count: headerBytes)
        head.replaceSubrange(0..<8, with: magic)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { head.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(version, at: 8)
        put(matrix.type.rawValue, at: 12)
        put(UInt64(matrix.dimension), at: 16)
        put(UInt64(matrix.count), at: 24)
        put(generation, at: 32)
        put(UInt64(payload.count), at: 40)
        put(header.payloadCRC, at: 48)
        put(UInt32(identityBytes.count), at: 52)
        head.replaceSubrange(56..<(56 + identityBytes.count), with: identityBytes)
        put(head.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<4092])) }, at: 4092)

        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = Glibc.open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError(errno: errno, path: url.path) }
        var allowed = failAfter ?? Int.max
        func send(_ bytes: UnsafeRawBufferPointer) -> Int32? {
            let count = min(allowed, bytes.count)
            allowed -= count
            return FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[0..<count])) ?? (count < bytes.count ? ENOSPC : nil)
        }
        var failure = head.withUnsafeBytes { send($0) }
        if failure == nil { failure = send(payload) }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = errno }
        if let failure {
            unlink(temporary.path)
            throw OutputError(errno: failure, path: url.path)
        }
        syncDirectory(url.deletingLastPathComponent())
        return header
    }

    /// Flushes a directory so a rename in it survives a crash.
    static func syncDirectory(_ url: URL) {
        let fd = Glibc.open(url.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Maps `url`, validates its header, size and (unless `verifyPayload` is false) payload
    /// checksum, and returns the header with a matrix over the mapped rows.
    /// - Throws: ``IndexError`` naming what is wrong.
    public static func open(_ url: URL, verifyPayload: Bool = true) throws -> (header: Header, matrix: VectorMatrix) {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let bytes = mapping.bytes
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw IndexError.notAVectorFile(path: path) }
        guard bytes.count >= headerBytes else { throw IndexError.sizeMismatch(path: path, expected: headerBytes, actual: bytes.count) }
        func get<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        let fileVersion = get(UInt32.self, 8)
        guard fileVersion == version else { throw IndexError.unsupportedVersion(path: path, version: fileVersion) }
        let headerCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<4092]))
        guard headerCRC == get(UInt32.self, 4092) else { throw IndexError.headerCorrupt(path: path) }
        let identityLength = Int(get(UInt32.self, 52))
        guard let type = VectorType(rawValue: get(UInt32.self, 12)), identityLength <= maxIdentityBytes,
              get(UInt64.self, 16) > 0, get(UInt64.self, 16) < 1 << 24, get(UInt64.self, 24) < 1 << 40
        else { throw IndexError.headerCorrupt(path: path) }
        let dimension = Int(get(UInt64.self, 16))
        let count = Int(get(UInt64.self, 24))
        // The header's sizes are checked against the file's length with checked arithmetic
        // before anything uses them: a crafted header (CRC fixed) may claim any shape.
        let payloadBytes = try checkedPayloadBytes(path: path, type: type, dimension: dimension, count: count,
                                                   recorded: get(UInt64.self, 40), fileBytes: bytes.count)
        let identity = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[56..<(56 + identityLength)]), as: UTF8.self)
        let header = Header(type: type, dimension: dimension, count: count, generation: get(UInt64.self, 32),
                            payloadBytes: payloadBytes, payloadCRC: get(UInt32.self, 48), identity: identity)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerBytes...])
        if verifyPayload {
            let actual = CRC32.checksum(payload)
            guard actual == header.payloadCRC else { throw IndexError.payloadCorrupt(path: path, expected: header.payloadCRC, actual: actual) }
        }
        guard let base = payload.baseAddress ?? bytes.baseAddress else { throw IndexError.notAVectorFile(path: path) }
        return (header, VectorMatrix(type: type, count: count, dimension: dimension, borrowing: base, owner: mapping))
    }
}

extension VectorFile {
    /// The payload size a header claims, checked: `count × rowBytes(dimension)` must neither
    /// overflow nor differ from the recorded payload size, and header plus payload must be the
    /// file's length.
    /// - Throws: ``IndexError/impossibleShape(path:dimension:count:fileBytes:)`` when the shape
    ///   cannot fit the file, ``IndexError/headerCorrupt(path:)`` when the recorded size disagrees
    ///   with the shape, ``IndexError/sizeMismatch(path:expected:actual:)`` when the file is
    ///   shorter or longer than the header says.
    static func checkedPayloadBytes(path: String, type: VectorType, dimension: Int, count: Int,
                                    recorded: UInt64, fileBytes: Int) throws -> Int {
        let (payload, overflow) = count.multipliedReportingOverflow(by: type.rowBytes(dimension: dimension))
        let (total, totalOverflow) = headerBytes.addingReportingOverflow(payload)
        guard !overflow, !totalOverflow else {
            throw IndexError.impossibleShape(path: path, dimension: dimension, count: count, fileBytes: fileBytes)
        }
        guard let recordedBytes = Int(exactly: recorded), recordedBytes == payload else { throw IndexError.headerCorrupt(path: path) }
        guard fileBytes == total else { throw IndexError.sizeMismatch(path: path, expected: total, actual: fileBytes) }
        return payload
    }
}

/// A read-only private memory mapping of a whole file, unmapped on deinit.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        // O_NONBLOCK: a FIFO put in a vector file's place must not block the open; it is then
        // refused because only regular files are mapped.
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw IndexError.vectorFileMissing(path: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IndexError.vectorFileMissing(path: path) }
        let kind = FileKind(mode: info.st_mode)
        guard kind == .regular else { throw IndexError.notARegularFile(path: path, kind: kind.description) }
        let size = Int(info.st_size)
        guard size > 0 else { throw IndexError.notAVectorFile(path: path) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw IndexError.vectorFileMissing(path: path)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
