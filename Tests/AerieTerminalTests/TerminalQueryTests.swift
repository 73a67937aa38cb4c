#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import AerieTerminal

/// A pseudo-terminal pair: the test plays the terminal on `master`, the code under test talks to
/// `slave` as it would to a real terminal.
private struct PseudoTerminal {
    let master: Int32
    let slave: Int32

    // The Glibc module hides the pseudo-terminal functions behind feature macros; look them up.
    private typealias OpenFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32) -> Int32
    private typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

    private static func function<T>(_ name: String, as type: T.Type) -> T? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    init?() {
        guard let openpt = Self.function("posix_openpt", as: OpenFunction.self),
              let grantpt = Self.function("grantpt", as: ControlFunction.self),
              let unlockpt = Self.function("unlockpt", as: ControlFunction.self),
              let ptsname = Self.function("ptsname", as: NameFunction.self) else { return nil }
        let master = openpt(O_RDWR | O_NOCTTY)
        guard master >= 0 else { return nil }
        guard grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            Glibc.close(master)
            return nil
        }
        let slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { Glibc.close(master); return nil }
        self.master = master
        self.slave = slave
    }

    func close() {
        Glibc.close(slave)
        Glibc.close(master)
    }

    func attributes() -> termios {
        var t = termios()
        tcgetattr(slave, &t)
        return t
    }
}

/// Reads from the terminal side until the DA1 request arrives, then answers with `reply`.
private func answer(on master: Int32, with reply: String) -> Thread {
    let thread = Thread {
        var seen: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        let request = Array("\u{1B}[c".utf8)
        while !seen.ends(with: request) {
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            seen += buffer[0..<count]
        }
        let bytes = Array(reply.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }
    thread.start()
    return thread
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

@Suite("Terminal query", .serialized)
struct TerminalQueryTests {
    @Test("the query reads the terminal's replies and restores its mode")
    func queryWithReplies() throws {
        let pty = try #require(PseudoTerminal(), "no pseudo-terminal available")
        defer { pty.close() }
        let before = pty.attributes()
        _ = answer(on: pty.master, with: "\u{1B}[6;18;9t\u{1B}[4;432;720t\u{1B}[?65;1;4;9c")
        let replies = TerminalQuery.ask(input: pty.slave, output: pty.slave)
        #expect(replies.reportsSixel)
        #expect(replies.cellPixelSize == PixelSize(width: 9, height: 18))
        #expect(replies.windowPixelSize == PixelSize(width: 720, height: 432))
        let after = pty.attributes()
        #expect(after.c_lflag == before.c_lflag, "local modes (echo, canonical) restored")
        #expect(after.c_iflag == before.c_iflag)
        #expect(after.c_oflag == before.c_oflag)
    }

    @Test("a silent terminal gives no replies and its mode is restored")
    func silentTerminal() throws {
        let pty = try #require(PseudoTerminal(), "no pseudo-terminal available")
        defer { pty.close() }
        let before = pty.attributes()
        let replies = TerminalQuery.ask(input: pty.slave, output: pty.slave, timeout: .milliseconds(50))
        #expect(replies == CapabilityDetection.Replies())
        #expect(pty.attributes().c_lflag == before.c_lflag)
    }

    @Test("nothing is asked when a descriptor is not a terminal")
    func notATerminal() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let replies = TerminalQuery.ask(input: fds[0], output: fds[1])
        #expect(replies == CapabilityDetection.Replies())
        // Nothing was written into the pipe.
        var flags = fcntl(fds[0], F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(fds[0], F_SETFL, flags)
        var byte: UInt8 = 0
        #expect(read(fds[0], &byte, 1) == -1)
    }
}
