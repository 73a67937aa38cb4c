import AerieBrowser
import Foundation
import Testing

/// Golden screens: the rendered text of a screen compared with a file in `Golden/`.
/// `AERIE_RECORD_GOLDEN=1 swift test --filter AerieBrowserTests` re-records them. A recording run
/// fails and names each file it wrote (as swift-snapshot-testing and insta do), so a re-record is
/// never mistaken for a pass: review the diff, then run again without the variable.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func text(_ screen: Screen) -> String {
        var out = screen.lines.map { $0 + "|" }.joined(separator: "\n") + "\n"
        if let cursor = screen.cursor { out += "cursor \(cursor.x),\(cursor.y)\n" } else { out += "cursor hidden\n" }
        return out
    }

    static func check(_ screen: Screen, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = directory.appendingPathComponent(name + ".txt")
        let actual = text(screen)
        if ProcessInfo.processInfo.environment["AERIE_RECORD_GOLDEN"] == "1" {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try actual.write(to: url, atomically: true, encoding: .utf8)
                Issue.record("recorded golden file \(url.path): review it, then run again without AERIE_RECORD_GOLDEN",
                             sourceLocation: sourceLocation)
            } catch {
                Issue.record("could not record golden file \(url.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden file \(url.path); run with AERIE_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
            Issue.record("""
                screen differs from \(name).txt at line \(first + 1):
                expected: \(first < e.count ? String(e[first]) : "<end>")
                actual:   \(first < a.count ? String(a[first]) : "<end>")
                full actual screen:
                \(actual)
                """, sourceLocation: sourceLocation)
        }
    }
}
