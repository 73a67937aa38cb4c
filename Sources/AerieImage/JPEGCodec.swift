import CTurboJPEG
import Foundation

/// JPEG decoding through the TurboJPEG API (libjpeg-turbo 2.1 on Debian 12: `tjDecompress2`;
/// the `tj3` API arrived in 3.0).
///
/// TurboJPEG installs its own libjpeg error manager that formats messages into the handle
/// instead of printing them, so nothing reaches stderr.
enum JPEGCodec {
    /// Decoding flags: stop at the first warning (a damaged file is refused, not half-decoded)
    /// and refuse progressive files with more than 500 scans (a known CPU-exhaustion attack).
    private static let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS

    /// A TurboJPEG decompressor, destroyed when the value is.
    private final class Decompressor {
        let handle: tjhandle
        init(name: String) throws {
            guard let handle = tjInitDecompress() else {
                throw ImageError.corrupt(path: name, format: .jpeg, reason: "cannot create a TurboJPEG decompressor")
            }
            self.handle = handle
        }
        deinit { tjDestroy(handle) }
    }

    struct Header {
        var size: (width: Int, height: Int)
        var colorspace: Int32
    }

    /// The dimensions and colour space from the frame header (SOF), without decoding any pixel.
    static func header(_ data: Data, name: String) throws -> Header {
        let decompressor = try Decompressor(name: name)
        return try data.withUnsafeBytes { raw in
            try header(raw, decompressor: decompressor, name: name)
        }
    }

    private static func header(_ raw: UnsafeRawBufferPointer, decompressor: Decompressor, name: String) throws -> Header {
        guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ImageError.empty(path: name)
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(decompressor.handle, base, UInt(raw.count),
                                  &width, &height, &subsampling, &colorspace) == 0 else {
            throw error(decompressor, raw, name: name)
        }
        guard width > 0, height > 0 else {
            // libjpeg treats running out of data before the frame header as a tables-only
            // stream and reports success with no size.
            if !endsWithEOI(raw) { throw ImageError.truncated(path: name, format: .jpeg) }
            throw ImageError.corrupt(path: name, format: .jpeg, reason: "no image frame (\(width)x\(height))")
        }
        return Header(size: (Int(width), Int(height)), colorspace: colorspace)
    }

    /// Decodes a baseline, extended or progressive JPEG (colour or greyscale) to RGBA8.
    ///
    /// CMYK and YCCK files are refused with ``ImageError/unsupported(path:format:reason:)``:
    /// converting inks to screen colours needs the file's colour profile to be right.
    static func decode(_ data: Data, name: String, limits: ImageLimits) throws -> RGBAImage {
        let decompressor = try Decompressor(name: name)
        return try data.withUnsafeBytes { raw -> RGBAImage in
            let header = try header(raw, decompressor: decompressor, name: name)
            if header.colorspace == Int32(TJCS_CMYK.rawValue) || header.colorspace == Int32(TJCS_YCCK.rawValue) {
                throw ImageError.unsupported(path: name, format: .jpeg, reason: "CMYK JPEG")
            }
            let (width, height) = header.size
            try ImageDecoder.checkDimensions(width: width, height: height, format: .jpeg, name: name, limits: limits)
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                throw ImageError.empty(path: name)
            }
            let count = width * height * 4
            var failed = false
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                // Zero first: on failure libjpeg may have written only some rows.
                buffer.initialize(repeating: 0)
                initialized = count
                failed = tjDecompress2(decompressor.handle, base, UInt(raw.count), buffer.baseAddress,
                                       Int32(width), 0, Int32(height), Int32(TJPF_RGBA.rawValue), flags) != 0
            }
            if failed { throw error(decompressor, raw, name: name) }
            return RGBAImage(width: width, height: height, pixels: pixels)
        }
    }

    /// Classifies TurboJPEG's last error: running out of data (libjpeg's "Premature end of JPEG
    /// file", or a file without its end-of-image marker) is truncation, anything else corruption.
    private static func error(_ decompressor: Decompressor, _ raw: UnsafeRawBufferPointer, name: String) -> ImageError {
        let message = tjGetErrorStr2(decompressor.handle).map { String(cString: $0) } ?? ""
        if message.contains("Premature end") || !endsWithEOI(raw) {
            return .truncated(path: name, format: .jpeg)
        }
        return .corrupt(path: name, format: .jpeg, reason: message.isEmpty ? "TurboJPEG failed without a message" : message)
    }

    /// Whether the data ends with the end-of-image marker, as every complete JPEG does.
    private static func endsWithEOI(_ raw: UnsafeRawBufferPointer) -> Bool {
        raw.count >= 2 && raw[raw.count - 2] == 0xFF && raw[raw.count - 1] == 0xD9
    }
}
