/// The colour of one side (foreground or background) of a character cell.
public enum CellColor: Sendable, Hashable {
    /// The terminal's default colour (no colour escape).
    case none
    /// A 24-bit colour.
    case rgb(UInt8, UInt8, UInt8)
    /// An index into the xterm palette: 0–15 in 16-colour mode, 0–255 in 256-colour mode.
    case palette(UInt8)

    /// The colour as RGB: palette entries through ``XtermPalette``, `none` as `nil`.
    public var rgbValue: (r: UInt8, g: UInt8, b: UInt8)? {
        switch self {
        case .none: return nil
        case let .rgb(r, g, b): return (r, g, b)
        case let .palette(index): return XtermPalette.rgb(index)
        }
    }
}

/// One character cell of a symbol preview: a glyph drawn in the foreground colour over the
/// background colour.
public struct Cell: Sendable, Hashable {
    /// One grapheme, one cell wide.
    public var glyph: Character
    public var foreground: CellColor
    public var background: CellColor

    public init(glyph: Character, foreground: CellColor, background: CellColor) {
        self.glyph = glyph
        self.foreground = foreground
        self.background = background
    }
}

/// A symbol preview as data: `rows` rows of `columns` cells, row-major.
///
/// The ncurses UI draws it into its own windows; ``ANSIEncoder`` turns it into escape bytes
/// for a plain terminal.
public struct CellGrid: Sendable, Hashable {
    public let columns: Int
    public let rows: Int
    /// The colour mode the cells' colours are in.
    public let colorMode: ColorMode
    /// `columns * rows` cells, left to right, top to bottom.
    public private(set) var cells: [Cell]

    /// - Precondition: `cells.count == columns * rows`, both positive.
    public init(columns: Int, rows: Int, colorMode: ColorMode, cells: [Cell]) {
        precondition(columns > 0 && rows > 0, "a cell grid needs a positive size, got \(columns)x\(rows)")
        precondition(cells.count == columns * rows, "expected \(columns * rows) cells, got \(cells.count)")
        self.columns = columns
        self.rows = rows
        self.colorMode = colorMode
        self.cells = cells
    }

    /// The cell at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * columns + x] }
        set { cells[y * columns + x] = newValue }
    }

    /// One row's cells.
    public func row(_ y: Int) -> ArraySlice<Cell> {
        cells[(y * columns)..<((y + 1) * columns)]
    }
}

/// The xterm 256-colour palette, as data: the 16 system colours (xterm's defaults), the 6×6×6
/// colour cube and the 24-step grey ramp.
public enum XtermPalette {
    /// xterm's default system colours 0–15.
    public static let system: [(r: UInt8, g: UInt8, b: UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
    /// The six intensity levels of each axis of the colour cube (indices 16–231).
    public static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of palette entry `index`.
    public static func rgb(_ index: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = Int(index)
        if i < 16 { return system[i] }
        if i < 232 {
            let c = i - 16
            return (cubeLevels[c / 36], cubeLevels[(c / 6) % 6], cubeLevels[c % 6])
        }
        let grey = UInt8(8 + 10 * (i - 232))
        return (grey, grey, grey)
    }
}
