import Foundation

/// A JSON value as read by ``JSONReader``.
///
/// Objects keep their members in file order; looking a key up finds its last occurrence, as
/// most JSON readers do.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x == y
        default: false
        }
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var isObject: Bool { if case .object = self { true } else { false } }
    var isNull: Bool { self == .null }

    /// The value as an integer when it is a number with no fractional part that fits.
    var integer: Int? {
        guard case .number(let x) = self, x.rounded() == x, abs(x) < 9.0e15 else { return nil }
        return Int(x)
    }

    /// A JSON type name for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a JSON object (a struct, not a tuple: tuple arrays cost a metadata lookup each).
struct JSONMember: Sendable, Equatable {
    let key: String
    let value: JSONValue
}

/// A strict RFC 8259 JSON reader over UTF-8 bytes, several times faster than JSONSerialization.
///
/// It exists because caption files are read whole on every start-up (RSICD's is 6.6 MB) and
/// Foundation's reader bridges every value through Objective-C-style objects. Errors say what
/// was expected and where (line, column and byte offset); strings must be valid UTF-8 with
/// valid escapes; nesting deeper than ``maxDepth`` is refused rather than recursed into.
struct JSONReader {
    /// Why the bytes are not JSON.
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        let reason: String
        let offset: Int
        let line: Int
        let column: Int
        var description: String { "\(reason) at line \(line), column \(column) (byte \(offset))" }
    }

    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 512

    /// Parses one JSON document (a UTF-8 byte order mark is skipped).
    static func parse(_ data: Data) throws(SyntaxError) -> JSONValue {
        let result: Result<JSONValue, SyntaxError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = JSONReader(bytes: bytes)
            do throws(SyntaxError) {
                if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { reader.position = 3 }
                reader.skipSpace()
                let value = try reader.value(depth: 0)
                reader.skipSpace()
                if reader.position != bytes.count { throw reader.error("unexpected data after the JSON value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func error(_ reason: String, at offset: Int? = nil) -> SyntaxError {
        let at = min(offset ?? position, bytes.count)
        var line = 1, lineStart = 0
        for i in 0..<at where bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        return SyntaxError(reason: reason, offset: at, line: line, column: at - lineStart + 1)
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of file (truncated?)") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character \(describe(bytes[position]))")
        }
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of file (truncated?)") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
            throw error("invalid literal (expected \(word))")
        }
        position += count
    }

    private mutating func object(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        position += 1
        var members: [JSONMember] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipSpace()
            guard position < bytes.count else { throw error("unexpected end of file inside an object (truncated?)") }
            guard bytes[position] == UInt8(ascii: "\"") else { throw error("expected a quoted key, found \(describe(bytes[position]))") }
            let key = try string()
            skipSpace()
            guard position < bytes.count else { throw error("unexpected end of file inside an object (truncated?)") }
            guard bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
            position += 1
            skipSpace()
            members.append(JSONMember(key: key, value: try value(depth: depth)))
            skipSpace()
            guard position < bytes.count else { throw error("unexpected end of file inside an object (truncated?)") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw error("expected ',' or '}' in an object, found \(describe(bytes[position]))")
            }
        }
    }

    private mutating func array(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        position += 1
        var elements: [JSONValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            skipSpace()
            elements.append(try value(depth: depth))
            skipSpace()
            guard position < bytes.count else { throw error("unexpected end of file inside an array (truncated?)") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw error("expected ',' or ']' in an array, found \(describe(bytes[position]))")
            }
        }
    }

    private mutating func string() throws(SyntaxError) -> String {
        let open = position
        position += 1
        let start = position
        // Fast path: no escapes, so the bytes are the string. ASCII needs no UTF-8 validation.
        var high: UInt8 = 0
        while position < bytes.count {
            let b = bytes[position]
            high |= b
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                if high >= 0x80 {
                    let bad = invalidUTF8Offset(slice)
                    guard bad == slice.count else { throw error("invalid UTF-8 in a string", at: start + bad) }
                }
                return String(decoding: slice, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character \(describe(b)) in a string") }
            position += 1
        }
        guard position < bytes.count else { throw error("unterminated string", at: open) }
        // Slow path: copy with escapes decoded.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[start..<position])
        while position < bytes.count {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "\""):
                position += 1
                let bad = scratch.withUnsafeBufferPointer { invalidUTF8Offset($0) }
                guard bad == scratch.count else { throw error("invalid UTF-8 in a string", at: open) }
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw error("unterminated string", at: open) }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("lone high surrogate in a \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw error("lone low surrogate in a \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    scratch.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: position - 2)
                }
            default:
                if b < 0x20 { throw error("unescaped control character \(describe(b)) in a string") }
                scratch.append(b)
                position += 1
            }
        }
        throw error("unterminated string", at: open)
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    private mutating func number() throws(SyntaxError) -> Double {
        let start = position
        var integer = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        let intDigits = digits()
        guard intDigits > 0 else { throw error("invalid number") }
        if intDigits > 1 && bytes[position - intDigits] == UInt8(ascii: "0") { throw error("leading zero in a number", at: start) }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            integer = false
            position += 1
            guard digits() > 0 else { throw error("invalid number: no digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integer = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("invalid number: no digits in the exponent") }
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        if integer && intDigits <= 15 {
            var value = 0
            for b in slice where b != UInt8(ascii: "-") { value = value * 10 + Int(b - UInt8(ascii: "0")) }
            return Double(slice[0] == UInt8(ascii: "-") ? -value : value)
        }
        guard let value = Double(String(decoding: slice, as: UTF8.self)) else { throw error("invalid number", at: start) }
        return value
    }

    /// The offset of the first byte of `slice` that is not part of well-formed UTF-8.
    private func invalidUTF8Offset(_ slice: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i < slice.count {
            let b = slice[i]
            let (length, low, high): (Int, UInt8, UInt8) = switch b {
            case 0x00...0x7F: (1, 0x80, 0xBF)
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)          // no overlong forms
            case 0xED: (3, 0x80, 0x9F)          // no surrogates
            case 0xE1...0xEF: (3, 0x80, 0xBF)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)          // nothing above U+10FFFF
            default: (0, 0, 0)
            }
            guard length > 0, i + length <= slice.count else { return i }
            if length > 1 {
                guard (low...high).contains(slice[i + 1]) else { return i }
                for k in 2..<length where !(0x80...0xBF).contains(slice[i + k]) { return i }
            }
            i += length
        }
        return i
    }
}
