import AerieImage
import Testing
@testable import AerieTerminal

/// Largest difference, in 8-bit levels, allowed between a cell's colour and the mean of the
/// pixels it covers. Chafa averages each cell region on a resampled copy of the image, so a
/// smooth gradient lands within a few levels of the exact mean; 10 levels (4 %) leaves room
/// for resampling at region edges without letting a wrong cell (tens of levels off) pass.
private let colorTolerance = 10

/// The colours a half-block cell shows in its top and bottom halves.
private func halves(_ cell: Cell) -> (top: (r: UInt8, g: UInt8, b: UInt8)?, bottom: (r: UInt8, g: UInt8, b: UInt8)?) {
    let fg = cell.foreground.rgbValue
    let bg = cell.background.rgbValue
    switch cell.glyph {
    case "▀": return (fg, bg)
    case "▄": return (bg, fg)
    case "█": return (fg, fg)
    case " ": return (bg, bg)
    default:
        Issue.record("unexpected glyph \(cell.glyph) in a half-block preview")
        return (nil, nil)
    }
}

private func configuration(columns: Int, rows: Int, colors: ColorMode, symbols: SymbolSet = .half) -> CanvasConfiguration {
    CanvasConfiguration(backend: .symbols(symbols), columns: columns, rows: rows,
                        cellPixelSize: PixelSize(width: 10, height: 20), colors: colors, dither: .none)
}

private func grey(_ value: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
    let v = UInt8(max(0, min(255, value)))
    return (v, v, v, 255)
}

/// An image whose grey level rises from 0 at the left edge to 255 at the right edge.
private func horizontalGradient(width: Int, height: Int) -> RGBAImage {
    var image = RGBAImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width { image[x, y] = grey(x * 255 / (width - 1)) }
    }
    return image
}

/// Mean grey of columns `x0..<x1`, rows `y0..<y1` of a grey image.
private func meanGrey(_ image: RGBAImage, _ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> Int {
    var sum = 0
    for y in y0..<y1 { for x in x0..<x1 { sum += Int(image[x, y].r) } }
    return sum / ((x1 - x0) * (y1 - y0))
}

@Suite("Symbol previews")
struct SymbolPreviewTests {
    @Test("a solid image gives every cell its colour", arguments: [ColorMode.truecolor, .palette256, .palette16])
    func solid(colors: ColorMode) throws {
        // Pure red is in every palette (16: index 9, 256: index 9 or 196).
        let image = RGBAImage(width: 40, height: 40, fill: (255, 0, 0, 255))
        let grid = try PreviewRenderer.renderCells(image, configuration: configuration(columns: 8, rows: 4, colors: colors))
        #expect(grid.columns == 8 && grid.rows == 4)
        for y in 0..<grid.rows {
            for x in 0..<grid.columns {
                let (top, bottom) = halves(grid[x, y])
                for half in [top, bottom] {
                    #expect(half.map { $0.r == 255 && $0.g == 0 && $0.b == 0 } == true,
                            "cell \(x),\(y): \(grid[x, y])")
                }
            }
        }
    }

    @Test("a horizontal gradient rises cell by cell, each cell near its region's mean")
    func horizontal() throws {
        let image = horizontalGradient(width: 160, height: 40)
        let grid = try PreviewRenderer.renderCells(image, configuration: configuration(columns: 16, rows: 2, colors: .truecolor))
        for y in 0..<grid.rows {
            var previous = -1
            for x in 0..<grid.columns {
                let (top, bottom) = halves(grid[x, y])
                guard let top, let bottom else { continue }
                let expected = meanGrey(image, x * 10, x * 10 + 10, 0, 40)
                for half in [top, bottom] {
                    #expect(abs(Int(half.r) - expected) <= colorTolerance, "cell \(x),\(y): \(half.r) vs \(expected)")
                    #expect(half.r == half.g && half.g == half.b, "grey stays grey at \(x),\(y)")
                }
                #expect(Int(top.r) >= previous, "monotonic at \(x),\(y)")
                previous = Int(top.r)
            }
        }
    }

    @Test("a vertical gradient resolves two pixels per half-block cell")
    func vertical() throws {
        var image = RGBAImage(width: 40, height: 80)
        for y in 0..<80 { for x in 0..<40 { image[x, y] = grey(y * 255 / 79) } }
        // 4 columns of 10x20-pixel cells cover 40x80 pixels in 4 rows; each half covers 10 rows.
        let grid = try PreviewRenderer.renderCells(image, configuration: configuration(columns: 4, rows: 4, colors: .truecolor))
        for y in 0..<4 {
            for x in 0..<4 {
                let (top, bottom) = halves(grid[x, y])
                guard let top, let bottom else { continue }
                let expectedTop = meanGrey(image, 0, 40, y * 20, y * 20 + 10)
                let expectedBottom = meanGrey(image, 0, 40, y * 20 + 10, y * 20 + 20)
                #expect(abs(Int(top.r) - expectedTop) <= colorTolerance, "top \(x),\(y): \(top.r) vs \(expectedTop)")
                #expect(abs(Int(bottom.r) - expectedBottom) <= colorTolerance, "bottom \(x),\(y): \(bottom.r) vs \(expectedBottom)")
            }
        }
    }

    @Test("ASCII without colour: black is blank, white is the densest ramp glyph, a gradient climbs the ramp")
    func asciiRamp() throws {
        let config = configuration(columns: 10, rows: 2, colors: .none, symbols: .ascii)
        let black = try PreviewRenderer.renderCells(RGBAImage(width: 20, height: 20, fill: (0, 0, 0, 255)),
                                                    configuration: config)
        #expect(black.cells.allSatisfy { $0.glyph == " " && $0.foreground == .none && $0.background == .none })
        let white = try PreviewRenderer.renderCells(RGBAImage(width: 20, height: 20, fill: (255, 255, 255, 255)),
                                                    configuration: config)
        #expect(white.cells.allSatisfy { $0.glyph != " " && SymbolSet.asciiRamp.contains($0.glyph) })

        let gradient = try PreviewRenderer.renderCells(horizontalGradient(width: 200, height: 40),
                                                       configuration: config)
        for y in 0..<gradient.rows {
            let glyphs = gradient.row(y).map(\.glyph)
            #expect(glyphs.allSatisfy { SymbolSet.asciiRamp.contains($0) }, "\(glyphs)")
            #expect(glyphs.first == " ", "left edge is dark: \(glyphs)")
            #expect(glyphs.last != " ", "right edge is bright: \(glyphs)")
        }
    }

    @Test("every symbol set draws only its own glyphs", arguments: SymbolSet.allCases)
    func symbolSets(_ set: SymbolSet) throws {
        let grid = try PreviewRenderer.renderCells(horizontalGradient(width: 64, height: 64),
                                                   configuration: configuration(columns: 8, rows: 4, colors: .truecolor, symbols: set))
        for cell in grid.cells {
            let scalar = cell.glyph.unicodeScalars.first?.value ?? 0
            let allowed: Bool
            switch set {
            case .half: allowed = [" ", "▀", "▄", "█"].contains(cell.glyph)
            case .quad: allowed = cell.glyph == " " || (0x2580...0x259F).contains(scalar)
            case .sextant: allowed = cell.glyph == " " || (0x2580...0x259F).contains(scalar) || (0x1FB00...0x1FB3B).contains(scalar)
            case .braille: allowed = cell.glyph == " " || (0x2800...0x28FF).contains(scalar)
            case .ascii: allowed = SymbolSet.asciiRamp.contains(cell.glyph)
            }
            #expect(allowed, "\(set): unexpected glyph U+\(String(scalar, radix: 16))")
            #expect(TerminalText.displayWidth(cell.glyph) == 1)
        }
    }

    @Test("cells serialise to exact ANSI bytes; no colour means no escape at all")
    func ansiBytes() throws {
        let cells = [
            Cell(glyph: "▀", foreground: .rgb(255, 0, 0), background: .rgb(0, 0, 255)),
            Cell(glyph: "▀", foreground: .rgb(255, 0, 0), background: .rgb(0, 0, 255)),
            Cell(glyph: "▄", foreground: .rgb(1, 2, 3), background: .rgb(0, 0, 255)),
        ]
        let truecolor = CellGrid(columns: 3, rows: 1, colorMode: .truecolor, cells: cells)
        #expect(String(decoding: ANSIEncoder.rowBytes(truecolor, 0), as: UTF8.self)
                == "\u{1B}[38;2;255;0;0;48;2;0;0;255m▀▀\u{1B}[38;2;1;2;3m▄\u{1B}[0m")

        let palette16 = CellGrid(columns: 2, rows: 1, colorMode: .palette16, cells: [
            Cell(glyph: "▀", foreground: .palette(9), background: .palette(4)),
            Cell(glyph: " ", foreground: .palette(9), background: .none),
        ])
        #expect(String(decoding: ANSIEncoder.rowBytes(palette16, 0), as: UTF8.self)
                == "\u{1B}[91;44m▀\u{1B}[49m \u{1B}[0m")

        let palette256 = CellGrid(columns: 1, rows: 1, colorMode: .palette256,
                                  cells: [Cell(glyph: "▄", foreground: .palette(196), background: .palette(3))])
        #expect(String(decoding: ANSIEncoder.rowBytes(palette256, 0), as: UTF8.self)
                == "\u{1B}[38;5;196;48;5;3m▄\u{1B}[0m")

        let plain = CellGrid(columns: 2, rows: 2, colorMode: .none,
                             cells: [Cell(glyph: "@", foreground: .none, background: .none),
                                     Cell(glyph: "\u{1B}", foreground: .none, background: .none),
                                     Cell(glyph: ".", foreground: .none, background: .none),
                                     Cell(glyph: " ", foreground: .none, background: .none)])
        var sink = ByteBuffer()
        try ANSIEncoder.write(plain, indent: 1, to: &sink)
        #expect(sink.text == " @ \n . \n")
        #expect(!sink.bytes.contains(0x1B))
    }

    @Test("the xterm palette table")
    func palette() {
        #expect(XtermPalette.rgb(9) == (255, 0, 0))
        #expect(XtermPalette.rgb(196) == (255, 0, 0))
        #expect(XtermPalette.rgb(16) == (0, 0, 0))
        #expect(XtermPalette.rgb(231) == (255, 255, 255))
        #expect(XtermPalette.rgb(232) == (8, 8, 8))
        #expect(XtermPalette.rgb(255) == (238, 238, 238))
    }
}
