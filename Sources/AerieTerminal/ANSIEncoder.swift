/// Serialises a ``CellGrid`` to ANSI escape bytes for a plain terminal.
///
/// Each row is written as its glyphs with SGR colour changes only where the colour changes,
/// then a reset (`ESC[0m`) and a newline, so the terminal's colours are never left altered. A
/// grid in ``ColorMode/none`` produces glyphs and newlines only, with no escape byte at all.
public enum ANSIEncoder {
    /// The SGR reset sequence.
    public static let reset: [UInt8] = Array("\u{1B}[0m".utf8)

    /// Writes every row of `grid`, each followed by a newline.
    ///
    /// - Parameters:
    ///   - grid: The cells to write.
    ///   - indent: Spaces written before each row (for captions and contact sheets).
    ///   - sink: Where the bytes go.
    public static func write(_ grid: CellGrid, indent: Int = 0, to sink: inout some ByteSink) throws {
        for y in 0..<grid.rows {
            var line: [UInt8] = Array(repeating: UInt8(ascii: " "), count: max(0, indent))
            appendRow(grid, y, to: &line)
            line.append(UInt8(ascii: "\n"))
            try sink.write(line)
        }
    }

    /// The bytes of row `y` of `grid` (no newline): glyphs, colour changes, and a final reset
    /// when any colour was set.
    public static func rowBytes(_ grid: CellGrid, _ y: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        appendRow(grid, y, to: &bytes)
        return bytes
    }

    static func appendRow(_ grid: CellGrid, _ y: Int, to bytes: inout [UInt8]) {
        var currentForeground = CellColor.none
        var currentBackground = CellColor.none
        var coloured = false
        for cell in grid.row(y) {
            if grid.colorMode != .none {
                var parameters: [String] = []
                if cell.foreground != currentForeground {
                    parameters.append(sgr(cell.foreground, foreground: true, mode: grid.colorMode))
                    currentForeground = cell.foreground
                }
                if cell.background != currentBackground {
                    parameters.append(sgr(cell.background, foreground: false, mode: grid.colorMode))
                    currentBackground = cell.background
                }
                if !parameters.isEmpty {
                    bytes.append(contentsOf: Array("\u{1B}[\(parameters.joined(separator: ";"))m".utf8))
                    coloured = true
                }
            }
            bytes.append(contentsOf: Array(safeGlyph(cell.glyph).utf8))
        }
        if coloured { bytes.append(contentsOf: reset) }
    }

    /// The SGR parameters selecting `color` as foreground or background.
    static func sgr(_ color: CellColor, foreground: Bool, mode: ColorMode) -> String {
        switch color {
        case .none:
            return foreground ? "39" : "49"
        case let .rgb(r, g, b):
            return "\(foreground ? 38 : 48);2;\(r);\(g);\(b)"
        case let .palette(index):
            if mode == .palette16 || (mode != .palette256 && index < 16) {
                let base = index < 8 ? (foreground ? 30 : 40) : (foreground ? 90 : 100)
                return "\(base + Int(index % 8))"
            }
            return "\(foreground ? 38 : 48);5;\(index)"
        }
    }

    /// `glyph`, or a space if it could act on the terminal (glyphs come from chafa's symbol
    /// tables, so this is a guard, not an expected path).
    static func safeGlyph(_ glyph: Character) -> String {
        glyph.unicodeScalars.contains(where: TerminalText.isNeutralised) ? " " : String(glyph)
    }
}
