#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AerieCore

/// Where rendered output goes. Renderers write into a sink, never to standard output, so their
/// output can be compared byte for byte and the caller decides where it ends up.
public protocol ByteSink {
    /// Appends `bytes`.
    mutating func write(_ bytes: [UInt8]) throws
}

extension ByteSink {
    /// Appends the UTF-8 encoding of `text`.
    public mutating func write(_ text: String) throws {
        try write(Array(text.utf8))
    }
}

/// A sink that keeps everything in memory.
public struct ByteBuffer: ByteSink, Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ bytes: [UInt8]) {
        self.bytes.append(contentsOf: bytes)
    }

    /// The collected bytes decoded as UTF-8 (invalid sequences repaired).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A sink that writes to a file descriptor, retrying short writes.
public struct FileDescriptorSink: ByteSink, Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Standard output.
    public static var standardOutput: FileDescriptorSink { FileDescriptorSink(descriptor: STDOUT_FILENO) }

    public mutating func write(_ bytes: [UInt8]) throws {
        let descriptor = descriptor
        if let code = bytes.withUnsafeBytes({ FileDescriptorIO.writeAll(descriptor, $0) }) {
            throw ByteSinkError.writeFailed(descriptor: descriptor, errno: code)
        }
    }
}

/// A write to a sink failed.
public enum ByteSinkError: Error, CustomStringConvertible, Sendable {
    case writeFailed(descriptor: Int32, errno: Int32)

    public var description: String {
        switch self {
        case let .writeFailed(descriptor, code):
            return "cannot write to file descriptor \(descriptor): \(String(cString: strerror(code)))"
        }
    }
}
