import Foundation

/// A one-line progress bar on standard error: count, rate and time left, redrawn in place.
///
/// Drawn only when standard error is a terminal; otherwise it prints nothing until ``finish()``,
/// which writes one summary line, so logs stay readable.
struct ProgressBar {
    let title: String
    let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interactive = isatty(STDERR_FILENO) == 1

    init(title: String, total: Int) {
        self.title = title
        self.total = max(total, 1)
    }

    /// Shows `done` of `total`, with an optional note (e.g. the current loss).
    mutating func update(_ done: Int, note: String = "") {
        guard interactive else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        writeDiagnostic("\r\u{1B}[2K" + line(done, now: now, note: note))
    }

    /// Ends the bar with its final state on its own line.
    func finish(_ done: Int, note: String = "") {
        let text = line(done, now: Date(), note: note)
        writeDiagnostic((interactive ? "\r\u{1B}[2K" : "") + text + "\n")
    }

    private func line(_ done: Int, now: Date, note: String) -> String {
        let width = 24
        let fraction = min(1, Double(done) / Double(total))
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rateText = rate >= 10 ? String(format: "%.0f/s", rate) : String(format: "%.1f/s", rate)
        return "\(title) \(bar) \(done)/\(total) \(rateText) ETA \(Self.clock(remaining))" + (note.isEmpty ? "" : "  \(note)")
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
