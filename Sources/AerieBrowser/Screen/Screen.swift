import AerieTerminal

/// Text attributes of a cell.
public struct CellAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = CellAttributes(rawValue: 1 << 0)
    public static let dim = CellAttributes(rawValue: 1 << 1)
    public static let underline = CellAttributes(rawValue: 1 << 2)
    public static let reverse = CellAttributes(rawValue: 1 << 3)
}

/// How text is drawn: foreground, background and attributes.
public struct CellStyle: Hashable, Sendable {
    public var foreground: CellColor
    public var background: CellColor
    public var attributes: CellAttributes

    public init(
        foreground: CellColor = .none,
        background: CellColor = .none,
        attributes: CellAttributes = []
    ) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = CellStyle()
}

/// One cell of the screen buffer: a grapheme, how many columns it covers, and its style.
///
/// A wide grapheme (width 2) sits in its first cell; the cell to its right is a continuation
/// (`width == 0`, empty glyph) that the runtime never writes.
public struct ScreenCell: Hashable, Sendable {
    public var glyph: String
    public var width: UInt8
    public var style: CellStyle

    public init(glyph: String, width: UInt8 = 1, style: CellStyle = .plain) {
        self.glyph = glyph
        self.width = width
        self.style = style
    }

    public static let blank = ScreenCell(glyph: " ")

    /// Whether this cell is the right half of a wide grapheme.
    public var isContinuation: Bool { width == 0 }
}

/// A width and height in terminal cells.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }
    public var description: String { "\(width)×\(height)" }
}

/// A rectangle of cells: origin at the top left, `x` to the right, `y` down.
public struct Rect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// The rectangle shrunk by `dx` columns on each side and `dy` rows on top and bottom.
    public func inset(dx: Int, dy: Int) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// Row `i` of this rectangle as a one-row rectangle.
    public func row(_ i: Int) -> Rect { Rect(x: x, y: y + i, width: width, height: 1) }

    /// Splits off the top `rows` rows: (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }

    /// Splits off the left `columns` columns: (left, rest).
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let c = min(max(0, columns), width)
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }
}

/// Bytes of a sixel image to be drawn over a rectangle of the screen after the cells.
public struct SixelPlacement: Hashable, Sendable {
    public var area: Rect
    public var bytes: [UInt8]
    public init(area: Rect, bytes: [UInt8]) {
        self.area = area
        self.bytes = bytes
    }
}

/// A frame: a grid of cells the runtime diffs against the previous frame, plus sixel overlays
/// and where the terminal cursor should sit.
public struct Screen: Hashable, Sendable {
    public private(set) var size: Size
    public private(set) var cells: [ScreenCell]
    /// Sixel images the runtime writes after drawing the cells (their cells are left blank).
    public var sixels: [SixelPlacement] = []
    /// Where the terminal's cursor is shown, or `nil` to hide it.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set {
            cursorX = newValue?.x
            cursorY = newValue?.y ?? 0
        }
    }
    private var cursorX: Int?
    private var cursorY: Int = 0

    public init(size: Size) {
        self.size = size
        self.cells = Array(repeating: .blank, count: size.width * size.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: size.width, height: size.height) }

    /// The cell at column `x`, row `y` (which must be on the screen).
    public subscript(x: Int, y: Int) -> ScreenCell {
        get {
            precondition(x >= 0 && x < size.width && y >= 0 && y < size.height, "cell (\(x),\(y)) outside \(size)")
            return cells[y * size.width + x]
        }
        set {
            precondition(x >= 0 && x < size.width && y >= 0 && y < size.height, "cell (\(x),\(y)) outside \(size)")
            cells[y * size.width + x] = newValue
        }
    }

    /// Fills `area` (clipped to the screen) with blanks in `style`.
    public mutating func fill(_ area: Rect, style: CellStyle = .plain, glyph: String = " ") {
        let clipped = clip(area)
        for y in clipped.y..<clipped.maxY {
            for x in clipped.x..<clipped.maxX {
                self[x, y] = ScreenCell(glyph: glyph, width: 1, style: style)
            }
        }
    }

    /// Writes `text` from (`x`, `y`), no further than `limit` columns (and the screen's edge).
    ///
    /// The text must already be sanitized (the view does that). A wide grapheme that would cross
    /// the limit is replaced by a space, so a cell is never half a character.
    /// - Returns: the number of columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, limit: Int? = nil, style: CellStyle = .plain) -> Int {
        guard y >= 0, y < size.height, x < size.width else { return 0 }
        let end = min(size.width, limit.map { x + max(0, $0) } ?? size.width)
        var column = x
        for (glyph, w) in Screen.cells(of: text) {
            if column + w > end {
                if column < end, column >= 0 { self[column, y] = ScreenCell(glyph: " ", width: 1, style: style) }
                column = end
                break
            }
            if column >= 0 {
                self[column, y] = ScreenCell(glyph: glyph, width: UInt8(w), style: style)
                if w == 2 { self[column + 1, y] = ScreenCell(glyph: "", width: 0, style: style) }
            }
            column += w
        }
        return column - x
    }

    /// Copies a symbol preview (AerieTerminal's cell grid, one-cell glyphs) into `area`, clipped.
    public mutating func blit(_ grid: CellGrid, at origin: (x: Int, y: Int), within area: Rect) {
        for gy in 0..<grid.rows {
            let y = origin.y + gy
            guard y >= area.y, y < area.maxY, y >= 0, y < size.height else { continue }
            for gx in 0..<grid.columns {
                let x = origin.x + gx
                guard x >= area.x, x < area.maxX, x >= 0, x < size.width else { continue }
                let cell = grid[gx, gy]
                let glyph = TerminalText.sanitize(String(cell.glyph))
                let ok = TerminalText.displayWidth(glyph) == 1
                self[x, y] = ScreenCell(glyph: ok ? glyph : " ", width: 1,
                                        style: CellStyle(foreground: cell.foreground, background: cell.background))
            }
        }
    }

    /// Splits sanitized text into cells the way a terminal advances its cursor: a grapheme of
    /// width 1 or 2 whose other scalars take no room is one cell; anything else (an emoji ZWJ
    /// sequence, which wcwidth counts per component) is drawn scalar by scalar. Zero-width
    /// graphemes are dropped.
    static func cells(of text: String) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for grapheme in text {
            let scalars = grapheme.unicodeScalars
            let first = scalars.first.map { TerminalText.displayWidth($0) } ?? 0
            let total = TerminalText.displayWidth(grapheme)
            if first > 0 && total == first {
                out.append((String(grapheme), first))
            } else {
                for scalar in scalars {
                    let w = TerminalText.displayWidth(scalar)
                    if w > 0 { out.append((String(scalar), w)) }
                }
            }
        }
        return out
    }

    /// Drops every colour, keeping attributes (for `NO_COLOR`).
    public mutating func removeColors() {
        for i in cells.indices {
            cells[i].style.foreground = .none
            cells[i].style.background = .none
        }
    }

    /// The rectangle clipped to the screen.
    public func clip(_ area: Rect) -> Rect {
        let x0 = max(0, area.x), y0 = max(0, area.y)
        let x1 = min(size.width, area.maxX), y1 = min(size.height, area.maxY)
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The screen as plain text, one string per row, trailing spaces kept (golden files use this).
    public var lines: [String] {
        (0..<size.height).map { y in
            var line = ""
            for x in 0..<size.width {
                let cell = self[x, y]
                if !cell.isContinuation { line += cell.glyph }
            }
            return line
        }
    }

    public static func == (a: Screen, b: Screen) -> Bool {
        a.size == b.size && a.cells == b.cells && a.sixels == b.sixels && a.cursorX == b.cursorX
            && a.cursorY == b.cursorY
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(size)
        hasher.combine(cells)
    }
}
