import AerieCore
import Foundation
import Testing

/// Issue 12, item 2: a label reported saved survives `kill -9`. The debug `aerie` binary writes
/// labels through the real SQLite store (`aerie labels write-probe`), printing `saved <image>`
/// only once each write has returned, as the browser marks a label saved only then; it is killed
/// with SIGKILL at seeded random moments (while starting, opening the store, or writing), and
/// every label it reported must be in the file afterwards.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: Tmux.binary),
                             "skipped: needs the built aerie binary (swift build; or AERIE_BINARY)"))
struct LabelDurabilityTests {
    static let kills = 100

    @Test func labelsReportedSavedSurviveKillMinus9() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let labels = directory.appendingPathComponent("labels.sqlite").path

        var random = SplitMix64(seed: 12_2)
        // Each kill leaves its own query (topic) in one shared file, so every run after the
        // first also opens a file whose last writer was killed.
        var reported: [(query: String, image: String, grade: Int)] = []
        for kill in 0..<Self.kills {
            let query = "kill \(kill)"
            let delay = Double.random(in: 0.0...0.25, using: &random)
            let (saved, killed) = try Self.runAndKill(["labels", "write-probe", "--labels", labels, "--count", "100000", "--query", query],
                                            after: delay)
            #expect(killed, "the writer ended before it was killed (kill \(kill))")
            for image in saved {
                guard let n = Int(image.dropFirst("image_".count)) else { continue }
                reported.append((query, image, n % 4))
            }
        }

        let list = try Tmux.runPlain([Tmux.binary, "labels", "list", "--labels", labels], stdin: FileHandle.nullDevice)
        #expect(list.status == 0, "labels list failed after the kills: \(list.stderr)")
        var stored: [String: Int] = [:]
        for line in list.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let grade = Int(fields[0]) else { continue }
            stored["\(fields[2])\t\(fields[1])"] = grade
        }
        let lost = reported.filter { stored["\($0.query)\t\($0.image)"] != $0.grade }
        print("kill -9 test: \(Self.kills) kills, \(reported.count) labels reported saved, \(lost.count) lost, \(stored.count) stored")
        #expect(reported.count > 0, "no label was reported saved: the kills all came too early")
        #expect(lost.isEmpty, "labels reported saved but lost: \(lost.prefix(5).map { "\($0.query)/\($0.image)" })")
    }

    /// Runs the aerie binary with `arguments`, sends SIGKILL after `delay` seconds, and returns
    /// the images it reported saved (complete `saved <image>` lines only) and whether the kill
    /// ended it.
    static func runAndKill(_ arguments: [String], after delay: TimeInterval) throws -> (saved: [String], killed: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Tmux.binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // A line cut by the kill has no newline: it was not reported.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        let saved = lines.compactMap { $0.hasPrefix("saved ") ? String($0.dropFirst("saved ".count)) : nil }
        return (saved, process.terminationReason == .uncaughtSignal)
    }
}
