import AerieTerminal
/// Small widgets that render into an area of a screen buffer.
extension Screen {
    /// Draws a one-line text clipped to `area`'s first row, padded with `style` to its width.
    mutating func line(_ text: String, in area: Rect, style: CellStyle = .plain) {
        guard !area.isEmpty else { return }
        fill(area.row(0), style: style)
        put(TerminalText.sanitize(text), x: area.x, y: area.y, limit: area.width, style: style)
    }

    /// Word-wraps sanitized `text` into `area` from row `firstRow`; returns the rows used.
    @discardableResult
    mutating func paragraph(_ text: String, in area: Rect, firstRow: Int = 0, style: CellStyle = .plain, indent: String = "") -> Int {
        let lines = Screen.wrap(TerminalText.sanitize(text), width: area.width, indent: indent)
        var used = 0
        for (i, l) in lines.enumerated() {
            let row = firstRow + i
            guard row < area.height else { break }
            put(l, x: area.x, y: area.y + row, limit: area.width, style: style)
            used += 1
        }
        return used
    }

    /// Greedy word wrap by display width; words longer than a line are cut.
    static func wrap(_ text: String, width: Int, indent: String = "") -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var currentWidth = 0
        var needSpace = false
        let indentWidth = TerminalText.displayWidth(indent)
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let w = TerminalText.displayWidth(String(word))
            if needSpace && currentWidth + 1 + w > width {
                lines.append(current)
                current = indent
                currentWidth = indentWidth
                needSpace = false
            }
            if needSpace {
                current += " "
                currentWidth += 1
            }
            current += word
            currentWidth += w
            needSpace = true
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Draws a box border around `area` (inside it).
    mutating func box(_ area: Rect, title: String? = nil, style: CellStyle = Theme.border) {
        guard area.width >= 2, area.height >= 2 else { return }
        for x in area.x + 1..<area.maxX - 1 {
            put("─", x: x, y: area.y, style: style)
            put("─", x: x, y: area.maxY - 1, style: style)
        }
        for y in area.y + 1..<area.maxY - 1 {
            put("│", x: area.x, y: y, style: style)
            put("│", x: area.maxX - 1, y: y, style: style)
        }
        put("┌", x: area.x, y: area.y, style: style)
        put("┐", x: area.maxX - 1, y: area.y, style: style)
        put("└", x: area.x, y: area.maxY - 1, style: style)
        put("┘", x: area.maxX - 1, y: area.maxY - 1, style: style)
        if let title {
            put(" \(TerminalText.sanitize(title)) ", x: area.x + 2, y: area.y, limit: area.width - 4, style: Theme.title)
        }
    }

    /// Draws a preview (or its placeholder) centred in `area`.
    mutating func preview(_ image: PreviewImage?, in area: Rect, pending: Bool) {
        guard !area.isEmpty else { return }
        switch image {
        case let .rendered(.cells(grid))?:
            let x = area.x + max(0, (area.width - grid.columns) / 2)
            let y = area.y + max(0, (area.height - grid.rows) / 2)
            blit(grid, at: (x, y), within: area)
        case let .rendered(.sixel(sixel))?:
            let w = min(sixel.columns, area.width), h = min(sixel.rows, area.height)
            let placed = Rect(x: area.x + max(0, (area.width - w) / 2), y: area.y + max(0, (area.height - h) / 2), width: w, height: h)
            fill(placed)
            sixels.append(SixelPlacement(area: placed, bytes: sixel.bytes))
        case let .unavailable(reason)?:
            paragraph("(no preview: \(reason))", in: area, firstRow: area.height / 2, style: Theme.dim)
        case nil:
            if pending {
                line("loading…", in: Rect(x: area.x + max(0, area.width / 2 - 4), y: area.y + area.height / 2, width: min(8, area.width), height: 1), style: Theme.dim)
            }
        }
    }
}

/// Formats a score as `0.734`, fixed width 6.
func formatScore(_ score: Float) -> String {
    guard score.isFinite else { return "   nan" }
    let negative = score < 0
    let thousandths = Int((abs(Double(score)) * 1000).rounded())
    let text = "\(negative ? "-" : "")\(thousandths / 1000).\(String(repeating: "0", count: 3 - String(thousandths % 1000).count))\(thousandths % 1000)"
    return String(repeating: " ", count: max(0, 6 - text.count)) + text
}

/// Formats a count with thousands separators: 8,973.
func formatCount(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// Formats milliseconds for the status line: `12 ms`, `1.4 s`.
func formatMilliseconds(_ ms: Double) -> String {
    if ms < 10 { return "\(Int((ms * 10).rounded()) / 10).\(Int((ms * 10).rounded()) % 10) ms" }
    if ms < 1000 { return "\(Int(ms.rounded())) ms" }
    let tenths = Int((ms / 100).rounded())
    return "\(tenths / 10).\(tenths % 10) s"
}
