import AerieImage

/// A contact sheet: previews laid out in rows of equal tiles, each with a caption underneath.
///
/// Symbol tiles are composed cell row by cell row. Sixel tiles are pasted into one image per
/// sheet row and encoded as a single sixel, because terminals disagree on where the cursor
/// goes after a sixel image, so side-by-side sixels cannot be placed portably.
public struct ContactSheet: Sendable, Hashable {
    /// Tiles per sheet row.
    public var tilesPerRow: Int
    /// Tile size in cells.
    public var tileColumns: Int
    public var tileRows: Int
    /// Blank columns between tiles.
    public var gap: Int
    /// Pixel size of one cell.
    public var cell: PixelSize

    /// The default gap between tiles, in columns.
    public static let defaultGap = 2
    /// The narrowest tile chosen when the number of tiles per row is not given.
    public static let preferredTileColumns = 24

    /// A sheet `totalWidth` columns wide with `tilesPerRow` tiles (or as many
    /// ``preferredTileColumns``-wide tiles as fit), whose tiles are square in pixels.
    public init(totalWidth: Int, tilesPerRow: Int?, cell: PixelSize, gap: Int = defaultGap) {
        precondition(totalWidth > 0, "sheet width must be positive")
        let perRow = max(1, tilesPerRow ?? ((totalWidth + gap) / (Self.preferredTileColumns + gap)))
        self.tilesPerRow = perRow
        self.gap = gap
        self.tileColumns = max(2, (totalWidth - gap * (perRow - 1)) / perRow)
        self.tileRows = max(1, Int((Double(tileColumns) * Double(cell.width) / Double(cell.height)).rounded()))
        self.cell = cell
    }

    /// The canvas size in cells for an image placed in one tile.
    public func tileGeometry(for imageSize: PixelSize) -> (columns: Int, rows: Int) {
        CanvasConfiguration.cellGeometry(imageSize: imageSize, maximumColumns: tileColumns,
                                         maximumRows: tileRows, cell: cell)
    }

    /// Writes one sheet row of symbol tiles and their captions, followed by a blank line.
    ///
    /// - Parameters:
    ///   - tiles: At most ``tilesPerRow`` grids, each no larger than a tile, with captions that
    ///     are already sanitized (they are cut to the tile width here).
    ///   - sink: Where the bytes go.
    public func writeSymbolRow(_ tiles: [(grid: CellGrid, caption: String)], to sink: inout some ByteSink) throws {
        precondition(tiles.count <= tilesPerRow, "more tiles than fit in a sheet row")
        let space = UInt8(ascii: " ")
        let height = tiles.map(\.grid.rows).max() ?? 0
        for y in 0..<height {
            var line: [UInt8] = []
            for (index, tile) in tiles.enumerated() {
                if index > 0 { line += [UInt8](repeating: space, count: gap) }
                var used = 0
                if y < tile.grid.rows {
                    line += ANSIEncoder.rowBytes(tile.grid, y)
                    used = tile.grid.columns
                }
                if index < tiles.count - 1 { line += [UInt8](repeating: space, count: max(0, tileColumns - used)) }
            }
            // Padding after the last drawn tile is not needed.
            while line.last == space { line.removeLast() }
            line.append(UInt8(ascii: "\n"))
            try sink.write(line)
        }
        try writeCaptions(tiles.map(\.caption), to: &sink)
    }

    /// Pastes `images` side by side into one picture the size of a sheet row: each image is
    /// resized to its tile geometry and placed at its tile's left edge, over `background`.
    ///
    /// - Returns: The picture and the number of cell columns it spans.
    public func compositeRow(_ images: [RGBAImage],
                             background: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) = (0, 0, 0, 255)) -> (image: RGBAImage, columns: Int) {
        precondition(!images.isEmpty && images.count <= tilesPerRow, "a sheet row needs 1...\(tilesPerRow) images")
        let columns = images.count * tileColumns + (images.count - 1) * gap
        var sheet = RGBAImage(width: columns * cell.width, height: tileRows * cell.height, fill: background)
        for (index, image) in images.enumerated() {
            let (c, r) = tileGeometry(for: PixelSize(width: image.width, height: image.height))
            let tile = image.resized(width: c * cell.width, height: r * cell.height)
            let x0 = index * (tileColumns + gap) * cell.width
            for y in 0..<tile.height {
                for x in 0..<tile.width { sheet[x0 + x, y] = tile[x, y] }
            }
        }
        return (sheet, columns)
    }

    /// Writes captions under their tiles, each cut to the tile width, then a blank line.
    public func writeCaptions(_ captions: [String], to sink: inout some ByteSink) throws {
        var line = ""
        for (index, caption) in captions.enumerated() {
            if index > 0 { line += String(repeating: " ", count: gap) }
            line += index < captions.count - 1
                ? TerminalText.padded(caption, toWidth: tileColumns)
                : TerminalText.truncated(caption, toWidth: tileColumns)
        }
        try sink.write(line + "\n\n")
    }
}
