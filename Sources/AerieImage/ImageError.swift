/// Why an image could not be read, decoded or encoded; every case names the file.
///
/// `path` is the file's path when decoding from a URL, or the name the caller gave with the data.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read (missing, a directory, permissions, I/O error).
    case unreadable(path: String, reason: String)
    /// The file has no bytes at all.
    case empty(path: String)
    /// The file is larger than ``ImageLimits/maxBytes``; it was not read.
    case tooManyBytes(path: String, size: Int, limit: Int)
    /// The header claims more pixels than ``ImageLimits/maxPixels``; nothing was allocated.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// The leading bytes match no supported format (PNG, JPEG, TIFF).
    case unknownFormat(path: String)
    /// The data ends before the image does.
    case truncated(path: String, format: ImageFormat)
    /// The data is damaged or invalid; `reason` is the decoder's own explanation.
    case corrupt(path: String, format: ImageFormat, reason: String)
    /// A valid file of a kind Aerie does not decode, e.g. a CMYK JPEG.
    case unsupported(path: String, format: ImageFormat, reason: String)
    /// Encoding an image failed.
    case encodingFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .unreadable(let path, _), .empty(let path), .tooManyBytes(let path, _, _),
             .tooManyPixels(let path, _, _, _), .unknownFormat(let path), .truncated(let path, _),
             .corrupt(let path, _, _), .unsupported(let path, _, _), .encodingFailed(let path, _):
            return path
        }
    }

    /// One line for a user. The path is raw: the CLI must sanitise it before printing.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .empty(let path):
            return "\(path): empty file"
        case .tooManyBytes(let path, let size, let limit):
            return "\(path): file is \(size) bytes, over the \(limit)-byte limit"
        case .tooManyPixels(let path, let width, let height, let limit):
            return "\(path): \(width)x\(height) image is over the \(limit)-pixel limit"
        case .unknownFormat(let path):
            return "\(path): not a PNG, JPEG or TIFF file"
        case .truncated(let path, let format):
            return "\(path): truncated \(format.displayName) file"
        case .corrupt(let path, let format, let reason):
            return "\(path): corrupt \(format.displayName) file: \(reason)"
        case .unsupported(let path, let format, let reason):
            return "\(path): unsupported \(format.displayName) file: \(reason)"
        case .encodingFailed(let path, let reason):
            return "\(path): cannot encode image: \(reason)"
        }
    }
}

extension ImageFormat {
    /// The format's usual name, for messages.
    var displayName: String {
        switch self {
        case .png: return "PNG"
        case .jpeg: return "JPEG"
        case .tiff: return "TIFF"
        }
    }
}
