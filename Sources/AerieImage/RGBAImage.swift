/// An 8-bit RGBA image in row-major order, the one pixel type every decoder produces.
///
/// Pixels are stored as `width * height * 4` bytes: red, green, blue, alpha, left to right and
/// top to bottom. Alpha is straight (not premultiplied).
public struct RGBAImage: Sendable, Equatable {
    /// Width in pixels, at least 1.
    public let width: Int
    /// Height in pixels, at least 1.
    public let height: Int
    /// `width * height * 4` bytes, RGBA per pixel.
    public var pixels: [UInt8]

    /// Wraps existing pixel bytes.
    ///
    /// - Precondition: `width` and `height` are positive and `pixels.count == width * height * 4`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image dimensions must be positive, got \(width)x\(height)")
        precondition(pixels.count == width * height * 4,
                     "expected \(width * height * 4) RGBA bytes for \(width)x\(height), got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) = (0, 0, 0, 255)) {
        precondition(width > 0 && height > 0, "image dimensions must be positive, got \(width)x\(height)")
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) {
            pixels[i] = fill.r; pixels[i + 1] = fill.g; pixels[i + 2] = fill.b; pixels[i + 3] = fill.a
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The RGBA bytes of the pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        get {
            let i = (y * width + x) * 4
            return (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
        }
        set {
            let i = (y * width + x) * 4
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b; pixels[i + 3] = newValue.a
        }
    }
}
