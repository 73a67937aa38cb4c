import AerieCore
import Foundation

/// Errors reading or writing `.npy` files.
public enum NPYError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
        case let .malformed(path, reason): "\(path): not a float32 .npy file: \(reason)"
        }
    }
}

/// NumPy's `.npy` format (version 1.0) for little-endian float32 tensors in C order: the magic
/// `\x93NUMPY`, the version, a header length, a Python-literal header dict padded with spaces
/// to a multiple of 64 bytes and ending in a newline, then the raw values.
public enum NPY {
    /// The encoded bytes of `tensor`.
    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.data.withUnsafeBufferPointer { values in
            var littleEndian = [UInt32](repeating: 0, count: values.count)
            for i in values.indices { littleEndian[i] = values[i].bitPattern.littleEndian }
            littleEndian.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes `tensor` to `path` with ``OutputFile``: a regular file is replaced atomically, a
    /// link, FIFO or device is written through.
    ///
    /// - Throws: ``OutputError`` naming `path` (a full disk, a read-only folder, …).
    public static func write(_ tensor: Tensor, to path: String) throws(OutputError) {
        try OutputFile.write(encode(tensor), to: path)
    }

    /// Reads a little-endian float32, C-order `.npy` file.
    ///
    /// - Throws: ``NPYError`` when the file is unreadable or not such a file.
    public static func read(_ url: URL) throws -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NPYError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes `.npy` bytes; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw NPYError.malformed(path: path, reason: "bad magic")
        }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        guard major >= 1, major <= 3, bytes.count >= headerStart else {
            throw NPYError.malformed(path: path, reason: "unsupported version \(major)")
        }
        let length = major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard bytes.count >= headerStart + length,
              let header = String(bytes: bytes[headerStart ..< headerStart + length], encoding: .ascii)
        else { throw NPYError.malformed(path: path, reason: "truncated header") }
        guard header.contains("'descr': '<f4'") else {
            throw NPYError.malformed(path: path, reason: "dtype is not '<f4'")
        }
        guard header.contains("'fortran_order': False") else {
            throw NPYError.malformed(path: path, reason: "Fortran order is not supported")
        }
        guard let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw NPYError.malformed(path: path, reason: "no shape in header") }
        let fields = header[open.upperBound ..< close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var shape: [Int] = []
        for field in fields where !field.isEmpty {
            guard let d = Int(field), d >= 0 else { throw NPYError.malformed(path: path, reason: "bad shape \(fields)") }
            shape.append(d)
        }
        let count = shape.reduce(1, *)
        let start = headerStart + length
        guard bytes.count - start == count * 4 else {
            throw NPYError.malformed(path: path, reason: "\(bytes.count - start) data bytes for shape \(shape)")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = start + 4 * i
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            values[i] = Float(bitPattern: bits)
        }
        return Tensor(shape: shape, data: values)
    }
}
