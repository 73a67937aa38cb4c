import Foundation

/// Errors reading a safetensors file. Each case names the file and what is wrong with it.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case truncated(path: String, expected: Int, actual: Int)
    case badHeader(path: String, reason: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case missingTensor(path: String, name: String)
    case shapeMismatch(path: String, name: String, expected: [Int], actual: [Int])
    /// A tensor's shape holds more elements than any file could (the product overflows).
    case impossibleShape(path: String, tensor: String, shape: [String])
    /// A floating-point tensor holds NaN or infinity (damaged or crafted weights).
    case nonFinite(path: String, tensor: String, index: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
        case let .truncated(path, expected, actual): "\(path): truncated: needs \(expected) bytes, has \(actual)"
        case let .badHeader(path, reason): "\(path): not a safetensors file: \(reason)"
        case let .unsupportedDType(path, tensor, dtype): "\(path): tensor \(tensor) has unsupported dtype \(dtype)"
        case let .missingTensor(path, name): "\(path): tensor \(name) is missing"
        case let .shapeMismatch(path, name, expected, actual):
            "\(path): tensor \(name) has shape \(actual), expected \(expected)"
        case let .impossibleShape(path, tensor, shape):
            "\(path): tensor \(tensor) claims shape [\(shape.joined(separator: ", "))], more elements than the file holds (the file is damaged: reinstall or re-create it)"
        case let .nonFinite(path, tensor, index):
            "\(path): tensor \(tensor) holds a NaN or infinite value at element \(index) (the file is damaged: reinstall or re-create it)"
        }
    }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// Supported dtypes: F32, F16 and BF16 (converted to float32 on access), I64 and I32 (converted
/// to float32; used only for small index tensors such as position ids).
public struct SafeTensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        public var byteRange: Range<Int>
    }

    /// The file this was read from, for error messages.
    public let path: String
    /// Tensor entries by name.
    public let entries: [String: Entry]
    /// Free-form string metadata from the header's `__metadata__` entry.
    public let metadata: [String: String]
    private let payload: Data

    /// Names of every tensor, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Reads and validates a safetensors file.
    ///
    /// - Throws: ``SafeTensorsError`` when the file is missing, truncated or malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: url.path)
    }

    /// Parses safetensors bytes already in memory.
    public init(data: Data, path: String) throws {
        self.path = path
        guard data.count >= 8 else {
            throw SafeTensorsError.truncated(path: path, expected: 8, actual: data.count)
        }
        var headerLength: UInt64 = 0
        for i in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(data[data.startIndex + i]) }
        guard headerLength <= 100_000_000 else {
            throw SafeTensorsError.badHeader(path: path, reason: "header length \(headerLength) is implausible")
        }
        let headerEnd = 8 + Int(headerLength)
        guard data.count >= headerEnd else {
            throw SafeTensorsError.truncated(path: path, expected: headerEnd, actual: data.count)
        }
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + headerEnd)
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw SafeTensorsError.badHeader(path: path, reason: "header is not a JSON object")
        }
        let payloadLength = data.count - headerEnd
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                if let meta = value as? [String: String] { metadata = meta }
                continue
            }
            guard let fields = value as? [String: Any],
                  let dtype = fields["dtype"] as? String,
                  let rawShape = fields["shape"] as? [Any],
                  let rawOffsets = fields["data_offsets"] as? [Any]
            else {
                throw SafeTensorsError.badHeader(path: path, reason: "entry \(name) lacks dtype, shape or data_offsets")
            }
            // Every dimension and offset must be an exact non-negative integer: a value that is
            // not one is an error, never dropped or rounded.
            guard let shape = Self.naturals(rawShape), let offsets = Self.naturals(rawOffsets), offsets.count == 2 else {
                throw SafeTensorsError.badHeader(path: path, reason: "entry \(name): shape or data_offsets are not non-negative integers")
            }
            guard let width = Self.byteWidth(dtype) else {
                throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtype)
            }
            let begin = offsets[0], end = offsets[1]
            // Checked products: a crafted shape such as [2^62, 2^62] must not overflow.
            guard let bytes = Self.checkedByteCount(shape: shape, width: width) else {
                throw SafeTensorsError.impossibleShape(path: path, tensor: name, shape: shape.map(String.init))
            }
            guard end >= begin, end - begin == bytes else {
                throw SafeTensorsError.badHeader(
                    path: path, reason: "entry \(name): offsets \(offsets) do not fit shape \(shape) of \(dtype)")
            }
            guard end <= payloadLength else {
                throw SafeTensorsError.truncated(path: path, expected: headerEnd + end, actual: data.count)
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
        self.payload = data.subdata(in: data.startIndex + headerEnd ..< data.endIndex)
    }

    /// The values of `raw` as non-negative `Int`s, or nil when one is not an exact one.
    private static func naturals(_ raw: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in raw {
            guard let number = value as? NSNumber,
                  let int = Int(exactly: number.doubleValue), int >= 0, number.int64Value == Int64(int) else { return nil }
            result.append(int)
        }
        return result
    }

    /// `width × ∏ shape` in bytes, or nil when the product overflows.
    static func checkedByteCount(shape: [Int], width: Int) -> Int? {
        var product = width
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    private static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32": 4
        case "F16", "BF16": 2
        case "I64": 8
        default: nil
        }
    }

    /// The tensor called `name`, converted to float32.
    ///
    /// - Parameter expectedShape: when given, the tensor's shape must equal it.
    /// - Throws: ``SafeTensorsError/missingTensor(path:name:)``,
    ///   ``SafeTensorsError/shapeMismatch(path:name:expected:actual:)``, or
    ///   ``SafeTensorsError/nonFinite(path:tensor:index:)`` when a float tensor holds NaN or infinity.
    public func tensor(_ name: String, shape expectedShape: [Int]? = nil) throws -> Tensor {
        guard let entry = entries[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        if let expectedShape, expectedShape != entry.shape {
            throw SafeTensorsError.shapeMismatch(path: path, name: name, expected: expectedShape, actual: entry.shape)
        }
        let count = entry.shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        payload.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
            switch entry.dtype {
            case "F32":
                #if _endian(little)
                // Same layout as in memory: one copy (loading 23M floats one by one is slow in debug builds).
                values.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
                #else
                for i in 0..<count { values[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian) }
                #endif
            case "F16":
                for i in 0..<count {
                    let bits = bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian
                    values[i] = Float(Float16(bitPattern: bits))
                }
            case "BF16":
                for i in 0..<count {
                    let bits = bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian
                    values[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case "I32":
                for i in 0..<count { values[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))) }
            case "I64":
                for i in 0..<count { values[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))) }
            default:
                break  // unreachable: init rejects other dtypes
            }
        }
        if entry.dtype.hasPrefix("F") || entry.dtype == "BF16", let bad = BLAS.firstNonFinite(values) {
            throw SafeTensorsError.nonFinite(path: path, tensor: name, index: bad)
        }
        return Tensor(shape: entry.shape, data: values)
    }
}
