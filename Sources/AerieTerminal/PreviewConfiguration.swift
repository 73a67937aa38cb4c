import AerieImage

/// The mode a preview was asked for.
public enum PreviewMode: String, CaseIterable, Sendable {
    /// Sixel when the terminal has it, else Unicode symbols when the locale allows, else ASCII.
    case auto
    case symbols
    case ascii
    case sixel
}

/// What the user asked for; `nil` fields are decided from the terminal's capabilities.
public struct PreviewRequest: Sendable, Hashable {
    public var mode: PreviewMode
    public var symbols: SymbolSet?
    public var colors: ColorMode?
    public var dither: DitherMode?
    /// Width in columns, or nil for the terminal width (at most ``PreviewRequest/defaultMaximumColumns``).
    public var columns: Int?
    /// Height limit in rows, or nil for none.
    public var maximumRows: Int?

    public init(mode: PreviewMode = .auto, symbols: SymbolSet? = nil, colors: ColorMode? = nil,
                dither: DitherMode? = nil, columns: Int? = nil, maximumRows: Int? = nil) {
        self.mode = mode
        self.symbols = symbols
        self.colors = colors
        self.dither = dither
        self.columns = columns
        self.maximumRows = maximumRows
    }

    /// The width used when neither the request nor the terminal gives one.
    public static let defaultMaximumColumns = 80
}

/// The largest previews Aerie renders, whoever asks: `aerie preview` refuses options beyond
/// them (``validate(columns:mode:cell:)``), and ``CanvasConfiguration/decide(request:capabilities:imageSize:)``
/// clamps every canvas to them, so the browser's panes keep them too. Beyond them chafa aborts
/// allocating, sixel encoding runs for minutes, and pixel sizes overflow.
public enum PreviewLimits {
    /// Canvas width and height in character cells.
    public static let cells = 1...1000
    /// The longest side of a sixel image in pixels.
    public static let sixelPixels = 4096

    /// The widest sixel canvas, in columns, for cells of `cell` pixels.
    public static func sixelColumns(cell: PixelSize) -> Int { max(1, sixelPixels / max(1, cell.width)) }
    /// The tallest sixel canvas, in rows, for cells of `cell` pixels.
    public static func sixelRows(cell: PixelSize) -> Int { max(1, sixelPixels / max(1, cell.height)) }

    /// Why a requested width is refused.
    public enum Violation: Error, Equatable, Sendable, CustomStringConvertible {
        case columns(Int)
        case sixelWidth(columns: Int, cell: PixelSize, maximumColumns: Int)

        public var description: String {
            switch self {
            case let .columns(columns):
                "--width \(columns) is out of range: previews are \(cells.lowerBound) to \(cells.upperBound) columns wide"
            case let .sixelWidth(columns, cell, maximumColumns):
                "--width \(columns) with --mode sixel makes images wider than \(sixelPixels) pixels at \(cell.width)x\(cell.height)-pixel cells: use --width \(maximumColumns) or less"
            }
        }
    }

    /// Checks a requested width in columns against the limits, for `mode` at cells of `cell`.
    /// - Throws: ``Violation`` stating the allowed range.
    public static func validate(columns: Int, mode: PreviewMode, cell: PixelSize) throws(Violation) {
        guard cells.contains(columns) else { throw .columns(columns) }
        if mode == .sixel, columns > sixelColumns(cell: cell) {
            throw .sixelWidth(columns: columns, cell: cell, maximumColumns: sixelColumns(cell: cell))
        }
    }
}

/// The output a canvas produces.
public enum PreviewBackendKind: Sendable, Hashable {
    case symbols(SymbolSet)
    case sixel
}

/// The canvas configuration stage: everything the renderer needs, fully decided.
public struct CanvasConfiguration: Sendable, Hashable {
    public var backend: PreviewBackendKind
    /// Size of the canvas in character cells.
    public var columns: Int
    public var rows: Int
    /// Pixel size of one cell: sixel images are `columns × cell.width` by `rows × cell.height`
    /// pixels; for symbols it sets the cell aspect ratio.
    public var cellPixelSize: PixelSize
    public var colors: ColorMode
    public var dither: DitherMode

    public init(backend: PreviewBackendKind, columns: Int, rows: Int, cellPixelSize: PixelSize,
                colors: ColorMode, dither: DitherMode) {
        precondition(columns > 0 && rows > 0, "canvas needs a positive size, got \(columns)x\(rows)")
        precondition(cellPixelSize.width > 0 && cellPixelSize.height > 0, "cell pixel size must be positive")
        self.backend = backend
        self.columns = columns
        self.rows = rows
        self.cellPixelSize = cellPixelSize
        self.colors = colors
        self.dither = dither
    }

    /// The pixel size of a sixel rendering of this canvas.
    public var pixelSize: PixelSize {
        PixelSize(width: columns * cellPixelSize.width, height: rows * cellPixelSize.height)
    }

    /// Decides the configuration for an image of `imageSize` from the request and the
    /// terminal's capabilities (pure; the decision table is unit-tested).
    ///
    /// Explicit choices in `request` always win. An `auto` request picks sixel when the terminal
    /// has it, else symbols when it can show Unicode, else the ASCII ramp; symbols without
    /// colour default to the ASCII ramp too, since block shapes without colour carry little.
    /// The number of rows keeps the image's aspect ratio given the cell shape.
    public static func decide(request: PreviewRequest, capabilities: TerminalCapabilities,
                              imageSize: PixelSize) -> CanvasConfiguration {
        let colors = request.colors ?? capabilities.colors
        let backend: PreviewBackendKind
        switch request.mode {
        case .sixel:
            backend = .sixel
        case .ascii:
            backend = .symbols(.ascii)
        case .symbols:
            backend = .symbols(request.symbols ?? defaultSymbols(colors: colors, unicode: true))
        case .auto:
            if capabilities.sixel && request.symbols == nil {
                backend = .sixel
            } else if capabilities.unicode || request.symbols != nil {
                backend = .symbols(request.symbols ?? defaultSymbols(colors: colors, unicode: capabilities.unicode))
            } else {
                backend = .symbols(.ascii)
            }
        }
        let cell = capabilities.cellPixelSize ?? .defaultCell
        // Every canvas stays within PreviewLimits, whatever the request or terminal says.
        var maximumColumns = min(max(1, request.columns ?? min(capabilities.columns ?? defaultColumns, defaultColumns)),
                                 PreviewLimits.cells.upperBound)
        var maximumRows = min(request.maximumRows.map { max(1, $0) } ?? PreviewLimits.cells.upperBound, PreviewLimits.cells.upperBound)
        if backend == .sixel {
            maximumColumns = min(maximumColumns, PreviewLimits.sixelColumns(cell: cell))
            maximumRows = min(maximumRows, PreviewLimits.sixelRows(cell: cell))
        }
        let (columns, rows) = cellGeometry(imageSize: imageSize, maximumColumns: maximumColumns,
                                           maximumRows: maximumRows, cell: cell)
        return CanvasConfiguration(backend: backend, columns: columns, rows: rows, cellPixelSize: cell,
                                   colors: backend == .sixel ? .truecolor : colors,
                                   dither: request.dither ?? .none)
    }

    static let defaultColumns = PreviewRequest.defaultMaximumColumns

    static func defaultSymbols(colors: ColorMode, unicode: Bool) -> SymbolSet {
        (colors == .none || !unicode) ? .ascii : .half
    }

    /// The canvas size in cells that fits `imageSize` into `maximumColumns` (and
    /// `maximumRows`) keeping its aspect ratio, for cells of `cell` pixels.
    public static func cellGeometry(imageSize: PixelSize, maximumColumns: Int, maximumRows: Int?,
                                    cell: PixelSize) -> (columns: Int, rows: Int) {
        precondition(imageSize.width > 0 && imageSize.height > 0, "image size must be positive")
        let aspect = Double(imageSize.height) / Double(imageSize.width) * Double(cell.width) / Double(cell.height)
        var columns = max(1, maximumColumns)
        var rows = max(1, Int((Double(columns) * aspect).rounded()))
        if let maximumRows, maximumRows > 0, rows > maximumRows {
            rows = maximumRows
            columns = max(1, min(columns, Int((Double(rows) / aspect).rounded())))
        }
        return (columns, rows)
    }
}
