import CTIFF
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TIFF decoding through libtiff, reading from memory with `TIFFClientOpenExt`.
///
/// Supports whatever libtiff's RGBA interface does: uncompressed, PackBits, LZW, Deflate, JPEG
/// compression; strips and tiles; 1 to 16 bits per sample; greyscale, palette, RGB(A), and more.
/// Only the first image (directory) of a multi-page file is decoded. libtiff's error and
/// warning handlers are replaced per file: errors are captured into the thrown ``ImageError``
/// and warnings (unknown tags and the like) are dropped, so nothing is printed.
enum TIFFCodec {
    /// The dimensions from the first directory, without decoding any pixel.
    static func header(_ data: Data, name: String) throws -> (width: Int, height: Int) {
        try data.withUnsafeBytes { raw in
            try withOpenTIFF(raw, name: name, maxAllocation: 0) { tif, _ in
                try dimensions(tif, name: name)
            }
        }
    }

    /// Decodes the first image of a TIFF file to RGBA8, in top-left-origin row order.
    static func decode(_ data: Data, name: String, limits: ImageLimits) throws -> RGBAImage {
        // Bounds any single allocation libtiff makes (strip buffers of a lying header included)
        // to what an image within the pixel budget could need.
        let maxAllocation = limits.maxPixels.multipliedReportingOverflow(by: 8).overflow
            ? Int.max : max(limits.maxPixels * 8, 16 << 20)
        return try data.withUnsafeBytes { raw in
            try withOpenTIFF(raw, name: name, maxAllocation: maxAllocation) { tif, stream in
                let (width, height) = try dimensions(tif, name: name)
                try ImageDecoder.checkDimensions(width: width, height: height, format: .tiff, name: name, limits: limits)
                return try readRGBA(tif, width: width, height: height, stream: stream, name: name)
            }
        }
    }

    private static func dimensions(_ tif: OpaquePointer, name: String) throws -> (width: Int, height: Int) {
        var width: UInt32 = 0, height: UInt32 = 0
        let hasWidth = withUnsafeMutablePointer(to: &width) { pointer in
            withVaList([pointer]) { TIFFVGetField(tif, UInt32(TIFFTAG_IMAGEWIDTH), $0) }
        }
        let hasHeight = withUnsafeMutablePointer(to: &height) { pointer in
            withVaList([pointer]) { TIFFVGetField(tif, UInt32(TIFFTAG_IMAGELENGTH), $0) }
        }
        guard hasWidth != 0, hasHeight != 0 else {
            throw ImageError.corrupt(path: name, format: .tiff, reason: "no ImageWidth/ImageLength tag")
        }
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(path: name, format: .tiff, reason: "zero-size image (\(width)x\(height))")
        }
        return (Int(width), Int(height))
    }

    private static func readRGBA(_ tif: OpaquePointer, width: Int, height: Int,
                                 stream: MemoryStream, name: String) throws -> RGBAImage {
        var message = [CChar](repeating: 0, count: 1024)
        guard TIFFRGBAImageOK(tif, &message) != 0 else {
            throw ImageError.unsupported(path: name, format: .tiff, reason: cString(message))
        }
        var state = TIFFRGBAImage()
        guard TIFFRGBAImageBegin(&state, tif, 1, &message) != 0 else {
            throw stream.error(name: name, fallback: cString(message))
        }
        defer { TIFFRGBAImageEnd(&state) }
        state.req_orientation = UInt16(ORIENTATION_TOPLEFT)

        let count = width * height * 4
        var ok = false
        var pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)
            initialized = count
            // libtiff writes one packed UInt32 per pixel, R in the low byte: in little-endian
            // memory that is already R, G, B, A. Array storage is malloc-aligned (16 bytes).
            guard let base = UnsafeMutableRawPointer(buffer.baseAddress),
                  Int(bitPattern: base) % MemoryLayout<UInt32>.alignment == 0 else { return }
            let raster = base.assumingMemoryBound(to: UInt32.self)
            ok = TIFFRGBAImageGet(&state, raster, UInt32(width), UInt32(height)) != 0
            if ok && UInt32(1).bigEndian == 1 {
                for i in 0..<(width * height) { raster[i] = raster[i].byteSwapped }
            }
        }
        guard ok else { throw stream.error(name: name, fallback: "cannot read the image data") }
        // libtiff's RGBA interface premultiplies unassociated alpha (and passes associated alpha
        // through); RGBAImage holds straight alpha.
        if state.alpha != 0 { pixels = Self.unpremultiplied(pixels) }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// Divides colour by alpha, rounding to nearest; fully transparent pixels keep their bytes.
    private static func unpremultiplied(_ pixels: [UInt8]) -> [UInt8] {
        var out = pixels
        for i in stride(from: 0, to: out.count, by: 4) {
            let alpha = Int(out[i + 3])
            guard alpha > 0 && alpha < 255 else { continue }
            for c in 0..<3 {
                out[i + c] = UInt8(min(255, (Int(out[i + c]) * 255 + alpha / 2) / alpha))
            }
        }
        return out
    }

    /// Opens `raw` as a TIFF, runs `body` on it and closes it, turning open failures into errors.
    private static func withOpenTIFF<T>(_ raw: UnsafeRawBufferPointer, name: String, maxAllocation: Int,
                                        _ body: (OpaquePointer, MemoryStream) throws -> T) throws -> T {
        silenceGlobalHandlers
        guard let base = raw.baseAddress else { throw ImageError.empty(path: name) }
        let stream = MemoryStream(base: base, count: raw.count)
        let handle = Unmanaged.passRetained(stream)
        defer { handle.release() }

        guard let options = TIFFOpenOptionsAlloc() else {
            throw ImageError.corrupt(path: name, format: .tiff, reason: "cannot allocate libtiff options")
        }
        defer { TIFFOpenOptionsFree(options) }
        TIFFOpenOptionsSetErrorHandlerExtR(options, captureError, handle.toOpaque())
        TIFFOpenOptionsSetWarningHandlerExtR(options, dropWarning, handle.toOpaque())
        if maxAllocation > 0 { TIFFOpenOptionsSetMaxSingleMemAlloc(options, tmsize_t(maxAllocation)) }

        guard let tif = TIFFClientOpenExt(name, "r", handle.toOpaque(),
                                          streamRead, streamWrite, streamSeek, streamClose,
                                          streamSize, streamMap, streamUnmap, options) else {
            throw stream.error(name: name, fallback: "not a valid TIFF file")
        }
        defer { TIFFClose(tif) }
        return try body(tif, stream)
    }

    /// Errors libtiff reports without a file handle (before one exists) go to the global
    /// handlers; a nil handler makes libtiff drop them instead of printing to stderr.
    private static let silenceGlobalHandlers: Void = {
        TIFFSetErrorHandler(nil)
        TIFFSetWarningHandler(nil)
    }()
}

/// The encoded bytes libtiff reads through its client callbacks, and the errors it reported.
private final class MemoryStream {
    let base: UnsafeRawPointer
    let count: Int
    var offset = 0
    var errors: [String] = []

    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    /// Truncation when libtiff ran out of data, corruption otherwise.
    func error(name: String, fallback: String) -> ImageError {
        let text = errors.first ?? fallback
        let lowered = errors.joined(separator: " ").lowercased()
        let ranOut = ["read error", "io error", "cannot read", "can not read", "end of file", "beyond end", "past end", "not enough data", "incorrect count"]
        if ranOut.contains(where: lowered.contains) {
            return .truncated(path: name, format: .tiff)
        }
        return .corrupt(path: name, format: .tiff, reason: text)
    }

    static func from(_ handle: thandle_t?) -> MemoryStream? {
        handle.map { Unmanaged<MemoryStream>.fromOpaque($0).takeUnretainedValue() }
    }
}

private func captureError(_ tif: OpaquePointer?, _ userData: UnsafeMutableRawPointer?,
                          _ module: UnsafePointer<CChar>?, _ format: UnsafePointer<CChar>?,
                          _ arguments: CVaListPointer?) -> Int32 {
    guard let stream = MemoryStream.from(userData), let format, let arguments else { return 1 }
    var buffer = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    let text = cString(buffer)
    let prefix = module.map { String(cString: $0) } ?? ""
    // The module is often the file name, which the thrown error names already.
    if stream.errors.count < 8 { stream.errors.append(prefix.isEmpty || prefix.hasPrefix("/") ? text : "\(prefix): \(text)") }
    return 1
}

private func dropWarning(_ tif: OpaquePointer?, _ userData: UnsafeMutableRawPointer?,
                         _ module: UnsafePointer<CChar>?, _ format: UnsafePointer<CChar>?,
                         _ arguments: CVaListPointer?) -> Int32 {
    1
}

private func streamRead(_ handle: thandle_t?, _ buffer: UnsafeMutableRawPointer?, _ size: tmsize_t) -> tmsize_t {
    guard let stream = MemoryStream.from(handle), let buffer, size > 0 else { return 0 }
    let available = max(0, stream.count - stream.offset)
    let n = min(Int(size), available)
    if n > 0 { buffer.copyMemory(from: stream.base + stream.offset, byteCount: n) }
    stream.offset += n
    return tmsize_t(n)
}

private func streamWrite(_ handle: thandle_t?, _ buffer: UnsafeMutableRawPointer?, _ size: tmsize_t) -> tmsize_t {
    0  // read-only
}

private func streamSeek(_ handle: thandle_t?, _ offset: toff_t, _ whence: Int32) -> toff_t {
    guard let stream = MemoryStream.from(handle) else { return toff_t.max }
    let origin: Int
    switch whence {
    case SEEK_SET: origin = 0
    case SEEK_CUR: origin = stream.offset
    case SEEK_END: origin = stream.count
    default: return toff_t.max
    }
    // Offsets come from the file; refuse ones that do not fit rather than wrap.
    guard offset <= toff_t(Int.max - origin) else { return toff_t.max }
    stream.offset = origin + Int(offset)
    return toff_t(stream.offset)
}

private func streamClose(_ handle: thandle_t?) -> Int32 { 0 }

private func streamSize(_ handle: thandle_t?) -> toff_t {
    MemoryStream.from(handle).map { toff_t($0.count) } ?? 0
}

private func streamMap(_ handle: thandle_t?, _ base: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                       _ size: UnsafeMutablePointer<toff_t>?) -> Int32 {
    // libtiff only reads through the mapping when the file is opened read-only.
    guard let stream = MemoryStream.from(handle), let base, let size else { return 0 }
    base.pointee = UnsafeMutableRawPointer(mutating: stream.base)
    size.pointee = toff_t(stream.count)
    return 1
}

private func streamUnmap(_ handle: thandle_t?, _ base: UnsafeMutableRawPointer?, _ size: toff_t) {}

/// The text of a NUL-terminated C buffer.
private func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
