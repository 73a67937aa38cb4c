import AerieBrowser
import AerieTerminal
import CNcursesw
import Glibc

/// One ncurses session on the controlling terminal: it draws screens (writing only the cells
/// that changed since the last frame), places sixel images, and decodes input into messages.
///
/// Only this type calls ncurses. It is used from the runtime's main thread only.
final class Terminal {
    private var screenPointer: OpaquePointer?
    private var colors: ColorMap
    private var previous: Screen?
    private var previousSixels: [SixelPlacement] = []
    private let noColor: Bool
    /// The terminal type in use (after any fallback) and whether it was a fallback.
    let terminalName: String
    let usedFallback: Bool
    private var active = false

    /// Starts ncurses on standard input and output.
    /// - Throws: `CursesError` when they are not terminals or the terminal type is unusable.
    init(noColor: Bool) throws {
        guard isatty(STDIN_FILENO) == 1 else { throw CursesError.notATerminal(stream: "input") }
        guard isatty(STDOUT_FILENO) == 1 else { throw CursesError.notATerminal(stream: "output") }
        Terminal.selectUTF8Locale()
        self.noColor = noColor
        TerminalRestore.saveModes()
        let requested = getenv("TERM").map { String(cString: $0) } ?? ""
        var name = requested
        var fallback = false
        var screen: OpaquePointer? = requested.isEmpty ? nil : newterm(requested, aerie_stdout(), aerie_stdin())
        if screen == nil {
            // Unknown TERM: vt100 is understood by practically every terminal emulator.
            name = "vt100"
            fallback = true
            screen = newterm("vt100", aerie_stdout(), aerie_stdin())
        }
        guard let screen else { throw CursesError.unknownTerminal(requested) }
        screenPointer = screen
        set_term(screen)
        guard aerie_has_string_capability("cup") != 0 else {
            endwin()
            delscreen(screen)
            screenPointer = nil
            throw CursesError.cannotAddressCursor(name)
        }
        terminalName = name
        usedFallback = fallback
        active = true
        TerminalRestore.install()

        raw()
        noecho()
        nonl()
        keypad(aerie_stdscr(), true)
        nodelay(aerie_stdscr(), true)
        set_escdelay(25)
        intrflush(aerie_stdscr(), false)
        colors = ColorMap(enabled: !noColor)
        colors.reserveBasicPairs()
        mousemask(aerie_mouse_events(), nil)
        mouseinterval(0)
        // Bracketed paste: pasted text arrives between ESC[200~ and ESC[201~.
        writeRaw("\u{1B}[?2004h")
    }

    deinit { end() }

    /// Restores the terminal. Safe to call more than once.
    func end() {
        guard active else { return }
        active = false
        writeRaw("\u{1B}[?2004l")
        curs_set(1)
        endwin()
        if let screenPointer { delscreen(screenPointer) }
        screenPointer = nil
        TerminalRestore.disarm()
    }

    /// The terminal's size in cells.
    var size: Size { Size(width: Int(getmaxx(aerie_stdscr())), height: Int(getmaxy(aerie_stdscr()))) }

    /// Forgets the last frame so the next draw repaints every cell (after a resize).
    func invalidate() {
        previous = nil
        clearok(aerie_curscr(), true)
    }

    /// Draws `screen`, writing only the cells that differ from the previous frame, then the
    /// sixel images when they changed.
    func draw(_ screen: Screen) {
        if previous?.size != screen.size { invalidate() }
        let sixelsChanged = screen.sixels != previousSixels
        if sixelsChanged && !previousSixels.isEmpty {
            // Old sixel pixels are unknown to ncurses: repaint everything to remove them.
            invalidate()
        }
        let old = previous
        var c = cchar_t()
        var wide: [wchar_t] = [0, 0, 0, 0, 0, 0]
        for y in 0..<screen.size.height {
            for x in 0..<screen.size.width {
                let cell = screen[x, y]
                if let old, old[x, y] == cell { continue }
                if cell.isContinuation { continue }
                var n = 0
                for scalar in cell.glyph.unicodeScalars where n < 5 {
                    wide[n] = wchar_t(bitPattern: scalar.value)
                    n += 1
                }
                if n == 0 {
                    wide[0] = 0x20
                    n = 1
                }
                wide[n] = 0
                var pair = colors.pair(foreground: cell.style.foreground, background: cell.style.background)
                let attrs = Terminal.attributes(cell.style.attributes)
                _ = wide.withUnsafeBufferPointer { buffer in
                    setcchar(&c, buffer.baseAddress, attrs, 0, &pair)
                }
                mvwadd_wch(aerie_stdscr(), Int32(y), Int32(x), &c)
            }
        }
        if let (x, y) = screen.cursor {
            curs_set(1)
            wmove(aerie_stdscr(), Int32(y), Int32(x))
        } else {
            curs_set(0)
        }
        wrefresh(aerie_stdscr())
        if !screen.sixels.isEmpty && (sixelsChanged || old == nil) {
            for placement in screen.sixels {
                writeRaw("\u{1B}7\u{1B}[\(placement.area.y + 1);\(placement.area.x + 1)H")
                writeRaw(placement.bytes)
                writeRaw("\u{1B}8")
            }
        }
        previous = screen
        previousSixels = screen.sixels
    }

    private static func attributes(_ a: CellAttributes) -> attr_t {
        var out: attr_t = 0
        if a.contains(.bold) { out |= aerie_attr_bold() }
        if a.contains(.dim) { out |= aerie_attr_dim() }
        if a.contains(.underline) { out |= aerie_attr_underline() }
        if a.contains(.reverse) { out |= aerie_attr_reverse() }
        return out
    }

    // MARK: Input

    private var pasting = false
    private var pasteBuffer = ""
    /// Characters read after an ESC that may start a bracketed-paste marker.
    private var escapeBuffer: [Character] = []

    /// Reads every pending input event without waiting.
    func readInput() -> [Message] {
        var messages: [Message] = []
        var value: wint_t = 0
        while true {
            let status = wget_wch(aerie_stdscr(), &value)
            if status == ERR { break }
            if status == KEY_CODE_YES {
                flushEscape(into: &messages)
                decodeKeyCode(Int32(value), into: &messages)
            } else {
                decodeCharacter(UInt32(value), into: &messages)
            }
        }
        if !pasting { flushEscape(into: &messages) }
        return messages
    }

    private static let pasteStart: [Character] = ["[", "2", "0", "0", "~"]
    private static let pasteEnd: [Character] = ["[", "2", "0", "1", "~"]

    private func decodeCharacter(_ code: UInt32, into messages: inout [Message]) {
        guard let scalar = Unicode.Scalar(code) else { return }
        let character = Character(scalar)
        if !escapeBuffer.isEmpty {
            escapeBuffer.append(character)
            let body = Array(escapeBuffer.dropFirst())
            let marker = pasting ? Terminal.pasteEnd : Terminal.pasteStart
            if body == marker {
                escapeBuffer = []
                if pasting {
                    pasting = false
                    messages.append(.paste(pasteBuffer))
                    pasteBuffer = ""
                } else {
                    pasting = true
                }
                return
            }
            if marker.starts(with: body) { return }
            // Not a paste marker: replay what was buffered.
            let buffered = escapeBuffer
            escapeBuffer = []
            if pasting {
                pasteBuffer += String(buffered)
            } else {
                messages.append(.key(.escape))
                for c in buffered.dropFirst() { decodePlain(c, into: &messages) }
            }
            return
        }
        if code == 27 {
            escapeBuffer = [character]
            return
        }
        if pasting {
            pasteBuffer.append(character)
            return
        }
        decodePlain(character, into: &messages)
    }

    private func flushEscape(into messages: inout [Message]) {
        guard !escapeBuffer.isEmpty else { return }
        let buffered = escapeBuffer
        escapeBuffer = []
        messages.append(.key(.escape))
        for c in buffered.dropFirst() { decodePlain(c, into: &messages) }
    }

    private func decodePlain(_ character: Character, into messages: inout [Message]) {
        guard let scalar = character.unicodeScalars.first else { return }
        switch scalar.value {
        case 9: messages.append(.key(.tab))
        case 10, 13: messages.append(.key(.enter))
        case 8, 127: messages.append(.key(.backspace))
        case 27: messages.append(.key(.escape))
        case 1...26:
            let letter = Character(Unicode.Scalar(scalar.value + 96) ?? "?")
            messages.append(.key(.control(letter)))
        case 0..<32: break
        default:
            // A combining mark typed alone joins the grapheme before it in the editor.
            messages.append(.key(.character(character)))
        }
    }

    private func decodeKeyCode(_ code: Int32, into messages: inout [Message]) {
        switch code {
        case KEY_UP: messages.append(.key(.up))
        case KEY_DOWN: messages.append(.key(.down))
        case KEY_LEFT: messages.append(.key(.left))
        case KEY_RIGHT: messages.append(.key(.right))
        case KEY_HOME: messages.append(.key(.home))
        case KEY_END: messages.append(.key(.end))
        case KEY_PPAGE: messages.append(.key(.pageUp))
        case KEY_NPAGE: messages.append(.key(.pageDown))
        case KEY_BACKSPACE: messages.append(.key(.backspace))
        case KEY_DC: messages.append(.key(.delete))
        case KEY_BTAB: messages.append(.key(.backTab))
        case KEY_ENTER: messages.append(.key(.enter))
        case KEY_RESIZE:
            invalidate()
            messages.append(.resize(size))
        case KEY_MOUSE:
            var event = MEVENT()
            while getmouse(&event) == OK {
                let kind: MouseEvent.Kind?
                if aerie_mouse_is_wheel_up(event.bstate) != 0 { kind = .wheelUp }
                else if aerie_mouse_is_wheel_down(event.bstate) != 0 { kind = .wheelDown }
                else if aerie_mouse_is_click(event.bstate) != 0 { kind = .click }
                else { kind = nil }
                if let kind { messages.append(.mouse(MouseEvent(x: Int(event.x), y: Int(event.y), kind: kind))) }
                break
            }
        default:
            for n in 1...12 where code == aerie_key_f(Int32(n)) {
                messages.append(.key(.function(n)))
            }
        }
    }

    // MARK: Raw output

    private func writeRaw(_ text: String) { writeRaw(Array(text.utf8)) }

    private func writeRaw(_ bytes: [UInt8]) {
        fflush(aerie_stdout())
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(STDOUT_FILENO, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// Makes the C library speak UTF-8 so ncurses measures and writes wide characters right.
    static func selectUTF8Locale() {
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) == "UTF-8" { return }
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { setlocale(LC_CTYPE, "en_US.UTF-8") }
    }
}
