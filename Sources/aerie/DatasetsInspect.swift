import AerieDatasets
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie datasets inspect DATASET`: what a data set holds and what is wrong with it.
struct DatasetsInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a data set's images, captions, splits, labels, missing files, formats and issues.",
        discussion: """
            Exits 1 when the data set cannot be read, and with --strict also when images are \
            missing or issues were found (the report is printed first).
            """
    )

    @Argument(help: "A caption JSON, a folder with a dataset*.json, a class-folder tree or a folder of images.")
    var dataset: String

    @Option(name: .customLong("images"), help: "The image root of a caption JSON (default: imgs/ or images/ beside it).")
    var images: String?

    @Flag(help: "Fail when images are missing or issues were found.")
    var strict = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "How many missing files and issues to list.")
    var show = 5

    @Option(help: "Probe the formats of at most this many images (0: skip).")
    var probe = 100_000

    func run() async throws {
        let options = DatasetLoadOptions(imageRoot: images.map { URL(fileURLWithPath: $0) })
        let loaded: CaptionDataset
        do {
            loaded = try CaptionDataset.load(URL(fileURLWithPath: dataset), options: options)
        } catch {
            throw Datasets.fail(error)
        }
        let summary = loaded.summary(missingExamples: max(0, show))
        let formats = probe > 0 ? loaded.formatReport(limit: probe) : nil
        if json {
            try printJSON(Report(summary: summary, formats: formats,
                                 issues: loaded.issues.map(\.description)))
        } else {
            try printReport(summary, formats: formats, issues: loaded.issues)
        }
        if strict && (summary.missingImages > 0 || !loaded.issues.isEmpty) {
            printError("aerie: strict check failed: \(summary.missingImages) missing image(s), "
                                + "\(loaded.issues.count) issue(s)")
            throw ExitCode(1)
        }
    }

    /// The `--json` document. JSON escapes control characters, so no sanitizing is needed.
    struct Report: Encodable {
        let summary: DatasetSummary
        let formats: FormatReport?
        let issues: [String]
    }

    private func printJSON(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(report)
        try printLine(String(decoding: data, as: UTF8.self))
    }

    private func printReport(_ s: DatasetSummary, formats: FormatReport?, issues: [DatasetIssue]) throws {
        // Everything that came from the data set or the user passes the sanitizer.
        let safe = TerminalText.sanitize
        var lines: [String] = []
        func row(_ key: String, _ value: String) {
            lines.append(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
        }
        row("dataset", (s.name.map(safe) ?? "(unnamed)") + "  [\(s.kind)]")
        row("source", safe(s.source))
        row("image root", safe(s.imageRoot))
        row("images", "\(Self.number(s.images))" + (s.missingImages > 0 ? "  (\(Self.number(s.missingImages)) missing)" : ""))
        if s.captions > 0 {
            let perImage = s.captionsPerImage.sorted { Int($0.key) ?? 0 > Int($1.key) ?? 0 }
                .map { "\($0.key) × \(Self.number($0.value))" }.joined(separator: ", ")
            row("captions", "\(Self.number(s.captions))  (\(Self.number(s.distinctCaptions)) distinct; per image: \(perImage))")
            if let w = s.captionWords, let c = s.captionCharacters {
                row("length", "words \(w.min)–\(w.max), median \(Self.decimal(w.median)), mean \(Self.decimal(w.mean)); "
                    + "characters \(c.min)–\(c.max), mean \(Self.decimal(c.mean))")
            }
        } else {
            row("captions", "none")
        }
        let splits = s.splits.sorted { Split(rawValue: $0.key) < Split(rawValue: $1.key) }
            .map { "\(safe($0.key)) \(Self.number($0.value))" }.joined(separator: " · ")
        row("splits", splits)
        if s.labels.isEmpty {
            row("labels", "none")
        } else {
            row("labels", "\(s.labels.count)")
            let cells = s.labels.map { "\(safe($0.label)) \(Self.number($0.count))" }
            for chunk in stride(from: 0, to: cells.count, by: 6) {
                row("", cells[chunk..<min(chunk + 6, cells.count)].joined(separator: " · "))
            }
        }
        if let formats {
            let kinds = formats.formats.sorted(by: Self.byCount).map { "\($0.key) \(Self.number($0.value))" }
            let sizes = formats.sizes.sorted(by: Self.byCount).prefix(4).map { "\($0.key) × \(Self.number($0.value))" }
            var text = formats.examined == 0 ? "no image files present"
                : kinds.isEmpty ? "none readable" : kinds.joined(separator: " · ")
            if formats.examined < s.images - s.missingImages { text += "  (first \(Self.number(formats.examined)) examined)" }
            row("formats", text)
            if !sizes.isEmpty { row("sizes", sizes.joined(separator: " · ") + (formats.sizes.count > 4 ? " · …" : "")) }
            if formats.mislabelled > 0 { row("", "\(Self.number(formats.mislabelled)) file(s) whose extension names another format") }
            if !formats.failures.isEmpty {
                row("unreadable", "\(Self.number(formats.failures.count))")
                for failure in formats.failures.prefix(show) { row("", safe(failure.reason)) }
            }
        }
        if s.missingImages > 0 {
            row("missing", "\(Self.number(s.missingImages))")
            for name in s.missingExamples { row("", safe(name)) }
            if s.missingImages > s.missingExamples.count { row("", "…") }
        }
        if issues.isEmpty {
            row("issues", "none")
        } else {
            let counts = s.issueCounts.sorted(by: Self.byCount).map { "\($0.key) \(Self.number($0.value))" }
            row("issues", "\(Self.number(issues.count))  (" + counts.joined(separator: ", ") + ")")
            for issue in issues.prefix(show) { row("", safe(issue.description)) }
            if issues.count > show { row("", "… (--show N lists more, --json lists all)") }
        }
        try printLine(lines.joined(separator: "\n"))
    }

    /// Most frequent first, then by name, so the report is the same on every run.
    static func byCount(_ a: (key: String, value: Int), _ b: (key: String, value: Int)) -> Bool {
        a.value != b.value ? a.value > b.value : a.key < b.key
    }

    static func number(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func decimal(_ x: Double) -> String {
        String(format: "%.1f", x)
    }
}
