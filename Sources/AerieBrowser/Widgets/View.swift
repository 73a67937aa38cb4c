import AerieTerminal
extension Browser {
    /// Draws the whole browser for a terminal of `size`. Pure: the same state and size always
    /// give the same screen.
    public static func view(_ state: BrowserState, size: Size) -> Screen {
        var screen = Screen(size: size)
        var sized = state
        sized.size = size
        if sized.isTooSmall {
            drawTooSmall(&screen)
        } else {
            let layout = BrowserLayout(size: size)
            drawQuery(sized, layout, &screen)
            drawInfo(sized, layout, &screen)
            if let page = sized.neighbourStack.last {
                drawNeighbours(sized, page, layout, &screen)
            } else if sized.layout == .grid {
                drawGrid(sized, layout, &screen)
            } else {
                drawList(sized, layout, &screen)
                drawPreviewColumn(sized, layout, &screen)
            }
            drawStatus(sized, layout, &screen)
            if sized.showHelp {
                // Sixel pixels would cover the help box: leave them out while it is open.
                screen.sixels = []
                drawHelp(layout, &screen)
            }
        }
        if state.config.noColor { screen.removeColors() }
        return screen
    }

    private static func drawTooSmall(_ screen: inout Screen) {
        let need = BrowserConfig.minimumSize
        let text = "Terminal too small (\(screen.size)); aerie needs \(need). Enlarge it, or press q."
        let area = screen.bounds
        let lines = Screen.wrap(text, width: area.width)
        let top = max(0, (area.height - lines.count) / 2)
        for (i, l) in lines.enumerated() where top + i < area.height {
            screen.put(l, x: 0, y: top + i, limit: area.width)
        }
    }

    private static func drawQuery(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        let row = layout.queryRow
        let prompt = "Search › "
        let promptWidth = screen.put(prompt, x: row.x, y: row.y, style: Theme.prompt)
        let editWidth = row.width - promptWidth
        let (shown, cursorColumn) = state.query.visible(width: editWidth)
        screen.put(shown, x: row.x + promptWidth, y: row.y, limit: editWidth)
        if state.query.isEmpty && state.focus == .query {
            screen.put("type a caption, e.g. planes parked beside the terminal", x: row.x + promptWidth + 1, y: row.y, limit: editWidth - 1, style: Theme.dim)
        }
        let editing = state.focus == .query && state.neighbourStack.isEmpty && !state.showHelp
        screen.cursor = editing ? (row.x + promptWidth + cursorColumn, row.y) : nil
    }

    private static func drawInfo(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        let row = layout.infoRow
        var x = row.x
        if state.feedback {
            let labels = state.currentLabels
            let text = " feedback: \(labels.filter { $0.grade > 0 }.count)+ \(labels.filter { $0.grade == 0 }.count)− "
            x += screen.put(text, x: x, y: row.y, limit: row.width, style: Theme.feedback)
            x += 1
        }
        var text: String
        if !state.neighbourStack.isEmpty {
            text = "neighbours · depth \(state.neighbourStack.count) · Esc back"
        } else if state.resultsQuery.isEmpty {
            text = state.searching ? "searching…" : "\(formatCount(state.info.imageCount)) images to search"
        } else {
            text = "\(formatCount(state.results.count)) results for “\(state.resultsQuery)”"
            if state.searching { text += " · searching…" }
        }
        let used = screen.put(TerminalText.sanitize(text), x: x, y: row.y, limit: row.maxX - x, style: Theme.dim)
        x += used
        if let notice = state.notice, x + 4 < row.maxX {
            let style = notice.contains("NOT") || notice.contains("failed") || notice.contains("cannot") ? Theme.error : Theme.notice
            screen.put(" · " + TerminalText.sanitize(notice), x: x, y: row.y, limit: row.maxX - x, style: style)
        }
    }

    private static func drawStatus(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        let row = layout.statusRow
        screen.fill(row, style: Theme.status)
        var parts = [TerminalText.truncated(TerminalText.sanitize(state.info.modelName), toWidth: 28), "\(formatCount(state.info.imageCount)) images"]
        if let ms = state.searchMilliseconds { parts.append(formatMilliseconds(ms)) }
        parts.append(state.previewMode.rawValue)
        parts.append(state.feedback ? "feedback ON" : "feedback off")
        let left = " " + parts.joined(separator: " · ")
        let hints: [String]
        if !state.neighbourStack.isEmpty {
            hints = ["Tab list  Enter open  Esc back  ? keys  q quit ", "Esc back  q quit "]
        } else if state.focus == .query {
            hints = ["Enter results  ↑↓ history  F1 keys  ^C quit ", "F1 keys  ^C quit "]
        } else {
            hints = ["r/n/0-3 label  f feedback  ? keys  q quit ", "? keys  q quit "]
        }
        let leftWidth = screen.put(left, x: row.x, y: row.y, limit: row.width, style: Theme.status)
        for hint in hints {
            let hintWidth = TerminalText.displayWidth(hint)
            if leftWidth + 2 + hintWidth <= row.width {
                screen.put(hint, x: row.maxX - hintWidth, y: row.y, style: Theme.status)
                break
            }
        }
    }

    private static func drawList(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        let area = layout.list
        guard !area.isEmpty else { return }
        screen.line("   #  score   name", in: area.row(0), style: Theme.title)
        let rows = layout.listRows
        if state.results.isEmpty {
            let text = state.resultsQuery.isEmpty ? "Type to search; results appear as you type." : "No results."
            screen.paragraph(text, in: rows.inset(dx: 1, dy: 0), firstRow: 1, style: Theme.dim)
            return
        }
        // One name column for the visible rows, so captions line up.
        let visible = state.results.indices.clamped(to: state.listScroll ..< state.listScroll + rows.height)
        let widestName = visible.map { TerminalText.displayWidth(TerminalText.sanitize(state.results[$0].name)) }.max() ?? 0
        for r in 0..<rows.height {
            let i = state.listScroll + r
            guard i < state.results.count else { break }
            let item = state.results[i]
            let y = rows.y + r
            let isSelected = i == state.selected
            let base: CellStyle = isSelected ? (state.focus == .results ? Theme.selected : Theme.selectedUnfocused) : .plain
            screen.fill(Rect(x: rows.x, y: y, width: rows.width, height: 1), style: base)
            var x = rows.x
            let rank = String(i + 1)
            x += screen.put(String(repeating: " ", count: max(0, 4 - rank.count)) + rank + " ", x: x, y: y, limit: rows.maxX - x, style: base)
            x += screen.put(formatScore(item.score) + " ", x: x, y: y, limit: rows.maxX - x, style: isSelected ? base : Theme.score)
            let (mark, markStyle) = Theme.mark(state.labelMark(of: item.id))
            x += screen.put(mark + " ", x: x, y: y, limit: rows.maxX - x, style: isSelected ? base : markStyle)
            let name = TerminalText.sanitize(item.name)
            let nameWidth = min(widestName, max(12, (rows.maxX - x) / 2))
            screen.put(TerminalText.truncated(name, toWidth: nameWidth), x: x, y: y, limit: nameWidth, style: isSelected ? base : Theme.title)
            x += nameWidth + 2
            if x < rows.maxX {
                screen.put(TerminalText.sanitize(item.caption), x: x, y: y, limit: rows.maxX - x, style: isSelected ? base : Theme.caption)
            }
        }
    }

    private static func drawPreviewColumn(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        guard state.results.indices.contains(state.selected) else { return }
        let item = state.results[state.selected]
        let key = PreviewKey(imageID: item.id, size: Size(width: layout.previewImage.width, height: layout.previewImage.height), mode: state.previewMode)
        screen.preview(state.previews[key], in: layout.previewImage, pending: state.pendingPreviews.contains(key))
        let captions = layout.previewCaptions
        guard !captions.isEmpty else { return }
        var row = 0
        screen.put(TerminalText.sanitize(item.name), x: captions.x, y: captions.y, limit: captions.width, style: Theme.title)
        row += 1
        if row < captions.height {
            row += screen.paragraph(item.caption, in: captions, firstRow: row, style: Theme.caption, indent: "  ")
        }
        if row < captions.height {
            screen.put("Enter: captions and neighbours", x: captions.x, y: captions.y + row, limit: captions.width, style: Theme.dim)
        }
    }

    private static func drawGrid(_ state: BrowserState, _ layout: BrowserLayout, _ screen: inout Screen) {
        if state.results.isEmpty {
            screen.paragraph("No results to show as a grid.", in: layout.body.inset(dx: 1, dy: 1), style: Theme.dim)
            return
        }
        for row in 0..<layout.gridRows {
            for column in 0..<layout.gridColumns {
                let i = (state.gridScroll + row) * layout.gridColumns + column
                guard i < state.results.count else { continue }
                let item = state.results[i]
                let image = layout.tileImage(column: column, row: row)
                let key = PreviewKey(imageID: item.id, size: Size(width: image.width, height: image.height), mode: state.previewMode)
                screen.preview(state.previews[key], in: image, pending: state.pendingPreviews.contains(key))
                let isSelected = i == state.selected
                let style: CellStyle = isSelected ? (state.focus == .results ? Theme.selected : Theme.selectedUnfocused) : .plain
                let nameRow = Rect(x: image.x, y: image.maxY, width: image.width, height: 1)
                let (mark, _) = Theme.mark(state.labelMark(of: item.id))
                screen.line("\(i + 1) \(mark.trimmingWhitespace()) \(item.name)", in: nameRow, style: style)
            }
        }
    }

    private static func drawNeighbours(_ state: BrowserState, _ page: NeighbourPage, _ layout: BrowserLayout, _ screen: inout Screen) {
        let key = PreviewKey(imageID: page.imageID, size: Size(width: layout.neighbourImage.width, height: layout.neighbourImage.height), mode: state.previewMode)
        screen.preview(state.previews[key], in: layout.neighbourImage, pending: state.pendingPreviews.contains(key))
        let own = layout.neighbourCaptions
        guard let content = page.content else {
            let text = page.error.map { "cannot load neighbours: \($0)" } ?? "loading neighbours…"
            screen.paragraph(text, in: own, style: page.error == nil ? Theme.dim : Theme.error)
            return
        }
        let (mark, markStyle) = Theme.mark(state.labelMark(of: content.image.id))
        var x = own.x
        x += screen.put(mark + " ", x: x, y: own.y, limit: own.width, style: markStyle)
        screen.put(TerminalText.sanitize(content.image.name), x: x, y: own.y, limit: own.maxX - x, style: Theme.title)
        var row = 1
        for caption in content.captions where row < own.height {
            row += screen.paragraph("• " + caption, in: own, firstRow: row, style: Theme.caption, indent: "  ")
        }
        if content.captions.isEmpty, row < own.height {
            screen.put("(no captions)", x: own.x, y: own.y + row, limit: own.width, style: Theme.dim)
        }

        let images = layout.nearestImages
        let imagesFocused = page.section == .images
        screen.line("Nearest images", in: images.row(0), style: imagesFocused ? Theme.prompt : Theme.title)
        let imageRows = images.height - 1
        let imageOffset = scrollOffset(selected: page.selectedImage, rows: imageRows)
        for r in 0..<max(0, imageRows) {
            let i = imageOffset + r
            guard i < content.nearestImages.count else { break }
            let item = content.nearestImages[i]
            let y = images.y + 1 + r
            let style: CellStyle = i == page.selectedImage ? (imagesFocused ? Theme.selected : Theme.selectedUnfocused) : .plain
            screen.fill(Rect(x: images.x, y: y, width: images.width, height: 1), style: style)
            var x = images.x
            x += screen.put(formatScore(item.score) + " ", x: x, y: y, limit: images.width, style: style)
            let (m, ms) = Theme.mark(state.labelMark(of: item.id))
            x += screen.put(m + " ", x: x, y: y, limit: images.maxX - x, style: i == page.selectedImage ? style : ms)
            screen.put(TerminalText.sanitize(item.name), x: x, y: y, limit: images.maxX - x, style: style)
        }

        let captions = layout.nearestCaptions
        screen.line("Nearest captions (Enter searches)", in: captions.row(0), style: imagesFocused ? Theme.title : Theme.prompt)
        let captionRows = captions.height - 1
        let captionOffset = scrollOffset(selected: page.selectedCaption, rows: captionRows)
        for r in 0..<max(0, captionRows) {
            let i = captionOffset + r
            guard i < content.nearestCaptions.count else { break }
            let hit = content.nearestCaptions[i]
            let y = captions.y + 1 + r
            let style: CellStyle = i == page.selectedCaption ? (imagesFocused ? Theme.selectedUnfocused : Theme.selected) : .plain
            screen.fill(Rect(x: captions.x, y: y, width: captions.width, height: 1), style: style)
            let x = captions.x + screen.put(formatScore(hit.score) + " ", x: captions.x, y: y, limit: captions.width, style: style)
            screen.put(TerminalText.sanitize(hit.text), x: x, y: y, limit: captions.maxX - x, style: style)
        }
    }

    /// Every key, as `?` shows them.
    public static let keyHelp: [(String, String)] = [
        ("Query line", ""),
        ("  typing", "search as you type (debounced)"),
        ("  ← → Home End ^A ^E", "move the cursor"),
        ("  Bksp Del ^U ^K ^W", "delete char / to start / to end / word"),
        ("  ↑ ↓", "query history"),
        ("  Enter Tab", "go to the results"),
        ("  a - b + ./img.jpg", "arithmetic: add or subtract terms"),
        ("Results", ""),
        ("  ↑↓ j k PgUp PgDn", "select"),
        ("  Enter →", "captions and neighbours"),
        ("  r +  /  n -  /  0-3", "relevant / not relevant / grade"),
        ("  u", "undo the last label"),
        ("  marks ✓ ✗ ✓2  …  !", "label saved / saving / NOT saved"),
        ("  f  /  F", "re-rank with feedback / plain query"),
        ("  g   p", "grid view   preview mode"),
        ("  / Tab Esc", "back to the query line"),
        ("Neighbours", ""),
        ("  Tab  Enter", "switch list / open image, search caption"),
        ("  Esc Bksp", "go back"),
        ("Anywhere", ""),
        ("  ? F1   q ^C", "this help (any key closes) / quit"),
    ]

    private static func drawHelp(_ layout: BrowserLayout, _ screen: inout Screen) {
        let height = min(Browser.keyHelp.count + 2, screen.size.height)
        let width = min(66, screen.size.width - 4)
        let area = Rect(x: (screen.size.width - width) / 2, y: max(0, (screen.size.height - height) / 2), width: width, height: height)
        screen.fill(area)
        screen.box(area, title: "Keys")
        let inner = area.inset(dx: 2, dy: 1)
        for (i, entry) in Browser.keyHelp.enumerated() where i < inner.height {
            let y = inner.y + i
            if entry.1.isEmpty {
                screen.put(entry.0, x: inner.x, y: y, limit: inner.width, style: Theme.title)
            } else {
                let keyWidth = screen.put(entry.0, x: inner.x, y: y, limit: 24, style: Theme.prompt)
                screen.put(entry.1, x: inner.x + max(keyWidth, 24), y: y, limit: inner.width - 24)
            }
        }
    }
}
