import Foundation

/// Locates the real data sets that tests and benchmarks read from `../shared/data`.
///
/// The data is licensed for research use only, so it is never copied into the project; tests
/// that need it call ``SharedData/require(_:)`` and skip with a clear message when it is absent.
public enum SharedData {
    /// The repository root, found from this file's compile-time path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // AerieTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // root

    /// `../shared/data`, or `AERIE_SHARED_DATA` when set.
    public static var root: URL {
        if let override = ProcessInfo.processInfo.environment["AERIE_SHARED_DATA"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// The URL of `relativePath` under the shared data root, or `nil` when it does not exist.
    public static func url(_ relativePath: String) -> URL? {
        let url = root.appendingPathComponent(relativePath)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The message a test gives when it skips for lack of shared data.
    public static func missingMessage(_ relativePath: String) -> String {
        "skipped: \(root.appendingPathComponent(relativePath).path) is absent " +
            "(real data lives in ../shared/data; see its README)"
    }
}
