import AerieDatasets
import AerieSynth
import AerieImage
import ArgumentParser
import Dispatch
import Foundation

/// `aerie-bench datasets`: caption-file loading against Python's json module, and the
/// synthetic-scene generator's rate with the share PNG encoding takes of it.
///
/// Loading: AerieDatasets parses RSICD's 10,921-entry caption file into a ``CaptionDataset``
/// (validating every entry, stat-ing the image folder); Python's `json.load` plus a list of the
/// same fields is the reference, in the same run. Best of `rounds` each.
struct DatasetsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Caption JSON load time versus Python json; synthetic scenes per second."
    )

    @Option(help: "Caption JSON to load (default: ../shared/data/captions/dataset_rsicd.json).")
    var captions: String?

    @Option(help: "Rounds per loader; the fastest counts.")
    var rounds: Int = 3

    @Option(help: "Synthetic images to generate.")
    var count: Int = 400

    @Option(help: "Synthetic image size in pixels.")
    var size: Int = 128

    @Option(help: "Python interpreter for the reference loader.")
    var python: String = "python3"

    func validate() throws {
        guard rounds > 0, count > 0 else { throw ValidationError("--rounds and --count must be positive") }
    }

    func run() async throws {
        let file = URL(fileURLWithPath: captions ?? Self.sharedCaptions().path)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ValidationError("no caption file at \(file.path) (see ../shared/data/README.md)")
        }
        let clock = ContinuousClock()
        var best = Double.infinity
        var dataset: CaptionDataset?
        for _ in 0..<rounds {
            let start = clock.now
            dataset = try CaptionDataset.load(file)
            best = min(best, (clock.now - start).seconds)
        }
        let loaded = try require(dataset)
        let reference = try Subprocess.run(python, ["-c", Self.pythonLoader, file.path, String(rounds)])
        let fields = reference.split(whereSeparator: \.isWhitespace)
        guard fields.count == 3, let pySeconds = Double(fields[0]), let pyImages = Int(fields[1]), let pyCaptions = Int(fields[2]) else {
            throw ValidationError("unexpected reference output: \(reference)")
        }
        print("load \(file.lastPathComponent): \(loaded.images.count) images, \(loaded.captionCount) captions")
        print(String(format: "  AerieDatasets   %8.1f ms", best * 1e3))
        print(String(format: "  Python json     %8.1f ms  (%d images, %d non-empty captions)", pySeconds * 1e3, pyImages, pyCaptions))
        print(String(format: "  ratio (Python time / Aerie time): %.2fx", pySeconds / best))

        // The generator, on all cores, into a temporary folder.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-synth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = SynthCorpus.Options(count: count, seed: 1, size: size)
        let start = clock.now
        try SynthCorpus.generate(options, into: folder)
        let seconds = (clock.now - start).seconds
        // The same images' PNG encoding alone, on one thread, to show where the time goes.
        let images = (0..<min(count, 100)).map { SynthCorpus.image($0, options: options) }
        let encodeStart = clock.now
        var bytes = 0
        for image in images { bytes += try PNGEncoder.encode(image).count }
        let encodeSeconds = (clock.now - encodeStart).seconds / Double(images.count)
        let renderStart = clock.now
        for i in 0..<images.count { _ = SynthCorpus.image(i, options: options) }
        let renderSeconds = (clock.now - renderStart).seconds / Double(images.count)
        print("synth \(count) images at \(size) px on \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print(String(format: "  %.1f images/s end to end (%.2f s); 100,000 images would take %.0f s", Double(count) / seconds, seconds, 1e5 * seconds / Double(count)))
        print(String(format: "  one thread: compose+render %.2f ms, PNG encode %.2f ms (%.0f%% of the two), %.1f kB per image",
                     renderSeconds * 1e3, encodeSeconds * 1e3, 100 * encodeSeconds / (encodeSeconds + renderSeconds),
                     Double(bytes) / Double(images.count) / 1e3))
    }

    /// Loads the file with json and collects the same fields, best of N rounds.
    static let pythonLoader = #"""
import json, sys, time
path, rounds = sys.argv[1], int(sys.argv[2])
best = float("inf")
for _ in range(rounds):
    t = time.perf_counter()
    with open(path, "rb") as f:
        data = json.load(f)
    rows = [(e["filename"], e.get("split"), e.get("label"), [s["raw"] for s in e["sentences"] if s["raw"].strip()]) for e in data["images"]]
    best = min(best, time.perf_counter() - t)
print(best, len(rows), sum(len(r[3]) for r in rows))
"""#

    static func sharedCaptions() -> URL {
        if let root = ProcessInfo.processInfo.environment["AERIE_SHARED_DATA"], !root.isEmpty {
            return URL(fileURLWithPath: root).appendingPathComponent("captions/dataset_rsicd.json")
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("shared/data/captions/dataset_rsicd.json")
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("no rounds ran") }
    return value
}
