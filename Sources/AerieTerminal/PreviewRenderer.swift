import AerieImage
import CChafa

/// A rendered preview: cells to draw, or sixel bytes to write at the cursor.
public enum PreviewOutput: Sendable, Hashable {
    case cells(CellGrid)
    case sixel(SixelImage)

    /// Writes the preview for a plain terminal: cells as ANSI rows, sixel as its bytes followed
    /// by a newline (the cursor is left on the line below the image).
    public func write(indent: Int = 0, to sink: inout some ByteSink) throws {
        switch self {
        case let .cells(grid):
            try ANSIEncoder.write(grid, indent: indent, to: &sink)
        case let .sixel(image):
            if indent > 0 { try sink.write([UInt8](repeating: UInt8(ascii: " "), count: indent)) }
            try sink.write(image.bytes)
            try sink.write([UInt8(ascii: "\n")])
        }
    }
}

/// A sixel image: one DCS … ST sequence, to be written where the cursor is.
public struct SixelImage: Sendable, Hashable {
    /// The complete sequence, from `ESC P` to `ESC \`.
    public var bytes: [UInt8]
    /// Its size in pixels, from the sequence's raster attributes. Sixel data comes in bands of
    /// six rows, so this can be a few pixels less than the canvas (chafa rounds the height down
    /// to a whole band).
    public var pixelSize: PixelSize
    /// The cells it covers.
    public var columns: Int
    public var rows: Int

    /// The size declared by the raster attributes (`"Pan;Pad;Ph;Pv`) that follow the `q` which
    /// opens the sixel data, or nil when there are none.
    public static func rasterSize(of bytes: [UInt8]) -> PixelSize? {
        guard let q = bytes.firstIndex(of: UInt8(ascii: "q")), q + 1 < bytes.count,
              bytes[q + 1] == UInt8(ascii: "\"") else { return nil }
        var numbers: [Int] = []
        var current = 0
        var i = q + 2
        while i < bytes.count, numbers.count < 4 {
            let byte = bytes[i]
            if (0x30...0x39).contains(byte) {
                current = min(current * 10 + Int(byte - 0x30), 1_000_000)
            } else if byte == UInt8(ascii: ";") {
                numbers.append(current)
                current = 0
            } else {
                numbers.append(current)
                break
            }
            i += 1
        }
        guard numbers.count == 4, numbers[2] > 0, numbers[3] > 0 else { return nil }
        return PixelSize(width: numbers[2], height: numbers[3])
    }
}

/// A preview failed inside libchafa.
public enum PreviewError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A chafa object could not be created at `stage`.
    case chafaFailed(stage: String)

    public var description: String {
        switch self {
        case let .chafaFailed(stage): return "the terminal renderer (libchafa) failed while \(stage)"
        }
    }
}

/// Turns pixels into terminal output through libchafa: the last two stages of the pipeline
/// capabilities → ``CanvasConfiguration`` → pixels (``RGBAImage``) → ``PreviewOutput``.
///
/// Both backends share one canvas set-up; only the pixel mode and the way the result is read
/// back differ (cells through `chafa_canvas_get_char_at`/`get_colors_at`, sixel through
/// `chafa_canvas_print` with a term info that names a sixel terminal).
public enum PreviewRenderer {
    /// Renders `image` with `configuration`.
    ///
    /// - Throws: ``PreviewError`` when libchafa cannot create its objects.
    public static func render(_ image: RGBAImage, configuration: CanvasConfiguration) throws -> PreviewOutput {
        switch configuration.backend {
        case .symbols:
            return .cells(try renderCells(image, configuration: configuration))
        case .sixel:
            return .sixel(try renderSixel(image, configuration: configuration))
        }
    }

    /// Symbol backend: a grid of glyphs and colours, `configuration.columns` by `.rows` cells.
    ///
    /// - Precondition: `configuration.backend` is `.symbols`.
    public static func renderCells(_ image: RGBAImage, configuration: CanvasConfiguration) throws -> CellGrid {
        guard case let .symbols(symbols) = configuration.backend else {
            preconditionFailure("renderCells needs a symbols configuration, got \(configuration.backend)")
        }
        let canvas = try makeCanvas(image, configuration: configuration, pixelMode: CHAFA_PIXEL_MODE_SYMBOLS,
                                    symbols: symbols)
        defer { chafa_canvas_unref(canvas) }
        let mode = configuration.colors
        var cells: [Cell] = []
        cells.reserveCapacity(configuration.columns * configuration.rows)
        for y in 0..<configuration.rows {
            for x in 0..<configuration.columns {
                let code = chafa_canvas_get_char_at(canvas, Int32(x), Int32(y))
                let glyph = Unicode.Scalar(code).map(Character.init) ?? " "
                var foreground = CellColor.none
                var background = CellColor.none
                var fg: Int32 = -1
                var bg: Int32 = -1
                switch mode {
                case .truecolor:
                    chafa_canvas_get_colors_at(canvas, Int32(x), Int32(y), &fg, &bg)
                    foreground = packedRGB(fg)
                    background = packedRGB(bg)
                case .palette256, .palette16:
                    chafa_canvas_get_raw_colors_at(canvas, Int32(x), Int32(y), &fg, &bg)
                    let limit: Int32 = mode == .palette256 ? 255 : 15
                    foreground = (0...limit).contains(fg) ? .palette(UInt8(fg)) : .none
                    background = (0...limit).contains(bg) ? .palette(UInt8(bg)) : .none
                case .none:
                    break
                }
                cells.append(Cell(glyph: glyph, foreground: foreground, background: background))
            }
        }
        return CellGrid(columns: configuration.columns, rows: configuration.rows, colorMode: mode, cells: cells)
    }

    /// Sixel backend: the DCS sequence for the canvas's pixel size.
    public static func renderSixel(_ image: RGBAImage, configuration: CanvasConfiguration) throws -> SixelImage {
        let canvas = try makeCanvas(image, configuration: configuration, pixelMode: CHAFA_PIXEL_MODE_SIXELS,
                                    symbols: .half)
        defer { chafa_canvas_unref(canvas) }
        guard let termInfo = sixelTermInfo() else { throw PreviewError.chafaFailed(stage: "creating sixel term info") }
        defer { chafa_term_info_unref(termInfo) }
        guard let printed = chafa_canvas_print(canvas, termInfo) else {
            throw PreviewError.chafaFailed(stage: "printing sixels")
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: printed.pointee.str, count: Int(printed.pointee.len)))
        g_string_free(printed, 1)
        return SixelImage(bytes: bytes, pixelSize: SixelImage.rasterSize(of: bytes) ?? configuration.pixelSize,
                          columns: configuration.columns, rows: configuration.rows)
    }

    /// The shared canvas stage. The caller unrefs the canvas.
    static func makeCanvas(_ image: RGBAImage, configuration: CanvasConfiguration, pixelMode: ChafaPixelMode,
                           symbols: SymbolSet) throws -> OpaquePointer {
        guard let config = chafa_canvas_config_new() else { throw PreviewError.chafaFailed(stage: "creating a canvas configuration") }
        defer { chafa_canvas_config_unref(config) }
        chafa_canvas_config_set_geometry(config, Int32(configuration.columns), Int32(configuration.rows))
        chafa_canvas_config_set_cell_geometry(config, Int32(configuration.cellPixelSize.width),
                                              Int32(configuration.cellPixelSize.height))
        chafa_canvas_config_set_pixel_mode(config, pixelMode)
        let canvasMode = ColorMode.chafaCanvasModes[configuration.colors] ?? CHAFA_CANVAS_MODE_TRUECOLOR
        chafa_canvas_config_set_canvas_mode(config, canvasMode)
        chafa_canvas_config_set_dither_mode(config, DitherMode.chafaModes[configuration.dither] ?? CHAFA_DITHER_MODE_NONE)
        guard let map = symbols.makeChafaSymbolMap() else { throw PreviewError.chafaFailed(stage: "building the symbol map") }
        defer { chafa_symbol_map_unref(map) }
        chafa_canvas_config_set_symbol_map(config, map)
        guard let canvas = chafa_canvas_new(config) else { throw PreviewError.chafaFailed(stage: "creating the canvas") }
        image.pixels.withUnsafeBufferPointer { pixels in
            chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, pixels.baseAddress,
                                         Int32(image.width), Int32(image.height), Int32(image.width * 4))
        }
        return canvas
    }

    /// A term info whose sequences are those of a sixel terminal, so `chafa_canvas_print`
    /// emits sixel instead of symbols. It comes from chafa's database entry for mlterm (a
    /// sixel terminal), detected from a synthetic environment rather than the real one: the
    /// decision to use sixel was made by the capabilities stage.
    static func sixelTermInfo() -> OpaquePointer? {
        guard let database = chafa_term_db_get_default() else { return nil }
        let entries = ["TERM=mlterm"]
        var cStrings: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) }
        cStrings.append(nil)
        defer { for pointer in cStrings { free(pointer) } }
        return cStrings.withUnsafeMutableBufferPointer { buffer in
            chafa_term_db_detect(database, buffer.baseAddress)
        }
    }

    /// Chafa's packed `0xRRGGBB` (negative for transparent) as a cell colour.
    static func packedRGB(_ packed: Int32) -> CellColor {
        guard packed >= 0 else { return .none }
        return .rgb(UInt8((packed >> 16) & 0xFF), UInt8((packed >> 8) & 0xFF), UInt8(packed & 0xFF))
    }
}
