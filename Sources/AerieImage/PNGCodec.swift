import CPNG
import Foundation

/// PNG decoding and encoding through libpng's simplified API (`png_image_*`), which reports
/// errors through return codes and a message buffer instead of `setjmp`/`longjmp`, and never
/// prints.
enum PNGCodec {
    /// The PNG signature followed by the IHDR chunk's length and type: 8 + 4 + 4 bytes.
    private static let ihdrDataOffset = 16

    /// The IHDR fields the decoder needs before libpng runs.
    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var interlaced: Bool
    }

    /// The dimensions from the IHDR chunk, read directly from the bytes.
    static func header(_ data: Data, name: String) throws -> (width: Int, height: Int) {
        let header = try ihdr(data, name: name)
        return (header.width, header.height)
    }

    /// The IHDR chunk, read directly from the bytes.
    ///
    /// Reading IHDR ourselves lets the pixel budget be enforced before libpng sees the file at
    /// all; libpng validates the header again, fully, when decoding.
    static func ihdr(_ data: Data, name: String) throws -> Header {
        let bytes = data.prefix(ihdrDataOffset + 13)
        guard bytes.count == ihdrDataOffset + 13 else { throw ImageError.truncated(path: name, format: .png) }
        func uint32(at offset: Int) -> UInt32 {
            let base = bytes.startIndex + offset
            return bytes[base..<base + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        guard uint32(at: 8) == 13, uint32(at: 12) == 0x4948_4452 /* "IHDR" */ else {
            throw ImageError.corrupt(path: name, format: .png, reason: "the first chunk is not a valid IHDR")
        }
        // Check the CRC before trusting the dimensions: a damaged IHDR is corrupt, not a bomb.
        let crcOffset = ihdrDataOffset + 13
        if data.count >= crcOffset + 4 {
            let stored = data[(data.startIndex + crcOffset)..<(data.startIndex + crcOffset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let computed = crc32(data[(data.startIndex + 12)..<(data.startIndex + crcOffset)])
            guard stored == computed else {
                throw ImageError.corrupt(path: name, format: .png, reason: "IHDR: CRC error")
            }
        }
        let width = uint32(at: ihdrDataOffset), height = uint32(at: ihdrDataOffset + 4)
        // PNG dimensions are at most 2^31 - 1; larger values are invalid, not merely big.
        guard width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
            throw ImageError.corrupt(path: name, format: .png, reason: "IHDR dimensions \(width)x\(height) exceed the PNG maximum")
        }
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(path: name, format: .png, reason: "zero-size image (\(width)x\(height))")
        }
        let bitDepth = Int(bytes[bytes.startIndex + ihdrDataOffset + 8])
        let interlaced = bytes[bytes.startIndex + ihdrDataOffset + 12] != 0
        return Header(width: Int(width), height: Int(height), bitDepth: bitDepth, interlaced: interlaced)
    }

    /// Decodes any PNG (every colour type, bit depths 1 to 16, tRNS, Adam7) to RGBA8.
    ///
    /// 16-bit samples are reduced to 8 bits by libpng's `png_set_scale_16`, i.e.
    /// `round(v * 255 / 65535)`; they are taken as sRGB-encoded like 8-bit samples (flag
    /// `PNG_IMAGE_FLAG_16BIT_sRGB`), not as linear light, so no gamma curve is applied unless the
    /// file has a gAMA/sRGB/iCCP chunk that says otherwise.
    ///
    /// One exception: Debian 12's libpng (1.6.39-2+deb12u6) scrambles Adam7-interlaced 16-bit
    /// images read to 8 bits (libpng issue #853, in `png_image_read_direct_scaled`). Those are
    /// read as 16-bit linear premultiplied RGBA instead, which avoids the faulty path, and
    /// converted to 8-bit sRGB here; results match the rule above to within one level.
    static func decode(_ data: Data, name: String, limits: ImageLimits) throws -> RGBAImage {
        let header = try ihdr(data, name: name)
        try ImageDecoder.checkDimensions(width: header.width, height: header.height, format: .png, name: name, limits: limits)
        let avoidScaledInterlaceBug = header.bitDepth == 16 && header.interlaced

        return try data.withUnsafeBytes { raw -> RGBAImage in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            // Frees libpng's state on every path; a no-op once finish_read has freed it.
            defer { png_image_free(&image) }

            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw error(from: &image, data: raw, name: name)
            }
            let width = Int(image.width), height = Int(image.height)
            // libpng validated the IHDR itself; re-check in case it disagrees with our reading.
            try ImageDecoder.checkDimensions(width: width, height: height, format: .png, name: name, limits: limits)

            image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
            image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            let count = width * height * 4
            var failure: ImageError?
            if avoidScaledInterlaceBug {
                image.format |= UInt32(PNG_FORMAT_FLAG_LINEAR)
                var linear = [UInt16](repeating: 0, count: count)
                guard png_image_finish_read(&image, nil, &linear, 0, nil) != 0 else {
                    throw error(from: &image, data: raw, name: name)
                }
                return RGBAImage(width: width, height: height, pixels: sRGB8(fromPremultipliedLinear: linear))
            }
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                if png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil) != 0 {
                    initialized = count
                } else {
                    // Zero-fill so the array is fully initialised even on failure; it is discarded.
                    buffer.initialize(repeating: 0)
                    initialized = count
                    failure = error(from: &image, data: raw, name: name)
                }
            }
            if let failure { throw failure }
            return RGBAImage(width: width, height: height, pixels: pixels)
        }
    }

    /// Straight-alpha 8-bit sRGB from libpng's 16-bit linear output, whose colour channels are
    /// premultiplied by alpha.
    private static func sRGB8(fromPremultipliedLinear linear: [UInt16]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: linear.count)
        for i in stride(from: 0, to: linear.count, by: 4) {
            let alpha = Int(linear[i + 3])
            guard alpha > 0 else { continue }  // fully transparent: colour is meaningless, keep 0
            out[i + 3] = UInt8((alpha * 255 + 32_767) / 65_535)
            for c in 0..<3 {
                let straight = min(65_535, (Int(linear[i + c]) * 65_535 + alpha / 2) / alpha)
                out[i + c] = linearToSRGB8[straight]
            }
        }
        return out
    }

    /// 16-bit linear light to 8-bit sRGB-encoded, the inverse of the transfer libpng applies when
    /// it reads sRGB data to linear (a pure power law with exponent 2.2, libpng's sRGB gamma).
    private static let linearToSRGB8: [UInt8] = (0...65_535).map { value in
        let encoded = pow(Double(value) / 65_535, 1 / 2.2) * 255
        return UInt8(min(255, max(0, encoded.rounded())))
    }

    /// Encodes RGBA8 pixels as an 8-bit RGBA PNG.
    static func encode(_ rgba: RGBAImage, name: String) throws -> Data {
        guard rgba.width <= 0x7FFF_FFFF, rgba.height <= 0x7FFF_FFFF, rgba.width * 4 <= Int(Int32.max) else {
            throw ImageError.encodingFailed(path: name, reason: "image of \(rgba.width)x\(rgba.height) is too large for PNG")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(rgba.width)
        image.height = UInt32(rgba.height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        defer { png_image_free(&image) }

        // Deflate never grows data by more than a few bytes per 16 KiB block; leave generous room
        // so one pass almost always suffices, and retry with libpng's figure when it does not.
        let raw = rgba.height * (1 + rgba.width * 4)
        var capacity = raw + raw / 64 + 4096
        for _ in 0..<2 {
            var output = Data(count: capacity)
            var written = png_alloc_size_t(capacity)
            let ok = output.withUnsafeMutableBytes { out in
                rgba.pixels.withUnsafeBytes { pixels in
                    png_image_write_to_memory(&image, out.baseAddress, &written, 0, pixels.baseAddress, 0, nil)
                }
            }
            if ok != 0 {
                output.count = Int(written)
                return output
            }
            guard Int(written) > capacity else { break }
            capacity = Int(written)
            png_image_free(&image)
            image.warning_or_error = 0
        }
        throw ImageError.encodingFailed(path: name, reason: message(of: &image))
    }

    /// Classifies libpng's message: running out of data is truncation, anything else corruption.
    private static func error(from image: inout png_image, data: UnsafeRawBufferPointer, name: String) -> ImageError {
        let text = message(of: &image)
        // A file cut short loses its IEND chunk; libpng then fails in many different ways.
        if text.contains("beyond end of data") || !endsWithIEND(data) {
            return .truncated(path: name, format: .png)
        }
        return .corrupt(path: name, format: .png, reason: text.isEmpty ? "libpng failed without a message" : text)
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of PNG chunks (over type and data).
    private static func crc32(_ bytes: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// The last 12 bytes of every complete PNG: IEND's zero length, type and CRC.
    private static let iendChunk: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    private static func endsWithIEND(_ data: UnsafeRawBufferPointer) -> Bool {
        data.count >= iendChunk.count && data.suffix(iendChunk.count).elementsEqual(iendChunk)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

/// Writes ``RGBAImage``s as PNG files.
public enum PNGEncoder {
    /// Encodes `image` as an 8-bit RGBA PNG (libpng's `png_image_write_to_memory`).
    /// - Throws: ``ImageError/encodingFailed(path:reason:)`` if libpng fails.
    public static func encode(_ image: RGBAImage) throws -> Data {
        try PNGCodec.encode(image, name: "<memory>")
    }
}

extension RGBAImage {
    /// Writes the image to `url` as an 8-bit RGBA PNG, replacing any existing file atomically.
    /// - Throws: ``ImageError/encodingFailed(path:reason:)`` or ``ImageError/unreadable(path:reason:)``
    ///   when the file cannot be written.
    public func writePNG(to url: URL) throws {
        let data = try PNGCodec.encode(self, name: url.path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageError.encodingFailed(path: url.path, reason: "cannot write file: \(error.localizedDescription)")
        }
    }
}
