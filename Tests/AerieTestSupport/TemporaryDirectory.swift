import Foundation

/// A fresh directory under the system's temporary directory, removed when the value is released
/// (or at once by ``remove()``).
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init(prefix: String = "aerie-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// Writes `data` at `relative`, creating folders on the way.
    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> URL {
        try write(relative, Data(text.utf8))
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
