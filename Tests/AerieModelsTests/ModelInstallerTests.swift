import Foundation
import Testing
import AerieModels

@Suite struct ModelInstallerTests {
    static let scriptsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/models")

    /// The installer inside the binary is the one in scripts/models (regenerate with
    /// `python3 scripts/models/embed_installer.py`).
    @Test func embeddedScriptsEqualTheFiles() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Self.scriptsFolder.path)
            .filter { $0.hasSuffix(".py") && $0 != "embed_installer.py" && !$0.hasPrefix("test_") }.sorted()
        #expect(ModelInstaller.scripts.keys.sorted() == onDisk, "run python3 scripts/models/embed_installer.py")
        for name in onDisk {
            let text = try String(contentsOf: Self.scriptsFolder.appendingPathComponent(name), encoding: .utf8)
            #expect(ModelInstaller.scripts[name] == text, "\(name) differs from its embedded copy: run python3 scripts/models/embed_installer.py")
        }
    }

    @Test func materializeWritesRunnableScripts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-installer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let entry = try ModelInstaller.materialize(into: folder)
        #expect(entry.lastPathComponent == "install.py")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("stwriter.py").path))
    }
}
