import Foundation

/// How many colours the terminal can show.
public enum ColorMode: String, CaseIterable, Sendable, Codable {
    /// 24-bit RGB (`ESC[38;2;r;g;bm`).
    case truecolor
    /// The xterm 256-colour palette (`ESC[38;5;nm`).
    case palette256 = "256"
    /// The 16 ANSI colours (`ESC[30–37m`, `ESC[90–97m`).
    case palette16 = "16"
    /// No colour escapes at all: glyphs only.
    case none
}

/// A size in pixels.
public struct PixelSize: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The cell size assumed when the terminal does not report one: a common 10×20 font cell.
    public static let defaultCell = PixelSize(width: 10, height: 20)
}

/// What the process knows about its terminal without asking it: environment variables and
/// whether the standard streams are terminals.
public struct TerminalEnvironment: Sendable, Hashable {
    public var term: String
    public var colorTerm: String
    public var termProgram: String
    /// `TMUX` is set (the process runs inside tmux).
    public var insideTmux: Bool
    /// `NO_COLOR` is set to a non-empty value (https://no-color.org).
    public var noColor: Bool
    /// The locale (`LC_ALL`, then `LC_CTYPE`, then `LANG`) names UTF-8.
    public var utf8Locale: Bool
    public var stdinIsTerminal: Bool
    public var stdoutIsTerminal: Bool
    /// `COLUMNS`, when set to a positive number.
    public var columns: Int?

    /// Reads the variables that matter from an environment dictionary.
    public init(environment: [String: String], stdinIsTerminal: Bool, stdoutIsTerminal: Bool) {
        term = environment["TERM"] ?? ""
        colorTerm = environment["COLORTERM"] ?? ""
        termProgram = environment["TERM_PROGRAM"] ?? ""
        insideTmux = !(environment["TMUX"] ?? "").isEmpty
        noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let locale = [environment["LC_ALL"], environment["LC_CTYPE"], environment["LANG"]]
            .compactMap { $0 }.first { !$0.isEmpty } ?? ""
        let normalisedLocale = locale.lowercased().replacingOccurrences(of: "-", with: "")
        utf8Locale = normalisedLocale.contains("utf8")
        self.stdinIsTerminal = stdinIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
        columns = environment["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Whether a terminal query may be sent: only when both ends are the terminal, so the
    /// reply can be read back and nothing is written into a pipe or file.
    public var mayQuery: Bool { stdinIsTerminal && stdoutIsTerminal }
}

/// What the terminal can display, as guessed from its environment and, when possible, its
/// replies to a short query. Every field can be overridden (``TerminalCapabilities/Overrides``).
public struct TerminalCapabilities: Sendable, Hashable {
    /// Colour escapes the terminal understands (``ColorMode/none`` for pipes and files).
    public var colors: ColorMode
    /// Whether sixel graphics can be shown.
    public var sixel: Bool
    /// Whether Unicode block, sextant and braille symbols can be shown.
    public var unicode: Bool
    /// The pixel size of one character cell, when known.
    public var cellPixelSize: PixelSize?
    /// Terminal width in columns, when known.
    public var columns: Int?
    /// Whether output goes to a terminal (escape codes allowed at all).
    public var isTerminal: Bool

    public init(colors: ColorMode, sixel: Bool, unicode: Bool, cellPixelSize: PixelSize?,
                columns: Int?, isTerminal: Bool) {
        self.colors = colors
        self.sixel = sixel
        self.unicode = unicode
        self.cellPixelSize = cellPixelSize
        self.columns = columns
        self.isTerminal = isTerminal
    }

    /// Explicit choices that replace any guess; `nil` keeps the guess.
    public struct Overrides: Sendable, Hashable {
        public var colors: ColorMode?
        public var sixel: Bool?
        public var unicode: Bool?
        public var cellPixelSize: PixelSize?
        public var columns: Int?

        public init(colors: ColorMode? = nil, sixel: Bool? = nil, unicode: Bool? = nil,
                    cellPixelSize: PixelSize? = nil, columns: Int? = nil) {
            self.colors = colors
            self.sixel = sixel
            self.unicode = unicode
            self.cellPixelSize = cellPixelSize
            self.columns = columns
        }
    }

    /// These capabilities with every non-nil override applied.
    public func applying(_ overrides: Overrides) -> TerminalCapabilities {
        var result = self
        if let colors = overrides.colors { result.colors = colors }
        if let sixel = overrides.sixel { result.sixel = sixel }
        if let unicode = overrides.unicode { result.unicode = unicode }
        if let cell = overrides.cellPixelSize { result.cellPixelSize = cell }
        if let columns = overrides.columns { result.columns = columns }
        return result
    }
}

/// The pure decisions: environment to capabilities, and terminal replies to facts.
///
/// Nothing here touches a file descriptor; ``TerminalQuery`` does the I/O and hands its bytes to
/// ``parseReplies(_:)``.
public enum CapabilityDetection {
    /// `TERM` values (prefixes) of terminals that render sixel without being asked.
    static let sixelTerms = ["mlterm", "yaft", "foot", "contour", "mintty"]
    /// `TERM_PROGRAM` values of terminals that render sixel.
    static let sixelPrograms = ["WezTerm", "mintty", "iTerm.app", "contour"]
    /// `TERM` values (prefixes) of terminals known to do 24-bit colour.
    static let truecolorTerms = ["xterm-kitty", "alacritty", "foot", "wezterm", "contour", "xterm-ghostty", "iterm2"]
    /// `TERM_PROGRAM` values of terminals known to do 24-bit colour.
    static let truecolorPrograms = ["iTerm.app", "WezTerm", "vscode", "Hyper", "ghostty"]

    /// Capabilities guessed from the environment alone.
    ///
    /// Rules, in order: output that is not a terminal gets no colour, no sixel and no query;
    /// `NO_COLOR` removes colour; `COLORTERM=truecolor|24bit`, a `-direct` TERM or a known
    /// terminal gives truecolor; a `256color` TERM gives 256; `dumb` or an empty TERM gives none;
    /// anything else 16. Sixel only for terminals known to have it, and never inside tmux or
    /// screen (they do not pass sixel through reliably). Unicode symbols need a UTF-8 locale
    /// and a TERM other than `linux`/`dumb`.
    public static func guess(from env: TerminalEnvironment) -> TerminalCapabilities {
        let term = env.term.lowercased()
        let multiplexed = env.insideTmux || term.hasPrefix("tmux") || term.hasPrefix("screen")
        let dumb = term.isEmpty || term == "dumb"

        var colors: ColorMode
        let colorTerm = env.colorTerm.lowercased()
        if dumb {
            colors = .none
        } else if colorTerm == "truecolor" || colorTerm == "24bit" || term.hasSuffix("-direct")
                    || truecolorTerms.contains(where: { term.hasPrefix($0) })
                    || truecolorPrograms.contains(env.termProgram) {
            colors = .truecolor
        } else if term.contains("256color") {
            colors = .palette256
        } else {
            colors = .palette16
        }
        if env.noColor { colors = .none }

        var sixel = !multiplexed && !dumb
            && (sixelTerms.contains(where: { term.hasPrefix($0) }) || sixelPrograms.contains(env.termProgram))
        let unicode = env.utf8Locale && !dumb && term != "linux"

        if !env.stdoutIsTerminal {
            colors = .none
            sixel = false
        }
        return TerminalCapabilities(colors: colors, sixel: sixel, unicode: unicode, cellPixelSize: nil,
                                    columns: env.columns, isTerminal: env.stdoutIsTerminal)
    }

    /// Facts read from the terminal's answers to ``TerminalQuery/request``.
    public struct Replies: Sendable, Hashable {
        /// Primary device attributes (the numbers after `ESC[?` in the DA1 reply), or nil.
        public var deviceAttributes: [Int]?
        /// Cell size from `ESC[6;h;wt` (reply to XTWINOPS 16).
        public var cellPixelSize: PixelSize?
        /// Text area size from `ESC[4;h;wt` (reply to XTWINOPS 14).
        public var windowPixelSize: PixelSize?

        public init(deviceAttributes: [Int]? = nil, cellPixelSize: PixelSize? = nil, windowPixelSize: PixelSize? = nil) {
            self.deviceAttributes = deviceAttributes
            self.cellPixelSize = cellPixelSize
            self.windowPixelSize = windowPixelSize
        }

        /// Whether DA1 lists attribute 4 (sixel graphics).
        public var reportsSixel: Bool { deviceAttributes?.contains(4) ?? false }
        /// Whether the DA1 reply has arrived (terminals answer in order, so later replies are in).
        public var isComplete: Bool { deviceAttributes != nil }
    }

    /// Parses every CSI reply in `bytes`, ignoring anything else (stray keystrokes, other
    /// replies, truncated sequences).
    public static func parseReplies(_ bytes: [UInt8]) -> Replies {
        var replies = Replies()
        var i = 0
        while i < bytes.count {
            // A CSI is ESC '[' or the 8-bit C1 introducer 0x9B.
            var start: Int?
            if bytes[i] == 0x1B, i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "[") {
                start = i + 2
            } else if bytes[i] == 0x9B {
                start = i + 1
            }
            guard var j = start else { i += 1; continue }
            let privateMarker = j < bytes.count && bytes[j] == UInt8(ascii: "?")
            if privateMarker { j += 1 }
            var parameters: [Int] = []
            var current: Int?
            var valid = true
            while j < bytes.count {
                let byte = bytes[j]
                if (0x30...0x39).contains(byte) {
                    current = min((current ?? 0) * 10 + Int(byte - 0x30), 1_000_000)
                } else if byte == UInt8(ascii: ";") {
                    parameters.append(current ?? 0)
                    current = nil
                } else {
                    break
                }
                j += 1
            }
            if let current { parameters.append(current) }
            guard j < bytes.count else { break }  // Truncated: nothing more to read.
            let final = bytes[j]
            if !(0x40...0x7E).contains(final) { valid = false }
            if valid {
                if final == UInt8(ascii: "c"), privateMarker {
                    replies.deviceAttributes = parameters
                } else if final == UInt8(ascii: "t"), !privateMarker, parameters.count == 3,
                          parameters[1] > 0, parameters[2] > 0 {
                    let size = PixelSize(width: parameters[2], height: parameters[1])
                    if parameters[0] == 6 { replies.cellPixelSize = size }
                    if parameters[0] == 4 { replies.windowPixelSize = size }
                }
            }
            i = j + 1
        }
        return replies
    }

    /// `guess` refined by the terminal's replies and its size in cells.
    ///
    /// DA1 attribute 4 turns sixel on (never inside tmux/screen, whose DA1 describes the
    /// multiplexer's own emulation); the cell size comes from XTWINOPS 16, else from the
    /// window size (XTWINOPS 14 or `TIOCGWINSZ` pixels) divided by the size in cells.
    ///
    /// - Parameters:
    ///   - guess: Capabilities from ``guess(from:)``.
    ///   - replies: Parsed replies, possibly empty when the terminal did not answer in time.
    ///   - windowCells: The terminal size in cells (columns, rows), when known.
    ///   - environment: The same environment the guess came from.
    public static func refine(_ guess: TerminalCapabilities, with replies: Replies,
                              windowCells: (columns: Int, rows: Int)?,
                              environment: TerminalEnvironment) -> TerminalCapabilities {
        var result = guess
        let term = environment.term.lowercased()
        let multiplexed = environment.insideTmux || term.hasPrefix("tmux") || term.hasPrefix("screen")
        if replies.reportsSixel && !multiplexed && environment.stdoutIsTerminal {
            result.sixel = true
        }
        if let cell = replies.cellPixelSize {
            result.cellPixelSize = cell
        } else if let window = replies.windowPixelSize, let cells = windowCells, cells.columns > 0, cells.rows > 0 {
            let cell = PixelSize(width: window.width / cells.columns, height: window.height / cells.rows)
            if cell.width > 0 && cell.height > 0 { result.cellPixelSize = cell }
        }
        if let cells = windowCells, cells.columns > 0, result.columns == nil {
            result.columns = cells.columns
        }
        return result
    }
}
