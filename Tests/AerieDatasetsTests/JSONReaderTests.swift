import AerieTestSupport
import Foundation
import Testing
@testable import AerieDatasets

/// The fast JSON reader against Foundation's JSONSerialization (its slow twin) and on hostile bytes.
@Suite struct JSONReaderTests {
    /// Converts JSONSerialization's output to a JSONValue (objects sorted by key on both sides).
    static func convert(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(convert))
        case let d as [String: Any]: return .object(d.keys.sorted().map { JSONMember(key: $0, value: convert(d[$0] as Any)) })
        case let n as NSNumber:
            if type(of: n) == type(of: NSNumber(value: true)) { return .bool(n.boolValue) }
            return .number(n.doubleValue)
        default: return .null
        }
    }

    static func sortedKeys(_ v: JSONValue) -> JSONValue {
        switch v {
        case .array(let a): .array(a.map(sortedKeys))
        case .object(let m): .object(m.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: sortedKeys($0.value)) })
        default: v
        }
    }

    @Test(arguments: ["captions/dataset_ucm.json", "captions/dataset_sydney.json", "samples/rsicd/dataset.json"])
    func agreesWithJSONSerializationOnRealFiles(path: String) throws {
        guard let url = SharedData.url(path) else { print(SharedData.missingMessage(path)); return }
        let data = try Data(contentsOf: url)
        let fast = Self.sortedKeys(try JSONReader.parse(data))
        let slow = Self.convert(try JSONSerialization.jsonObject(with: data))
        #expect(fast == slow)
    }

    @Test func agreesOnEscapesNumbersAndLiterals() throws {
        let text = #"{"a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 é", "n": [0, -1, 12.5, 1e3, -2.5E-2, 123456789012345678], "t": [true, false, null], "e": {}, "l": []}"#
        let fast = Self.sortedKeys(try JSONReader.parse(Data(text.utf8)))
        let slow = Self.convert(try JSONSerialization.jsonObject(with: Data(text.utf8)))
        #expect(fast == slow)
        #expect(fast["a"]?.string == "x\"\\/\u{8}\u{C}\n\r\t\u{E9}😀 é")
    }

    @Test(arguments: [
        ("", "end of file"), ("{", "end of file"), (#"{"a": [1, 2"#, "end of file"), (#"{"a" 1}"#, "expected ':'"),
        ("[1,]", "unexpected character"), ("[01]", "leading zero"), ("[1.]", "no digits"), ("tru", "end of file"),
        (#"["\ud800"]"#, "lone high surrogate"), (#"["\udc00"]"#, "lone low surrogate"), (#"["\q"]"#, "invalid escape"),
        ("[\"a\u{01}\"]", "control character"), ("[1] [2]", "after the JSON value"), ("nul", "end of file"),
        (#"{"a": 1,}"#, "expected a quoted key"), (#"["abc"#, "unterminated string"),
    ])
    func rejectsMalformedText(text: String, expected: String) {
        #expect { try JSONReader.parse(Data(text.utf8)) } throws: { error in
            (error as? JSONReader.SyntaxError)?.reason.contains(expected) ?? false
        }
    }

    @Test func positionsAreLineAndColumn() {
        let text = "{\n  \"a\": 1,\n  \"b\": ?\n}"
        #expect { try JSONReader.parse(Data(text.utf8)) } throws: { error in
            guard let e = error as? JSONReader.SyntaxError else { return false }
            return e.line == 3 && e.column == 8 && e.offset == 19
        }
    }

    @Test func invalidUTF8IsLocated() {
        var bytes = Array(#"{"ok": "fine", "bad": "ab"#.utf8)
        let offset = bytes.count
        bytes += [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect { try JSONReader.parse(Data(bytes)) } throws: { error in
            guard let e = error as? JSONReader.SyntaxError else { return false }
            return e.reason.contains("UTF-8") && e.offset == offset
        }
        // Overlong and surrogate encodings are not UTF-8 either.
        for bad: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
            #expect(throws: JSONReader.SyntaxError.self) { try JSONReader.parse(Data([0x22] + bad + [0x22])) }
        }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect { try JSONReader.parse(Data(deep.utf8)) } throws: { error in
            (error as? JSONReader.SyntaxError)?.reason.contains("nesting deeper") ?? false
        }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONReader.parse(Data(fine.utf8)) }
    }

    @Test func byteOrderMarkAndLastDuplicateKey() throws {
        let value = try JSONReader.parse(Data([0xEF, 0xBB, 0xBF] + Array(#"{"k": 1, "k": 2}"#.utf8)))
        #expect(value["k"] == .number(2))
    }
}
