import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes PNG, JPEG and TIFF files into ``RGBAImage``s, enforcing ``ImageLimits``.
///
/// The format is sniffed from the data's magic bytes. The C libraries behind it (libpng's
/// simplified API, TurboJPEG, libtiff) are kept silent: their messages end up in the thrown
/// ``ImageError``, never on stderr. All entry points are safe to call from several threads.
public enum ImageDecoder {
    /// Reads and decodes the image file at `url`.
    ///
    /// The file's size is checked against `limits.maxBytes` before it is read, and the header's
    /// dimensions against `limits.maxPixels` before any pixel buffer is allocated.
    /// - Throws: ``ImageError``, naming `url.path`.
    public static func decode(contentsOf url: URL, limits: ImageLimits = .default) throws -> RGBAImage {
        let data = try readFile(url, maxBytes: limits.maxBytes)
        return try decode(data: data, name: url.path, limits: limits)
    }

    /// Decodes an encoded image held in memory.
    ///
    /// - Parameters:
    ///   - data: the whole encoded file.
    ///   - name: the file's name or path, used only in errors.
    ///   - limits: the byte and pixel budgets.
    /// - Throws: ``ImageError``, naming `name`.
    public static func decode(data: Data, name: String, limits: ImageLimits = .default) throws -> RGBAImage {
        if data.isEmpty { throw ImageError.empty(path: name) }
        if data.count > limits.maxBytes {
            throw ImageError.tooManyBytes(path: name, size: data.count, limit: limits.maxBytes)
        }
        guard let format = ImageFormat.sniff(data) else { throw ImageError.unknownFormat(path: name) }
        switch format {
        case .png: return try PNGCodec.decode(data, name: name, limits: limits)
        case .jpeg: return try JPEGCodec.decode(data, name: name, limits: limits)
        case .tiff: return try TIFFCodec.decode(data, name: name, limits: limits)
        }
    }

    /// Reads only the header: the format and the image's dimensions.
    ///
    /// Cheap: no pixel is decoded and no pixel buffer is allocated. It does not apply the pixel
    /// budget, so a caller can report the size of an image it would refuse to decode.
    /// - Throws: ``ImageError`` when the data is empty, of an unknown format, or the header is
    ///   damaged, truncated or unsupported.
    public static func probe(data: Data, name: String) throws -> (format: ImageFormat, width: Int, height: Int) {
        if data.isEmpty { throw ImageError.empty(path: name) }
        guard let format = ImageFormat.sniff(data) else { throw ImageError.unknownFormat(path: name) }
        let size: (width: Int, height: Int)
        switch format {
        case .png: size = try PNGCodec.header(data, name: name)
        case .jpeg: size = try JPEGCodec.header(data, name: name).size
        case .tiff: size = try TIFFCodec.header(data, name: name)
        }
        return (format, size.width, size.height)
    }

    /// Throws ``ImageError/tooManyPixels(path:width:height:limit:)`` or a zero-size
    /// ``ImageError/corrupt(path:format:reason:)`` for dimensions read from a header.
    static func checkDimensions(width: Int, height: Int, format: ImageFormat, name: String, limits: ImageLimits) throws {
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(path: name, format: format, reason: "zero-size image (\(width)x\(height))")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > limits.maxPixels {
            throw ImageError.tooManyPixels(path: name, width: width, height: height, limit: limits.maxPixels)
        }
    }

    /// Reads a regular file whole, refusing it before reading when it is over `maxBytes`.
    static func readFile(_ url: URL, maxBytes: Int) throws -> Data {
        let path = url.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR { throw ImageError.unreadable(path: path, reason: "is a directory") }
        guard kind == S_IFREG else { throw ImageError.unreadable(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size > maxBytes { throw ImageError.tooManyBytes(path: path, size: size, limit: maxBytes) }
        if size == 0 { throw ImageError.empty(path: path) }

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // The file may change between stat and read: read at most maxBytes + 1 and re-check.
        var buffer = Data(count: min(size, maxBytes) + 1)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(fd, base + filled, raw.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
        }
        if filled > maxBytes { throw ImageError.tooManyBytes(path: path, size: filled, limit: maxBytes) }
        if filled == 0 { throw ImageError.empty(path: path) }
        buffer.count = filled
        return buffer
    }
}
