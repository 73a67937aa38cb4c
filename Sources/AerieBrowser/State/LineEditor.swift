import AerieTerminal
/// A one-line text editor: the query line.
///
/// The text is kept as graphemes so the cursor never stands inside a character, whatever its
/// width or how many scalars it has. Editing follows readline's keys: Ctrl-A/E to the ends,
/// Ctrl-U/K kill before/after the cursor, Ctrl-W kills the word before it.
public struct LineEditor: Hashable, Sendable {
    public private(set) var graphemes: [Character]
    /// The cursor, as an index into `graphemes` (0...count).
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        graphemes = Array(text)
        cursor = graphemes.count
    }

    public var text: String { String(graphemes) }
    public var isEmpty: Bool { graphemes.isEmpty }

    /// Inserts text at the cursor; line breaks and tabs become spaces, other control
    /// characters are dropped (a paste cannot smuggle an escape sequence into the query).
    public mutating func insert(_ text: String) {
        var inserted: [Character] = []
        for g in text {
            if g == "\n" || g == "\r" || g == "\r\n" || g == "\t" {
                inserted.append(" ")
            } else if g.unicodeScalars.allSatisfy({ $0.value >= 0x20 && !($0.value >= 0x7F && $0.value < 0xA0) }) {
                inserted.append(g)
            }
        }
        graphemes.insert(contentsOf: inserted, at: cursor)
        cursor += inserted.count
        // Appending a combining mark may merge with the previous grapheme: renormalise.
        let rebuilt = Array(String(graphemes))
        if rebuilt.count != graphemes.count {
            let before = String(graphemes[..<cursor]).count
            graphemes = rebuilt
            cursor = min(before, graphemes.count)
        }
    }

    public mutating func setText(_ text: String) {
        graphemes = []
        cursor = 0
        insert(text)
    }

    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    public mutating func moveRight() { cursor = min(graphemes.count, cursor + 1) }
    public mutating func moveHome() { cursor = 0 }
    public mutating func moveEnd() { cursor = graphemes.count }

    public mutating func wordLeft() { cursor = wordStart(before: cursor) }
    public mutating func wordRight() {
        var i = cursor
        while i < graphemes.count, graphemes[i].isWhitespace { i += 1 }
        while i < graphemes.count, !graphemes[i].isWhitespace { i += 1 }
        cursor = i
    }

    /// Backspace: deletes the grapheme before the cursor.
    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        graphemes.remove(at: cursor - 1)
        cursor -= 1
    }

    /// Delete: deletes the grapheme under the cursor.
    public mutating func deleteForward() {
        guard cursor < graphemes.count else { return }
        graphemes.remove(at: cursor)
    }

    /// Ctrl-U: deletes everything before the cursor.
    public mutating func killToStart() {
        graphemes.removeSubrange(0..<cursor)
        cursor = 0
    }

    /// Ctrl-K: deletes everything from the cursor on.
    public mutating func killToEnd() {
        graphemes.removeSubrange(cursor..<graphemes.count)
    }

    /// Ctrl-W: deletes the word before the cursor and the spaces after it.
    public mutating func killWordBackward() {
        let start = wordStart(before: cursor)
        graphemes.removeSubrange(start..<cursor)
        cursor = start
    }

    private func wordStart(before index: Int) -> Int {
        var i = index
        while i > 0, graphemes[i - 1].isWhitespace { i -= 1 }
        while i > 0, !graphemes[i - 1].isWhitespace { i -= 1 }
        return i
    }

    /// The part of the line to show in `width` columns, scrolled so the cursor is visible,
    /// and the cursor's column within it.
    public func visible(width: Int) -> (text: String, cursorColumn: Int) {
        guard width > 1 else { return ("", 0) }
        let widths = graphemes.map { g in Screen.cells(of: TerminalText.sanitize(String(g))).reduce(0) { $0 + $1.1 } }
        // Start from the cursor and walk left while the text before it fits (leave one column
        // for the cursor itself).
        var start = cursor
        var used = 1
        while start > 0, used + widths[start - 1] <= width {
            start -= 1
            used += widths[start]
        }
        var end = start
        var columns = 0
        while end < graphemes.count, columns + widths[end] <= width {
            columns += widths[end]
            end += 1
        }
        let cursorColumn = widths[start..<cursor].reduce(0, +)
        let shown = graphemes[start..<end].map { TerminalText.sanitize(String($0)) }.joined()
        return (shown, cursorColumn)
    }
}
