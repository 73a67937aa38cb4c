#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The one piece of terminal I/O in capability detection: ask the terminal about itself.
///
/// The decisions live in ``CapabilityDetection``; this type only moves bytes.
public enum TerminalQuery {
    /// XTWINOPS 16 (cell size in pixels), XTWINOPS 14 (text area in pixels), then DA1.
    ///
    /// Every terminal answers DA1, and answers in order, so the DA1 reply marks the end: the
    /// read stops there instead of waiting for the timeout.
    public static let request: [UInt8] = Array("\u{1B}[16t\u{1B}[14t\u{1B}[c".utf8)

    /// The longest the query may take, start to finish.
    public static let maximumTimeout: Duration = .milliseconds(250)

    /// Whether `descriptor` is a terminal.
    public static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1
    }

    /// The terminal size in cells and, when the kernel knows it, in pixels (`TIOCGWINSZ`).
    public static func windowSize(_ descriptor: Int32 = STDOUT_FILENO) -> (columns: Int, rows: Int, pixels: PixelSize?)? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        let pixels = size.ws_xpixel > 0 && size.ws_ypixel > 0
            ? PixelSize(width: Int(size.ws_xpixel), height: Int(size.ws_ypixel)) : nil
        return (Int(size.ws_col), Int(size.ws_row), pixels)
    }

    /// Sends ``request`` to the terminal and collects its replies for at most `timeout`.
    ///
    /// The input terminal is put in raw mode (no echo, no line buffering) for the duration and
    /// always restored, discarding unread input so that a late reply does not reach the shell.
    /// Returns an empty reply set when either descriptor is not a terminal.
    ///
    /// - Parameters:
    ///   - input: Descriptor the replies are read from (standard input).
    ///   - output: Descriptor the request is written to (standard output).
    ///   - timeout: Total time budget, capped at ``maximumTimeout``.
    public static func ask(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
                           timeout: Duration = maximumTimeout) -> CapabilityDetection.Replies {
        guard isTerminal(input), isTerminal(output) else { return CapabilityDetection.Replies() }
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return CapabilityDetection.Replies() }
        var raw = saved
        cfmakeraw(&raw)
        // Keep output post-processing so that the caller's later newlines still work as usual.
        raw.c_oflag = saved.c_oflag
        guard tcsetattr(input, TCSANOW, &raw) == 0 else { return CapabilityDetection.Replies() }
        defer {
            var restore = saved
            tcsetattr(input, TCSAFLUSH, &restore)
        }

        let written = request.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        guard written == request.count else { return CapabilityDetection.Replies() }

        let budget = min(timeout, maximumTimeout)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: budget)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while received.count < 4096 {
            let remaining = clock.now.duration(to: deadline)
            let milliseconds = Int32(max(0, remaining.components.seconds * 1000
                                        + remaining.components.attoseconds / 1_000_000_000_000_000))
            if milliseconds <= 0 { break }
            var pollDescriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollDescriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { break }
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if CapabilityDetection.parseReplies(received).isComplete { break }
        }
        return CapabilityDetection.parseReplies(received)
    }

    /// The capabilities of the terminal on standard input/output: the environment guess,
    /// refined by a query only when both are terminals, then the overrides.
    ///
    /// - Parameters:
    ///   - environment: Usually `ProcessInfo.processInfo.environment`.
    ///   - overrides: Explicit user choices, applied last.
    ///   - allowQuery: Pass `false` to never write to the terminal (for example when every
    ///     capability the caller needs is overridden).
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                              overrides: TerminalCapabilities.Overrides = .init(),
                              allowQuery: Bool = true) -> TerminalCapabilities {
        let env = TerminalEnvironment(environment: environment,
                                      stdinIsTerminal: isTerminal(STDIN_FILENO),
                                      stdoutIsTerminal: isTerminal(STDOUT_FILENO))
        var capabilities = CapabilityDetection.guess(from: env)
        if env.stdoutIsTerminal {
            let size = windowSize()
            var replies = CapabilityDetection.Replies()
            if allowQuery && env.mayQuery {
                replies = ask()
            }
            if replies.cellPixelSize == nil && replies.windowPixelSize == nil, let pixels = size?.pixels {
                replies.windowPixelSize = pixels
            }
            capabilities = CapabilityDetection.refine(capabilities, with: replies,
                                                      windowCells: size.map { ($0.columns, $0.rows) },
                                                      environment: env)
        }
        return capabilities.applying(overrides)
    }
}
