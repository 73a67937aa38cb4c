import ArgumentParser
import Foundation

/// `aerie-bench browse-first-frame`: time from starting the real `aerie browse` process to its
/// first frame on screen.
///
/// Each run starts `aerie browse DATASET --index DIR` in a detached tmux window of its own tmux
/// server and reads the window with `capture-pane` until the browser's status line (its key
/// hints) appears. The reference measured in the same run is the same procedure on a shell
/// command that prints that line at once: what tmux itself costs to start and show a line, so
/// the difference is the browser's own start (index, models, first view).
struct BrowseFirstFrameBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "browse-first-frame",
        abstract: "Process start → first drawn frame of the real `aerie browse`, in tmux (target < 0.5 s)."
    )

    @Option(help: "The aerie executable.") var aerie: String = ".build/release/aerie"
    @Option(help: "The data set to browse.") var dataset: String = "assets/corpus"
    @Option(help: "A prebuilt index of the data set (`aerie index DATASET --index DIR`).") var index: String
    @Option(help: "Runs (the first one also warms the page cache).") var repeats: Int = 5
    @Option(help: "Text whose appearance marks the first frame.") var marker: String = "^C quit"
    @Option(help: "Notice shown while the models load; its disappearance marks the browser ready to search.")
    var loadingNotice: String = "loading models…"

    static let targetMilliseconds = 500.0

    func run() throws {
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        let socket = "aerie-bench-\(getpid())"
        defer { _ = system("tmux -L \(Self.quoted(socket)) kill-server 2>/dev/null") }
        let browse = [aerie, "browse", dataset, "--index", index].map(Self.quoted).joined(separator: " ")
        let echo = "printf '%s\\n' \(Self.quoted(marker)); sleep 30"
        print("browse-first-frame: \(browse), tmux 120x40, \(repeats) runs each")
        // A session kept for the whole run, so the server never exits between measured sessions.
        guard system("tmux -L \(Self.quoted(socket)) new-session -d -s keep 'sleep 3600'") == 0 else {
            throw ValidationError("cannot start tmux")
        }
        var browser: [Double] = [], reference: [Double] = [], ready: [Double] = []
        for run in 0..<repeats {
            reference.append(try time(echo, socket: socket, window: "ref\(run)").first)
            let (first, loaded) = try time(browse, socket: socket, window: "browse\(run)", untilGone: loadingNotice)
            browser.append(first)
            ready.append(loaded)
        }
        let b = browser.sorted(), r = reference.sorted()
        let median = { (v: [Double]) in v[v.count / 2] }
        print(String(format: "  aerie browse first frame: median %.0f ms, min %.0f ms, max %.0f ms (runs: %@)",
                     median(b), b[0], b[b.count - 1], browser.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        print(String(format: "  reference, tmux showing a printed line: median %.0f ms", median(r)))
        print(String(format: "  models loaded (\"%@\" gone, searches answered from then on): median %.0f ms",
                     loadingNotice, median(ready.sorted())))
        let own = median(b) - median(r)
        print(String(format: "  browser's own start (median difference): %.0f ms (target < %.0f ms: %@); ratio to reference %.1fx",
                     own, Self.targetMilliseconds, median(b) < Self.targetMilliseconds ? "met" : "MISSED", median(b) / max(median(r), 1e-9)))
    }

    /// Milliseconds from `new-session` to `marker` on the window's screen.
    ///
    /// tmux is driven through the shell (`system`/`popen`), which leaves its server detached as
    /// tmux expects; Foundation's `Process` pipes tie the server to the benchmark's child.
    /// - Returns: the first frame's time and, with `untilGone`, when that text left the screen.
    private func time(_ command: String, socket: String, window: String, untilGone: String? = nil) throws -> (first: Double, gone: Double) {
        let tmux = "tmux -L \(Self.quoted(socket))"
        let clock = ContinuousClock()
        let start = clock.now
        guard system("\(tmux) new-session -d -s \(window) -x 120 -y 40 \(Self.quoted(command))") == 0 else {
            throw ValidationError("tmux new-session failed")
        }
        defer { _ = system("\(tmux) kill-session -t \(window) 2>/dev/null") }
        while true {
            let screen = Self.output(of: "\(tmux) capture-pane -p -t \(window) 2>/dev/null")
            if screen.contains(marker) {
                let first = (clock.now - start).seconds * 1000
                guard let untilGone else { return (first, first) }
                while Self.output(of: "\(tmux) capture-pane -p -t \(window) 2>/dev/null").contains(untilGone) {
                    if (clock.now - start).seconds > 60 { throw ValidationError("\(untilGone) still shown after 60 s") }
                    usleep(2000)
                }
                return (first, (clock.now - start).seconds * 1000)
            }
            if (clock.now - start).seconds > 60 {
                throw ValidationError("no first frame after 60 s; screen:\n\(screen)")
            }
            usleep(2000)
        }
    }

    /// A shell command's standard output.
    private static func output(of command: String) -> String {
        guard let pipe = popen(command, "r") else { return "" }
        defer { pclose(pipe) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
