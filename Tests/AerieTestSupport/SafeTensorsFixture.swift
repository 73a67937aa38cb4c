import Foundation

/// Hand-made safetensors bytes for tests of the reader, including headers no writer would make.
public enum SafeTensorsFixture {
    /// The 8-byte little-endian length of `json`, `json`, then `payloadBytes` zero bytes.
    public static func data(header json: String, payloadBytes: Int) -> Data {
        let header = Data(json.utf8)
        var data = Data()
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(header)
        data.append(Data(count: payloadBytes))
        return data
    }
}
