import AerieImage
import Testing
import AerieTerminal

private func grid(_ glyph: Character, columns: Int, rows: Int) -> CellGrid {
    CellGrid(columns: columns, rows: rows, colorMode: .none,
             cells: Array(repeating: Cell(glyph: glyph, foreground: .none, background: .none), count: columns * rows))
}

@Suite("Contact sheet")
struct ContactSheetTests {
    @Test("layout: tiles share the width, square in pixels")
    func layout() {
        let sheet = ContactSheet(totalWidth: 80, tilesPerRow: nil, cell: PixelSize(width: 10, height: 20))
        #expect(sheet.tilesPerRow == 3)          // (80 + 2) / (24 + 2)
        #expect(sheet.tileColumns == 25)         // (80 - 2·2) / 3
        #expect(sheet.tileRows == 13)            // 25 · 10/20, rounded
        let two = ContactSheet(totalWidth: 41, tilesPerRow: 2, cell: PixelSize(width: 8, height: 16), gap: 1)
        #expect(two.tileColumns == 20 && two.tileRows == 10)
    }

    @Test("a symbol row is drawn line by line, tiles padded, captions cut to the tile")
    func symbolRow() throws {
        let sheet = ContactSheet(totalWidth: 9, tilesPerRow: 2, cell: PixelSize(width: 10, height: 20), gap: 1)
        #expect(sheet.tileColumns == 4)
        var sink = ByteBuffer()
        try sheet.writeSymbolRow([(grid("a", columns: 3, rows: 2), "first.png"),
                                  (grid("b", columns: 4, rows: 1), "机场")], to: &sink)
        #expect(sink.text == """
            aaa  bbbb
            aaa
            fir… 机场


            """)
    }

    @Test("a sixel row pastes each image at its tile's left edge")
    func compositeRow() {
        let cell = PixelSize(width: 2, height: 4)
        let sheet = ContactSheet(totalWidth: 10, tilesPerRow: 2, cell: cell, gap: 2)
        #expect(sheet.tileColumns == 4 && sheet.tileRows == 2)
        let red = RGBAImage(width: 8, height: 8, fill: (255, 0, 0, 255))
        let green = RGBAImage(width: 8, height: 8, fill: (0, 255, 0, 255))
        let (picture, columns) = sheet.compositeRow([red, green])
        #expect(columns == 10)
        #expect(picture.width == 20 && picture.height == 8)
        #expect(picture[0, 0] == (255, 0, 0, 255))
        #expect(picture[7, 7] == (255, 0, 0, 255))
        #expect(picture[9, 0] == (0, 0, 0, 255))     // gap
        #expect(picture[12, 0] == (0, 255, 0, 255))  // second tile starts at (4 + 2) · 2
        #expect(picture[19, 7] == (0, 255, 0, 255))
    }
}
