import AerieTerminal

/// Where each part of the browser goes for a given terminal size. Shared by `update` (which
/// must know what previews and pages to ask for) and `view` (which draws there).
public struct BrowserLayout: Hashable, Sendable {
    public var queryRow: Rect
    public var infoRow: Rect
    public var body: Rect
    public var statusRow: Rect
    /// List view: the ranked list and the preview column (image over captions).
    public var list: Rect
    public var previewImage: Rect
    public var previewCaptions: Rect
    /// Grid view: one tile's size, including its name row.
    public var tileSize: Size
    public var gridColumns: Int
    public var gridRows: Int
    /// Neighbours view.
    public var neighbourImage: Rect
    public var neighbourCaptions: Rect
    public var nearestImages: Rect
    public var nearestCaptions: Rect

    public init(size: Size) {
        let screen = Rect(x: 0, y: 0, width: size.width, height: size.height)
        let (top, rest) = screen.splitTop(2)
        queryRow = top.row(0)
        infoRow = top.row(1)
        body = Rect(x: rest.x, y: rest.y, width: rest.width, height: rest.height - 1)
        statusRow = Rect(x: 0, y: size.height - 1, width: size.width, height: 1)

        let listWidth = max(30, size.width * 11 / 20)
        let (l, p) = body.splitLeft(listWidth)
        list = l
        let previewColumn = p.inset(dx: 1, dy: 0)
        let captionRows = min(7, max(3, previewColumn.height / 3))
        let imageHeight = min(previewColumn.height - captionRows, max(1, previewColumn.width / 2))
        let (img, caps) = previewColumn.splitTop(imageHeight)
        previewImage = img
        previewCaptions = caps

        tileSize = Size(width: 20, height: 9)
        gridColumns = max(1, body.width / tileSize.width)
        gridRows = max(1, body.height / tileSize.height)

        let topHeight = body.height / 2
        let (nTop, nBottom) = body.splitTop(topHeight)
        let imageWidth = min(nTop.width / 2, max(1, nTop.height * 2))
        let (nImage, nCaps) = nTop.splitLeft(imageWidth)
        neighbourImage = nImage
        neighbourCaptions = nCaps.inset(dx: 1, dy: 0)
        let (left, right) = nBottom.splitLeft(nBottom.width / 2)
        nearestImages = left
        nearestCaptions = right.inset(dx: 1, dy: 0)
    }

    /// The thumbnail area (without the name row) of the tile at `column`, `row` of the grid.
    public func tileImage(column: Int, row: Int) -> Rect {
        Rect(x: body.x + column * tileSize.width, y: body.y + row * tileSize.height,
             width: tileSize.width - 2, height: tileSize.height - 1)
    }

    /// The rows of the list the results occupy (the list minus its header row).
    public var listRows: Rect { Rect(x: list.x, y: list.y + 1, width: list.width, height: list.height - 1) }
}
