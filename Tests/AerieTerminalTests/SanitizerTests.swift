import Foundation
import Testing
import AerieTerminal

/// True when `s` contains nothing a terminal would act on: no C0/C1 control, no DEL, no format
/// character other than ZWJ/ZWNJ, no line or paragraph separator.
private func isTerminalSafe(_ s: String) -> Bool {
    s.unicodeScalars.allSatisfy { scalar in
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return false }
        if v == 0x200C || v == 0x200D { return true }
        switch scalar.properties.generalCategory {
        case .format, .control, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }
}

/// Strings an attacker could put into a file name, caption or data set.
private let hostileStrings: [String] = [
    "\u{1B}[2J\u{1B}[H",                                  // CSI: clear screen, home
    "\u{1B}[31mred\u{1B}[0m",                              // SGR
    "\u{1B}]0;pwned title\u{07}",                          // OSC set title, BEL-terminated
    "\u{1B}]8;;http://evil.example/\u{1B}\\click\u{1B}]8;;\u{1B}\\",  // OSC 8 hyperlink, ST-terminated
    "\u{1B}]52;c;cm0gLXJmIH4=\u{07}",                      // OSC 52 clipboard write
    "\u{1B}P+q544e\u{1B}\\",                               // DCS (XTGETTCAP)
    "\u{1B}_Gf=100;AAAA\u{1B}\\",                          // APC (kitty graphics)
    "\u{1B}^privacy message\u{1B}\\",                      // PM
    "\u{1B}Xstart of string\u{1B}\\",                      // SOS
    "\u{9B}2J",                                            // C1 CSI
    "\u{9D}0;title\u{9C}",                                 // C1 OSC ... ST
    "\u{90}q\u{9C}",                                       // C1 DCS
    "\u{9F}apc\u{9C}\u{9E}pm\u{9C}\u{98}sos\u{9C}",        // C1 APC, PM, SOS
    "\u{1B}c",                                             // RIS: full reset
    "\u{1B}[6n",                                           // cursor position report request
    "\u{1B}[?1049h",                                       // alternate screen
    "line1\nline2\rover\u{08}\u{08}",                      // newline, carriage return, backspace
    "tab\there\u{0B}\u{0C}",                               // TAB, VT, FF
    "bell\u{07}del\u{7F}nul\u{00}",
    "admin\u{202E}gpj.exe",                                // RLO filename spoof
    "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}",            // embeddings, overrides, PDF
    "\u{2066}\u{2067}\u{2068}\u{2069}",                    // isolates
    "\u{200E}\u{200F}\u{061C}",                            // LRM, RLM, ALM
    "zero\u{200B}width\u{2060}joiner\u{FEFF}",             // ZWSP, WJ, BOM
    "soft\u{00AD}hyphen",
    "line\u{2028}sep\u{2029}para",
    "tag\u{E0041}\u{E0042}\u{E007F}",                      // tag characters (ASCII smuggling)
    "\u{FFF9}annotated\u{FFFA}ruby\u{FFFB}",
]

@Suite("Sanitizer")
struct SanitizerTests {
    @Test("every C0 control, DEL and every C1 control is escaped visibly")
    func everyControlIsEscaped() {
        let controls = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F)
        for value in controls {
            let scalar = Unicode.Scalar(UInt32(value))!
            let sanitized = TerminalText.sanitize("a" + String(scalar) + "b")
            let expected = "a\\u{" + String(value, radix: 16, uppercase: true) + "}b"
            #expect(sanitized == expected, "U+\(String(value, radix: 16))")
            #expect(isTerminalSafe(sanitized))
        }
    }

    @Test("hostile strings come out terminal-safe, and their escapes show", arguments: hostileStrings)
    func hostileStringIsSafe(_ hostile: String) {
        let sanitized = TerminalText.sanitize(hostile)
        #expect(isTerminalSafe(sanitized), "\(sanitized.debugDescription)")
        #expect(sanitized.contains("\\u{"), "nothing was made visible in \(hostile.debugDescription)")
        #expect(TerminalText.sanitize(sanitized) == sanitized, "sanitizing is idempotent")
    }

    @Test("escape sequences keep their printable tail visible")
    func sequencesStayReadable() {
        #expect(TerminalText.sanitize("\u{1B}[2J") == "\\u{1B}[2J")
        #expect(TerminalText.sanitize("\u{1B}]0;t\u{07}") == "\\u{1B}]0;t\\u{7}")
        #expect(TerminalText.sanitize("admin\u{202E}gpj.exe") == "admin\\u{202E}gpj.exe")
    }

    @Test("valid text is kept unchanged", arguments: [
        "plain ascii 0123 ~!@#$%^&*()",
        "back\\slash \\u{1B} literal",
        "机场 — 停机坪上的飞机",
        "東京タワー 한국어 テスト",
        "e\u{0301}le\u{0300}ve naïve café",
        "emoji 🛰️ 👨‍👩‍👧 🇫🇷 ✈",
        "العربية עברית",
        "क्षेत्र",
        "नमस्ते\u{200D}",
    ])
    func validTextIsKept(_ text: String) {
        #expect(TerminalText.sanitize(text) == text)
    }

    @Test("invalid UTF-8 bytes are shown as \\xNN, valid sequences decoded")
    func invalidBytes() {
        let cases: [([UInt8], String)] = [
            ([0x61, 0xFF, 0x62], "a\\xFFb"),
            ([0xC3, 0xA9], "é"),
            ([0xC3], "\\xC3"),                              // truncated sequence
            ([0xC0, 0xAF], "\\xC0\\xAF"),                   // overlong '/'
            ([0xE0, 0x80, 0xAF], "\\xE0\\x80\\xAF"),        // overlong 3-byte
            ([0xED, 0xA0, 0x80], "\\xED\\xA0\\x80"),        // encoded surrogate
            ([0xF4, 0x90, 0x80, 0x80], "\\xF4\\x90\\x80\\x80"),  // above U+10FFFF
            ([0xE6, 0x9C, 0xBA, 0xE5, 0x9C], "机\\xE5\\x9C"),
            ([0xF0, 0x9F, 0x9B, 0xB0], "🛰"),
            ([0x1B, 0x5B, 0x32, 0x4A], "\\u{1B}[2J"),       // controls still escaped
            ([0xC2, 0x9B], "\\u{9B}"),                       // encoded C1 CSI
            ([0x9B], "\\x9B"),                               // raw C1 byte: invalid UTF-8
            ([], ""),
        ]
        for (bytes, expected) in cases {
            #expect(TerminalText.sanitize(bytes: bytes) == expected, "\(bytes)")
        }
    }

    @Test("file names are read from their file-system bytes")
    func fileNames() {
        let url = URL(fileURLWithPath: "/tmp/dir/evil\u{1B}[2J name.png")
        #expect(TerminalText.sanitizedFileName(url) == "evil\\u{1B}[2J name.png")
        #expect(TerminalText.sanitizedPath(url) == "/tmp/dir/evil\\u{1B}[2J name.png")
        #expect(TerminalText.sanitizedFileName(URL(fileURLWithPath: "/tmp/dir/")) == "dir")
    }

    @Test("display widths follow wcwidth")
    func widths() {
        let cases: [(String, Int)] = [
            ("", 0),
            ("abc", 3),
            ("机场", 4),
            ("ｆｕｌｌ", 8),                       // fullwidth forms
            ("ﾊﾝｶｸ", 4),                          // halfwidth katakana
            ("한국", 4),
            ("e\u{0301}", 1),                      // combining acute
            ("a\u{20DD}", 1),                      // enclosing circle
            ("\u{1100}\u{1161}\u{11A8}", 2),       // conjoining jamo: 2 + 0 + 0
            ("🛰", 1),                             // satellite: text presentation by default
            ("😀", 2),
            ("✈", 1),
            ("⌚", 2),
            ("\u{200D}", 0),
            ("\\u{1B}", 6),
            ("𠀀", 2),                             // CJK Extension B
        ]
        for (text, width) in cases {
            #expect(TerminalText.displayWidth(text) == width, "\(text.debugDescription)")
        }
    }

    @Test("truncation never splits a wide character and ends in an ellipsis")
    func truncation() {
        #expect(TerminalText.truncated("abcdef", toWidth: 6) == "abcdef")
        #expect(TerminalText.truncated("abcdef", toWidth: 4) == "abc…")
        #expect(TerminalText.truncated("abcdef", toWidth: 1) == "…")
        #expect(TerminalText.truncated("abcdef", toWidth: 0) == "")
        // "机场停机坪" is 10 cells; at 6 cells only two wide characters fit before the ellipsis.
        #expect(TerminalText.truncated("机场停机坪", toWidth: 6) == "机场…")
        #expect(TerminalText.truncated("机场停机坪", toWidth: 7) == "机场停…")
        #expect(TerminalText.truncated("e\u{0301}e\u{0301}e\u{0301}", toWidth: 2) == "e\u{0301}…")
        for width in 0...12 {
            let cut = TerminalText.truncated("a机b场c停机坪", toWidth: width)
            #expect(TerminalText.displayWidth(cut) <= width)
        }
    }

    @Test("padding gives exactly the field width")
    func padding() {
        #expect(TerminalText.padded("ab", toWidth: 4) == "ab  ")
        #expect(TerminalText.padded("ab", toWidth: 4, alignment: .right) == "  ab")
        #expect(TerminalText.padded("机场停机坪", toWidth: 6) == "机场… ")
        for width in 0...12 {
            let field = TerminalText.padded("a机b场c停机坪", toWidth: width)
            #expect(TerminalText.displayWidth(field) == width)
        }
    }
}
