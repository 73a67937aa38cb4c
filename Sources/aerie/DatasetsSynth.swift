import AerieDatasets
import AerieSynth
import AerieTerminal
import ArgumentParser
import Dispatch
import Foundation

/// `aerie datasets synth`: render a synthetic aerial-scene caption data set.
struct DatasetsSynth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render synthetic top-down aerial scenes with captions, labels and splits.",
        discussion: """
            Writes OUT/images/*.png and OUT/dataset.json (Karpathy style), which every loader \
            reads: `aerie datasets inspect OUT`. The same --seed, --count and --size give the \
            same bytes on every run. Scene kinds: \(SceneKind.allCases.map(\.rawValue).joined(separator: ", ")).
            """
    )

    @Option(help: "The folder to write dataset.json and images/ into.")
    var out: String

    @Option(help: "How many images to make (at most 1,000,000).")
    var count = 240

    @Option(help: "The seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Image width and height in pixels.")
    var size = 128

    @Flag(help: "Write only dataset.json (captions, labels, splits), no images.")
    var noImages = false

    func validate() throws {
        guard (0...SynthCorpus.Options.maximumCount).contains(count) else {
            throw ValidationError("--count \(count) is out of range: use 0 to \(SynthCorpus.Options.maximumCount) scenes")
        }
        guard (8...4096).contains(size) else { throw ValidationError("--size must be between 8 and 4096") }
    }

    func run() async throws {
        let options = SynthCorpus.Options(count: count, seed: seed, size: size, writeImages: !noImages)
        let folder = URL(fileURLWithPath: out)
        let start = DispatchTime.now().uptimeNanoseconds
        let step = max(count / 20, 1)
        let items: [SynthCorpus.Item]
        do {
            items = try SynthCorpus.generate(options, into: folder) { done in
                if done % step == 0 {
                    printError("\(done)/\(count)")
                }
            }
        } catch {
            throw Datasets.fail(error)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var perKind: [SceneKind: Int] = [:]
        for item in items { perKind[item.kind, default: 0] += 1 }
        let what = noImages ? "captions of \(items.count) scenes (no image files)"
            : "\(items.count) images (\(size)x\(size)) and \(items.count * 5) captions"
        try printLine("wrote \(what) to " + TerminalText.sanitize(folder.path))
        try printLine(String(format: "%.2f s, %.1f scenes/s", seconds, seconds > 0 ? Double(items.count) / seconds : 0))
        try printLine("kinds: " + SceneKind.allCases.map { "\($0.rawValue) \(perKind[$0] ?? 0)" }.joined(separator: " · "))
    }
}
