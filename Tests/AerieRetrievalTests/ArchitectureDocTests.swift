import AerieTestSupport
import Foundation
import Testing

/// docs/architecture.md stays true: every module its layer table names exists in Sources/, and
/// every module in Sources/ is in the table.
@Suite struct ArchitectureDocTests {
    static let root = SharedData.repositoryRoot

    /// The backticked module names in the first column of the layer table.
    static func documentedModules() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var names = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let firstCell = line.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            for part in firstCell.split(separator: "`") where !part.trimmingCharacters(in: .whitespaces).isEmpty
                && !part.contains(",") {
                names.insert(String(part))
            }
        }
        return names
    }

    /// Module folders: Sources/<name>, and Sources/CLibraries/<name> for the system libraries.
    static func sourceModules() throws -> Set<String> {
        let fm = FileManager.default
        let sources = root.appendingPathComponent("Sources")
        var names = Set(try fm.contentsOfDirectory(atPath: sources.path).filter { $0 != "CLibraries" && !$0.hasPrefix(".") })
        names.formUnion(try fm.contentsOfDirectory(atPath: sources.appendingPathComponent("CLibraries").path).filter { !$0.hasPrefix(".") })
        return names
    }

    @Test func everyDocumentedModuleExistsAndEveryModuleIsDocumented() throws {
        let documented = try Self.documentedModules()
        let present = try Self.sourceModules()
        #expect(documented.count >= 15, "the layer table was not found")
        #expect(documented.subtracting(present).isEmpty, "named in docs/architecture.md but not in Sources/: \(documented.subtracting(present).sorted())")
        #expect(present.subtracting(documented).isEmpty, "in Sources/ but not in docs/architecture.md: \(present.subtracting(documented).sorted())")
    }
}
