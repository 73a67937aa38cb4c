import Foundation

/// Terminal-safe text: the one sanitizer every file name, caption and data-set string passes
/// through before it reaches a terminal, and the display-width arithmetic that lays it out.
///
/// ## The visible form
///
/// Anything that could make a terminal do something other than print a glyph is replaced by an
/// escape made of plain ASCII, so the user sees that it was there:
///
/// - a neutralised code point becomes `\u{X}` with its scalar value in upper-case hex, minimal
///   digits — ESC is `\u{1B}`, DEL `\u{7F}`, the C1 CSI `\u{9B}`, RIGHT-TO-LEFT OVERRIDE `\u{202E}`;
/// - a byte that is not part of valid UTF-8 (only possible in ``sanitize(bytes:)``) becomes
///   `\xNN`, two upper-case hex digits — so `\xC3` (a stray byte) and `\u{C3}` (the letter Ã,
///   which is never escaped) cannot be confused.
///
/// Neutralised code points are: the C0 controls U+0000–U+001F (tab and newline included: the
/// result is always one line), DEL U+007F, the C1 controls U+0080–U+009F, the line and paragraph
/// separators U+2028/U+2029, and every format character (general category Cf) — bidi embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks LRM/RLM/ALM, zero-width
/// space, word joiner, BOM, soft hyphen, interlinear annotations and tag characters — except
/// ZERO WIDTH JOINER and NON-JOINER (U+200D, U+200C), which emoji sequences and several scripts
/// need and which cannot move the cursor or reorder text.
///
/// Escape sequences (CSI, OSC, DCS, APC, PM, SOS, and their C1 single-byte introducers) are
/// defused by escaping their introducer and every control inside them; the parameter bytes that
/// follow are ordinary printable text and stay visible, so `ESC[2J` prints as `\u{1B}[2J`.
/// A literal backslash is kept as it is: the escapes are for showing, not for round-tripping.
///
/// Display widths follow the wcwidth rules, computed from tables in this module (never the C
/// library's locale): see the `displayWidth` functions.
public enum TerminalText {
    // MARK: Sanitizing

    /// Returns `s` with every control, escape introducer, bidi control and invisible format
    /// character replaced by its visible `\u{X}` form; all other text is kept unchanged.
    ///
    /// The result is a single line that contains no C0/C1 control, DEL or format character
    /// other than ZWJ/ZWNJ, so writing it to a terminal can only print glyphs.
    public static func sanitize(_ s: String) -> String {
        // Fast path: most strings are harmless and are returned without copying.
        if !s.unicodeScalars.contains(where: isNeutralised) { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            appendSanitized(scalar, to: &out)
        }
        return String(out)
    }

    /// Decodes `bytes` as UTF-8 and sanitizes the result, showing each byte that is not part of
    /// a well-formed UTF-8 sequence as `\xNN`.
    ///
    /// Use this for names read from the file system, which on Linux are arbitrary bytes.
    /// Overlong forms, encoded surrogates and values above U+10FFFF are invalid; each byte of an
    /// invalid sequence is shown on its own and decoding resumes at the next byte.
    public static func sanitize<Bytes: Collection<UInt8>>(bytes: Bytes) -> String {
        let bytes = Array(bytes)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            if let (scalar, length) = decodeUTF8(bytes, at: i) {
                appendSanitized(scalar, to: &out)
                i += length
            } else {
                appendEscape("\\x" + hex(UInt32(bytes[i]), minimumDigits: 2), to: &out)
                i += 1
            }
        }
        return String(out)
    }

    /// The sanitized last path component of `url`, read from its file-system representation so
    /// that invalid UTF-8 in the name is shown as `\xNN` instead of being silently repaired.
    public static func sanitizedFileName(_ url: URL) -> String {
        var bytes = fileSystemBytes(url)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")), slash < bytes.count - 1 {
            bytes.removeSubrange(...slash)
        }
        return sanitize(bytes: bytes)
    }

    /// The sanitized full path of `url`, from its file-system representation (see
    /// ``sanitizedFileName(_:)``).
    public static func sanitizedPath(_ url: URL) -> String {
        sanitize(bytes: fileSystemBytes(url))
    }

    private static func fileSystemBytes(_ url: URL) -> [UInt8] {
        url.withUnsafeFileSystemRepresentation { pointer in
            guard let pointer else { return Array(url.path.utf8) }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                             count: strlen(pointer)))
        }
    }

    /// Whether ``sanitize(_:)`` replaces `scalar` by its visible escape.
    public static func isNeutralised(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        if v < 0xA0 { return false }
        if v == 0x200C || v == 0x200D { return false }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .control:
            return true
        default:
            return false
        }
    }

    // MARK: Helpers

    private static func appendSanitized(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView) {
        if isNeutralised(scalar) {
            appendEscape("\\u{" + hex(scalar.value, minimumDigits: 1) + "}", to: &out)
        } else {
            out.append(scalar)
        }
    }

    private static func appendEscape(_ escape: String, to out: inout String.UnicodeScalarView) {
        out.append(contentsOf: escape.unicodeScalars)
    }

    private static func hex(_ value: UInt32, minimumDigits: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, minimumDigits - digits.count)) + digits
    }

    /// Decodes one well-formed UTF-8 sequence at `i` (Unicode Table 3-7), or returns `nil`.
    private static func decodeUTF8(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = b[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> UInt32? {
            guard i + k < b.count, range.contains(b[i + k]) else { return nil }
            return UInt32(b[i + k] & 0x3F)
        }
        let length: Int
        let secondRange: ClosedRange<UInt8>
        switch b0 {
        case 0xC2...0xDF: length = 2; secondRange = 0x80...0xBF
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; secondRange = 0x80...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4; secondRange = 0x80...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard var value = continuation(1, secondRange) else { return nil }
        let leadBits: UInt32 = length == 2 ? 0x1F : (length == 3 ? 0x0F : 0x07)
        value |= (UInt32(b0) & leadBits) << 6
        for k in 2..<length {
            guard let next = continuation(k) else { return nil }
            value = (value << 6) | next
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
