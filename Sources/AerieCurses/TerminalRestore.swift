import CNcursesw
import Glibc

/// Puts the terminal back the way it was, whatever ends the program.
///
/// - SIGINT, SIGTERM, SIGHUP, SIGQUIT: the handler only writes a byte to a pipe; the runtime's
///   loop sees it and quits normally (ending ncurses on the main thread).
/// - Crashes (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE — a Swift trap is SIGILL or
///   SIGTRAP): the handler restores the saved terminal modes with `tcsetattr` and writes a
///   fixed reset sequence (both async-signal-safe), then re-raises the signal with its default
///   action so the crash is still reported.
/// - `exit()` from anywhere: an `atexit` hook does the same.
enum TerminalRestore {
    nonisolated(unsafe) private static var savedModes = termios()
    nonisolated(unsafe) private static var haveModes = false
    nonisolated(unsafe) private static var armed: Int32 = 0
    nonisolated(unsafe) static var signalPipe: (read: Int32, write: Int32) = (-1, -1)
    nonisolated(unsafe) private static var installed = false

    /// Leaves the alternate screen, shows the cursor, resets attributes, disables mouse
    /// reporting and bracketed paste.
    private static let resetSequence: [UInt8] = Array(
        "\u{1B}[?2004l\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1003l\u{1B}[?1006l\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\r\n".utf8)

    /// Saves the terminal's modes (call before ncurses changes them).
    static func saveModes() {
        haveModes = tcgetattr(STDIN_FILENO, &savedModes) == 0
    }

    /// Installs the handlers (once) and arms the crash restore.
    static func install() {
        armed = 1
        guard !installed else { return }
        installed = true
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
            signalPipe = (fds[0], fds[1])
        }
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(TerminalRestore.signalPipe.write, &byte, 1)
            }
        }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(sig) { number in
                TerminalRestore.restoreFromSignal()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        atexit { TerminalRestore.restoreFromSignal() }
    }

    /// The terminal was restored normally: nothing more to do at a crash or exit.
    static func disarm() { armed = 0 }

    /// Async-signal-safe restore: only `tcsetattr` and `write`.
    static func restoreFromSignal() {
        guard armed != 0 else { return }
        armed = 0
        resetSequence.withUnsafeBufferPointer { buffer in
            _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count)
        }
        if haveModes { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedModes) }
    }

    /// Reads and clears pending signal bytes; true if a quit signal arrived.
    static func drainSignals() -> Bool {
        guard signalPipe.read >= 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        var got = false
        while read(signalPipe.read, &buffer, buffer.count) > 0 { got = true }
        return got
    }
}
