import Foundation

/// Finds the repository's `assets/` folder (the bundled corpus, the shipped default head) from
/// the built `aerie` binary.
///
/// The binary is not installed anywhere: it runs from the package's build folder, so the assets
/// are found, in this order:
/// 1. `AERIE_ASSETS`, when set and not empty (a folder that must exist);
/// 2. upward from the executable's real path (symbolic links resolved): the first ancestor
///    holding `assets/corpus/dataset.json` — `.build/release/aerie` finds `../../assets`,
///    `.build/x86_64-unknown-linux-gnu/release/aerie` finds `../../../assets`;
/// 3. the package root known at compile time (from `#filePath`), for a binary copied elsewhere
///    on the machine that built it.
public enum BundledAssets {
    public static let environmentVariable = "AERIE_ASSETS"
    /// The file whose presence marks an `assets/` folder as Aerie's.
    static let marker = "corpus/dataset.json"
    /// The package root at compile time: Sources/AerieRetrieval/BundledAssets.swift → three levels up.
    static let compiledPackageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public enum LookupError: Error, CustomStringConvertible {
        case environmentFolderMissing(path: String)
        case notFound(searched: [String])

        public var description: String {
            switch self {
            case .environmentFolderMissing(let path):
                "\(BundledAssets.environmentVariable)=\(path) is not a folder"
            case .notFound(let searched):
                "cannot find Aerie's assets folder (looked for assets/\(BundledAssets.marker) above "
                    + searched.joined(separator: ", ")
                    + "); set \(BundledAssets.environmentVariable) to the repository's assets folder"
            }
        }
    }

    /// The assets folder for this process.
    public static func directory() throws -> URL {
        try directory(environment: ProcessInfo.processInfo.environment,
                      executable: executablePath(), compiledRoot: compiledPackageRoot)
    }

    /// The bundled corpus: `assets/corpus`.
    public static func corpusDirectory() throws -> URL {
        try directory().appendingPathComponent("corpus")
    }

    /// The shipped default joint head, `assets/heads/default`, or nil when it is not there.
    public static func defaultHeadDirectory() -> URL? {
        guard let assets = try? directory() else { return nil }
        return assets.appendingPathComponent("heads/default")
    }

    /// The lookup itself, with its inputs as arguments (so tests need no environment).
    /// - Parameters:
    ///   - environment: the process environment (`AERIE_ASSETS` is read from it).
    ///   - executable: the running binary's path, or nil when unknown.
    ///   - compiledRoot: the package root at compile time.
    /// - Throws: ``LookupError`` when no candidate holds the corpus marker.
    public static func directory(environment: [String: String], executable: String?, compiledRoot: URL) throws -> URL {
        let fileManager = FileManager.default
        if let override = environment[environmentVariable], !override.isEmpty {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: override, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LookupError.environmentFolderMissing(path: override)
            }
            return URL(fileURLWithPath: override)
        }
        var searched: [String] = []
        if let executable {
            let real = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
            var folder = real.deletingLastPathComponent()
            searched.append(folder.path)
            while true {
                let candidate = folder.appendingPathComponent("assets")
                if fileManager.fileExists(atPath: candidate.appendingPathComponent(marker).path) { return candidate }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        let compiled = compiledRoot.appendingPathComponent("assets")
        if fileManager.fileExists(atPath: compiled.appendingPathComponent(marker).path) { return compiled }
        searched.append(compiledRoot.path)
        throw LookupError.notFound(searched: searched)
    }

    /// The running binary's path: /proc/self/exe on Linux, else the first argument.
    private static func executablePath() -> String? {
        if let linked = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return linked }
        return CommandLine.arguments.first.map { URL(fileURLWithPath: $0).path }
    }
}
