/// Display width and sanitizing of text, as the browser's view uses them.
///
/// These are the browser's single entry points for the two questions; they forward to
/// AerieTerminal's sanitizer and width tables once that branch is merged (see the report).
/// Until then they implement the same contract conservatively.
public enum TextWidth {
    /// The number of terminal columns a grapheme occupies: 0, 1 or 2.
    public static func columns(of grapheme: Character) -> Int {
        var width = 0
        var sawBase = false
        for scalar in grapheme.unicodeScalars {
            let w = columns(of: scalar)
            if !sawBase && w > 0 {
                width = w
                sawBase = true
            } else if scalar.value == 0xFE0F && sawBase {
                // Variation selector 16 asks for emoji presentation: two columns.
                width = 2
            }
        }
        return width
    }

    /// The number of columns of a string (the sum over its graphemes).
    public static func columns(of text: String) -> Int {
        text.reduce(0) { $0 + columns(of: $1) }
    }

    static func columns(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control, .surrogate:
            return 0
        default:
            break
        }
        if v == 0x200B || (v >= 0x1160 && v <= 0x11FF) { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        for range in wideRanges where range.contains(v) { return 2 }
        return 1
    }

    /// East Asian Wide and Fullwidth blocks (Unicode 15, condensed).
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
        0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}

/// Makes untrusted text (file names, captions, labels, error messages) safe to show.
public enum DisplayText {
    /// `text` with every control character, escape and bidirectional override replaced by a
    /// visible stand-in, and newlines and tabs turned into spaces, so it can never move the
    /// cursor, change colours or reorder a line.
    public static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x09, 0x0A, 0x0D:
                out.append(" ")
            case 0x00..<0x20, 0x7F..<0xA0:
                out.append("\u{FFFD}")
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                out.append("\u{FFFD}")
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }
}
