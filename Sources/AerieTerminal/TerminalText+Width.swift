extension TerminalText {
    /// How a padded string is placed in its field.
    public enum Alignment: Sendable {
        case left, right
    }

    /// The ellipsis that marks truncated text; one cell wide.
    public static let ellipsis: Character = "…"

    /// The number of terminal cells `s` occupies, by the wcwidth rules.
    ///
    /// Each scalar counts as in wcwidth: combining and enclosing marks, format characters,
    /// Hangul medial vowels and final consonants (U+1160–U+11FF) take 0 cells; East Asian Wide
    /// and Fullwidth characters and emoji with default emoji presentation take 2; everything
    /// else takes 1. Controls count 0 — they should not be there: sanitize first. The width of a
    /// string is the sum, which is what ncurses and most terminals advance the cursor by.
    /// Emoji ZWJ sequences are therefore counted per component, like wcwidth does.
    public static func displayWidth(_ s: String) -> Int {
        var total = 0
        for scalar in s.unicodeScalars { total += displayWidth(scalar) }
        return total
    }

    /// The number of cells one grapheme cluster occupies (the sum of its scalars' widths).
    public static func displayWidth(_ c: Character) -> Int {
        var total = 0
        for scalar in c.unicodeScalars { total += displayWidth(scalar) }
        return total
    }

    /// The wcwidth of one scalar: 0, 1 or 2 (controls 0).
    public static func displayWidth(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v >= 0x20 && v < 0x7F { return 1 }  // ASCII fast path.
        if v < 0xA0 { return 0 }                // C0, DEL, C1.
        if (0x1160...0x11FF).contains(v) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control, .lineSeparator, .paragraphSeparator:
            return 0
        default:
            break
        }
        if isEastAsianWide(v) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Whether `value` lies in ``eastAsianWide``, by binary search.
    static func isEastAsianWide(_ value: UInt32) -> Bool {
        var low = 0
        var high = eastAsianWide.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = eastAsianWide[mid]
            if value < range.lowerBound {
                high = mid - 1
            } else if value > range.upperBound {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }

    /// `s` cut to at most `width` cells, ending in ``ellipsis`` when anything was cut.
    ///
    /// Cuts fall between grapheme clusters, so a wide character or a base with its combining
    /// marks is never split; when a wide character does not fit, the result is one cell
    /// narrower than `width` (``padded(_:toWidth:alignment:)`` fills it).
    ///
    /// - Parameters:
    ///   - s: Text to cut, already sanitized.
    ///   - width: The number of cells available; 0 or less gives the empty string.
    /// - Returns: `s` itself when it fits, otherwise a prefix plus the ellipsis.
    public static func truncated(_ s: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        if displayWidth(s) <= width { return s }
        let budget = width - displayWidth(ellipsis)
        var used = 0
        var result = ""
        for character in s {
            let w = displayWidth(character)
            if used + w > budget { break }
            used += w
            result.append(character)
        }
        result.append(ellipsis)
        return result
    }

    /// `s` truncated to `width` cells if needed, then filled with spaces to exactly `width`.
    ///
    /// - Parameters:
    ///   - s: Text to place, already sanitized.
    ///   - width: The field width in cells; 0 or less gives the empty string.
    ///   - alignment: Where the text sits in the field.
    public static func padded(_ s: String, toWidth width: Int, alignment: Alignment = .left) -> String {
        guard width > 0 else { return "" }
        let cut = truncated(s, toWidth: width)
        let fill = String(repeating: " ", count: max(0, width - displayWidth(cut)))
        switch alignment {
        case .left: return cut + fill
        case .right: return fill + cut
        }
    }
}
