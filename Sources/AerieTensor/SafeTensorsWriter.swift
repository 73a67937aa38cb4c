import Foundation

/// Writes float32 tensors as a safetensors file (the format ``SafeTensorsFile`` reads): an 8-byte
/// little-endian header length, a JSON header, then the raw little-endian data.
public enum SafeTensorsWriter {
    /// How values are stored.
    public enum DType: String, Sendable {
        case f32 = "F32"
        /// IEEE half precision (values are rounded; ``SafeTensorsFile`` reads them back as float32).
        case f16 = "F16"

        var width: Int { self == .f32 ? 4 : 2 }
    }

    /// The file's bytes: `tensors` in name order, with string `metadata` under `__metadata__`.
    public static func data(tensors: [String: Tensor], metadata: [String: String] = [:], dtype: DType = .f32) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let bytes = tensor.count * dtype.width
            header[name] = ["dtype": dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            if dtype == .f16 {
                for value in tensor.data {
                    var bits = Float16(value).bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
                }
                continue
            }
            #if _endian(little)
            tensor.data.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for value in tensor.data {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
            }
            #endif
        }
        return out
    }

    /// Writes the file atomically (a temporary file renamed into place), so a crash never leaves
    /// a half-written file under `url`.
    public static func write(tensors: [String: Tensor], metadata: [String: String] = [:], dtype: DType = .f32, to url: URL) throws {
        try data(tensors: tensors, metadata: metadata, dtype: dtype).write(to: url, options: .atomic)
    }
}
