import AerieDatasets
import AerieRetrieval
import AerieIndex
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie index`: encode a data set's images and captions and persist them.
struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode a data set's images and captions into a persisted, incremental index.",
        discussion: """
            Encoder features go to SQLite, joint vectors to checksummed memory-mapped files. \
            Re-running encodes only new or changed files and drops deleted ones; an interrupted \
            run (Ctrl-C, kill) resumes where it stopped.
            """
    )

    @Argument(help: "Caption JSON, class-folder tree or folder of images.")
    var dataset: String
    @OptionGroup var options: IndexModelOptions
    @Option(help: "Index only this split.")
    var split: String?
    @Option(help: "Storage of the joint vectors: fp32 or fp16 (binary codes are always kept too).")
    var dtype: String = "fp32"
    @Option(help: "Images per encoder batch.")
    var batch: Int = 16
    @Flag(help: "Re-project the stored features with the current head, without encoding.")
    var reproject = false

    func run() throws {
        guard let type = VectorType(name: dtype), type != .binary else { throw ValidationError("--dtype must be fp32 or fp16") }
        let indexing = Indexing(options.configuration(dataset: dataset), split: split, vectorType: type, batchSize: batch)
        try Self.build(indexing, reproject: reproject)
    }

    /// Indexes (or re-projects) with progress bars on stderr and the summary on stdout; also how
    /// `aerie browse` and `aerie labels eval` index a data set that has no index yet.
    static func build(_ indexing: Indexing, reproject: Bool = false) throws {
        let data = try usingLibrary { try indexing.dataset() }
        let location = try usingLibrary { try indexing.configuration.indexLocation() }
        let (builder, models) = try usingLibrary { try indexing.builder() }
        printError("index: \(TerminalText.sanitize(location.directory.path))")
        printError("models: image \(models.image.identity)" + (models.head.map { ", joint head \($0.identity.prefix(12))" } ?? ", no joint head"))
        if !data.missing.isEmpty { printError("\(data.missing.count) images listed but missing: skipped") }
        if reproject {
            let generation = try builder.reproject()
            printError("re-projected stored features: generation \(generation)")
            return
        }
        installInterruptHandler()
        let started = Date()
        var bar: ProgressBar?
        var phase: IndexingProgress.Phase?
        let summary = try builder.update(data) { progress in
            if progress.phase != phase {
                if let bar, phase != .vectors { bar.finish(bar.total) }
                phase = progress.phase
                bar = progress.total > 0 ? ProgressBar(title: progress.phase.rawValue, total: progress.total) : nil
            }
            bar?.update(progress.done)
            if interruptRequested != 0 { throw IndexError.cancelled }
        }
        if let bar, phase != .vectors { bar.finish(bar.total) }
        let seconds = Date().timeIntervalSince(started)
        try printLine("images encoded \(summary.imagesEncoded), unchanged \(summary.imagesUnchanged), removed \(summary.imagesRemoved), "
              + "failed \(summary.imagesFailed.count); captions encoded \(summary.captionsEncoded); "
              + "vectors \(summary.vectorsRebuilt ? "rebuilt" : "current") (generation \(summary.generation)); "
              + String(format: "%.1f s", seconds)
              + (summary.imagesEncoded > 0 ? String(format: ", %.1f images/s", Double(summary.imagesEncoded) / seconds) : ""))
        for path in summary.imagesFailed.prefix(10) { printError("could not decode \(TerminalText.sanitize(path))") }
    }
}
