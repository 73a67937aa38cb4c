import AerieCore
import AerieEvaluation
import AerieBrowser
import AerieTerminal
import Dispatch
import Foundation
import Glibc

/// Runs the browser in the terminal: reads input, feeds messages to `Browser.update`, carries
/// out its effects on background workers, and draws `Browser.view` after every batch.
///
/// The main thread only reads input, updates the state and draws; searches, previews,
/// neighbours and label writes run on worker queues and come back as messages through a
/// mailbox that wakes the main loop, so the keyboard never waits for the engine.
public final class BrowserRuntime {
    private let backend: any BrowserBackend
    private let labels: any LabelRecording
    private var state: BrowserState
    private let mailbox = Mailbox()
    private var timers: [(deadline: UInt64, message: Message)] = []
    private let searchQueue = DispatchQueue(label: "aerie.browse.search", qos: .userInitiated)
    private let previewQueue = DispatchQueue(label: "aerie.browse.preview", qos: .userInitiated)
    private let neighbourQueue = DispatchQueue(label: "aerie.browse.neighbours", qos: .userInitiated)
    private let labelQueue = DispatchQueue(label: "aerie.browse.labels", qos: .userInitiated)
    private let latestSearch = Locked(0)
    private let previewStack = Locked([PreviewKey]())
    /// Called after each frame is drawn (benchmarks measure keystroke-to-frame latency with it).
    public var onFrame: (@Sendable (Message?) -> Void)?

    /// - Parameters:
    ///   - backend: executes searches, neighbours and previews.
    ///   - labels: where labels and history are saved.
    ///   - config: session settings (debounce, Rocchio weights, sixel availability, NO_COLOR).
    ///   - previewMode: the preview mode detected at start.
    ///   - initialQuery: text to start with (searched at once when not empty).
    ///   - notice: a notice for the first frame (e.g. "loading models…").
    public init(backend: any BrowserBackend, labels: any LabelRecording, config: BrowserConfig,
                previewMode: PreviewMode, initialQuery: String = "", notice: String? = nil) {
        self.backend = backend
        self.labels = labels
        var state = BrowserState(config: config, info: backend.corpusInfo(), size: Size(width: 80, height: 24), previewMode: previewMode)
        state.query.setText(initialQuery)
        state.notice = notice
        self.state = state
    }

    /// Runs until the user quits. The terminal is restored on return and on every error.
    /// - Throws: `CursesError` when the terminal cannot be used (nothing was changed then).
    public func run() throws {
        let terminal = try Terminal(noColor: state.config.noColor)
        defer { terminal.end() }
        state.size = terminal.size
        if terminal.usedFallback {
            state.notice = "unknown TERM: using vt100"
        }
        execute(Browser.start(&state))
        terminal.draw(Browser.view(state, size: state.size))

        var pollSet = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: mailbox.wakeFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: TerminalRestore.signalPipe.read, events: Int16(POLLIN), revents: 0),
        ]
        while !state.quitting {
            let timeout = nextTimeout()
            for i in pollSet.indices { pollSet[i].revents = 0 }
            _ = poll(&pollSet, nfds_t(pollSet.count), timeout)

            var messages: [Message] = []
            if TerminalRestore.drainSignals() { messages.append(.interrupt) }
            messages += terminal.readInput()
            messages += dueTimers()
            messages += mailbox.drain()
            guard !messages.isEmpty else { continue }
            for message in messages {
                execute(Browser.update(&state, message))
                if state.quitting { break }
            }
            if state.quitting { break }
            let size = terminal.size
            if size != state.size { execute(Browser.update(&state, .resize(size))) }
            terminal.draw(Browser.view(state, size: state.size))
            onFrame?(messages.last)
        }
    }

    /// Sends a message to the main loop from any thread (e.g. `.noticeExpired` when a
    /// background load finishes).
    public var poster: @Sendable (Message) -> Void {
        let mailbox = self.mailbox
        return { mailbox.post($0) }
    }

    // MARK: Effects

    private func execute(_ effects: [Effect]) {
        for effect in effects { execute(effect) }
    }

    private func execute(_ effect: Effect) {
        let mailbox = self.mailbox
        let backend = self.backend
        let labels = self.labels
        switch effect {
        case let .debounce(generation, milliseconds):
            timers.append((now() + UInt64(max(0, milliseconds)) * 1_000_000, .debounceElapsed(generation: generation)))
        case let .search(request, generation):
            latestSearch.set(generation)
            let latest = latestSearch
            searchQueue.async {
                // A newer search was asked for while this one waited: skip it.
                guard latest.get() == generation else { return }
                let result: Result<SearchResponse, BackendFailure>
                do { result = .success(try backend.search(request)) } catch { result = .failure(BackendFailure(error)) }
                mailbox.post(.searchFinished(generation: generation, result))
            }
        case let .loadNeighbours(imageID, limit, token):
            neighbourQueue.async {
                let result: Result<Neighbours, BackendFailure>
                do { result = .success(try backend.neighbours(of: imageID, limit: limit)) } catch { result = .failure(BackendFailure(error)) }
                mailbox.post(.neighboursLoaded(token: token, result))
            }
        case let .loadPreview(key):
            // Newest first: when the selection moves fast only the latest previews matter;
            // the oldest waiting ones are dropped (the browser asks again if still needed).
            let dropped: [PreviewKey] = previewStack.update { stack in
                stack.append(key)
                guard stack.count > 12 else { return [] }
                let old = Array(stack.prefix(stack.count - 12))
                stack.removeFirst(stack.count - 12)
                return old
            }
            for key in dropped { mailbox.post(.previewDropped(key)) }
            let stack = previewStack
            previewQueue.async {
                guard let key = stack.update({ $0.popLast() }) else { return }
                let image: PreviewImage
                do { image = try backend.preview(of: key.imageID, size: key.size, mode: key.mode) } catch { image = .unavailable(String(describing: error)) }
                mailbox.post(.previewLoaded(key, image))
            }
        case let .saveLabel(change):
            labelQueue.async {
                do {
                    try labels.apply(change)
                    mailbox.post(.labelSaved(change))
                } catch {
                    mailbox.post(.labelFailed(change, String(describing: error)))
                }
            }
        case .loadLabels:
            labelQueue.async {
                do { mailbox.post(.labelsLoaded(.success(try labels.allLabels()))) } catch { mailbox.post(.labelsLoaded(.failure(BackendFailure(error)))) }
            }
        case .loadHistory:
            labelQueue.async {
                mailbox.post(.historyLoaded((try? labels.history(limit: 500)) ?? []))
            }
        case let .appendHistory(query):
            labelQueue.async { try? labels.appendHistory(query) }
        case .quit:
            state.quitting = true
        }
    }

    /// Waits for label writes in flight (called before returning, so a quit never loses one).
    public func flushLabelWrites() {
        labelQueue.sync {}
    }

    // MARK: Timers

    private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func nextTimeout() -> Int32 {
        guard let first = timers.map(\.deadline).min() else { return 1000 }
        let t = now()
        return first <= t ? 0 : Int32(min(1000, (first - t) / 1_000_000 + 1))
    }

    private func dueTimers() -> [Message] {
        let t = now()
        let due = timers.filter { $0.deadline <= t }.sorted { $0.deadline < $1.deadline }.map(\.message)
        timers.removeAll { $0.deadline <= t }
        return due
    }
}

/// Messages from worker threads to the main loop, with a pipe that wakes its `poll`.
final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Message] = []
    private let pipeFDs: (read: Int32, write: Int32)

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        }
        pipeFDs = (fds[0], fds[1])
    }

    deinit {
        close(pipeFDs.read)
        close(pipeFDs.write)
    }

    var wakeFD: Int32 { pipeFDs.read }

    func post(_ message: Message) {
        lock.lock()
        messages.append(message)
        lock.unlock()
        var byte: UInt8 = 1
        _ = write(pipeFDs.write, &byte, 1)
    }

    func drain() -> [Message] {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(pipeFDs.read, &buffer, buffer.count) > 0 {}
        lock.lock()
        defer { lock.unlock() }
        let out = messages
        messages = []
        return out
    }
}
