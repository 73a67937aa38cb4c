import Foundation

/// An image container format Aerie decodes, recognised by its magic bytes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png
    case jpeg
    case tiff

    /// The format whose signature `data` begins with, or `nil` when none matches.
    ///
    /// Only the leading bytes decide: a file's extension is never consulted, so a JPEG named
    /// `scene.tif` decodes as the JPEG it is.
    public static func sniff(_ data: Data) -> ImageFormat? {
        sniff(prefix: data.prefix(8))
    }

    /// Matches the first bytes of a file (at least 8 when the file has them).
    static func sniff<Bytes: Collection>(prefix: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        let head = Array(prefix.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        // Classic TIFF ("II*\0" / "MM\0*") and BigTIFF ("II+\0" / "MM\0+").
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || head.starts(with: [0x49, 0x49, 0x2B, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2B]) {
            return .tiff
        }
        return nil
    }
}

/// Budgets a decoder enforces before it commits memory to a file.
///
/// Both are checked before the expensive step: the byte budget against the file's size before it
/// is read, the pixel budget against the header's dimensions before any pixel buffer is
/// allocated (a 100-byte PNG can claim 100000x100000 pixels: a decompression bomb).
public struct ImageLimits: Sendable, Equatable {
    /// The most pixels (`width * height`) an image may have; default 64 Mpx.
    public var maxPixels: Int
    /// The largest encoded file, in bytes; default 256 MiB.
    public var maxBytes: Int

    public init(maxPixels: Int = 64_000_000, maxBytes: Int = 256 << 20) {
        precondition(maxPixels > 0 && maxBytes > 0, "image limits must be positive")
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }

    /// 64 Mpx and 256 MiB.
    public static let `default` = ImageLimits()
}
