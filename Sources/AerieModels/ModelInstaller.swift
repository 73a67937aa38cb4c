import Foundation

/// The model installer (scripts/models/install.py and its helpers), carried inside the binary so
/// `aerie models install` works from a built binary with no checkout beside it.
///
/// The scripts are standard-library Python; ``ModelInstaller/materialize(into:)`` writes them to
/// a folder from which the command line runs `python3 install.py`.
public enum ModelInstaller {
    /// The script to run.
    public static let entryPoint = "install.py"

    /// Writes every embedded script into `folder` (created if needed).
    ///
    /// - Returns: the path of ``entryPoint`` in `folder`.
    public static func materialize(into folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in scripts {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name), options: .atomic)
        }
        return folder.appendingPathComponent(entryPoint)
    }
}
