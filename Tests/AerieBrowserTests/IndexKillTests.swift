import AerieCore
import AerieImage
import Foundation
import Testing

/// Issue 12's hostile-input suite: `aerie index` killed with SIGKILL at seeded random moments
/// (loading models, encoding, committing, writing vectors), then run to the end, gives an index
/// that searches exactly like one built in a single run.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: Tmux.binary),
                             "skipped: needs the built aerie binary (swift build; or AERIE_BINARY)"))
struct IndexKillTests {
    static let kills = 4

    @Test func anIndexKilledAndResumedSearchesAsOneBuiltAtOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-index-kill-\(UUID().uuidString)")
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 12_15)
        for i in 0..<10 {
            let colour = (UInt8(random.int(0...255)), UInt8(random.int(0...255)), UInt8(random.int(0...255)), UInt8(255))
            var image = RGBAImage(width: 40, height: 40, fill: colour)
            for y in 0..<(4 + i * 3) { for x in 0..<40 { image.pixels[(y * 40 + x) * 4] = 255 } }  // a red band of its own height
            try image.writePNG(to: images.appendingPathComponent("scene\(i).png"))
        }
        let common = ["--no-head", "--model", "efficientnet-lite0", "--batch", "2"]
        func index(_ folder: URL) -> [String] { ["index", images.path, "--index", folder.path] + common }
        func search(_ folder: URL) throws -> String {
            let out = try Tmux.runPlain([Tmux.binary, "search", "--image", images.appendingPathComponent("scene3.png").path,
                                         "--index", folder.path, "--k", "10", "--no-head", "--model", "efficientnet-lite0"],
                                        stdin: FileHandle.nullDevice)
            #expect(out.status == 0, "search failed: \(out.stderr)")
            // Database ids may differ between the two indexes; rank, score and image must not.
            return out.stdout.split(separator: "\n").map { line in
                line.split(separator: " ", omittingEmptySubsequences: true).enumerated().filter { $0.offset != 2 }.map { String($0.element) }
                    .joined(separator: " ")
            }.joined(separator: "\n")
        }

        let reference = directory.appendingPathComponent("reference")
        let whole = try Tmux.runPlain([Tmux.binary] + index(reference), stdin: FileHandle.nullDevice)
        #expect(whole.status == 0, "indexing failed: \(whole.stderr)")

        let killed = directory.appendingPathComponent("killed")
        for _ in 0..<Self.kills {
            _ = try LabelDurabilityTests.runAndKill(index(killed), after: Double.random(in: 0.2...3.0, using: &random))
        }
        let resumed = try Tmux.runPlain([Tmux.binary] + index(killed), stdin: FileHandle.nullDevice)
        #expect(resumed.status == 0, "the run after the kills failed: \(resumed.stderr)")
        #expect(try search(killed) == (try search(reference)))
    }
}
