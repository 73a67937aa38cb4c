/// The eight symmetries of the square (the dihedral group D4) as image "views".
///
/// Aerial and satellite images have no "up": a scene rotated by a quarter turn or mirrored is the
/// same scene, so the joint space is trained on (and may average over) these views. The raw
/// values name the feature-cache files and the head card's `imageViews`; `center` is the image
/// itself (the name predates the other views).
public enum ImageView: String, CaseIterable, Sendable, Codable {
    case center, hflip, vflip, rot90, rot180, rot270, transpose, antitranspose

    /// Where output pixel `(x, y)` of a `w × h` view reads from in the source image, and the
    /// view's size. For quarter turns and transposes the view is `h × w`.
    /// - Complexity: O(1).
    @inline(__always)
    func source(x: Int, y: Int, width w: Int, height h: Int) -> (x: Int, y: Int) {
        switch self {
        case .center: return (x, y)
        case .hflip: return (w - 1 - x, y)
        case .vflip: return (x, h - 1 - y)
        case .rot180: return (w - 1 - x, h - 1 - y)
        // Output is h wide and w tall for the four below; (x, y) are output coordinates.
        case .rot90: return (y, h - 1 - x)           // quarter turn clockwise
        case .rot270: return (w - 1 - y, x)          // quarter turn counter-clockwise
        case .transpose: return (y, x)               // mirror about the main diagonal
        case .antitranspose: return (w - 1 - y, h - 1 - x)
        }
    }

    /// True when the view swaps width and height.
    public var swapsAxes: Bool {
        switch self {
        case .rot90, .rot270, .transpose, .antitranspose: return true
        default: return false
        }
    }
}

extension RGBAImage {
    /// The image seen in `view` (a copy; `.center` returns the image unchanged).
    /// - Complexity: O(width × height).
    public func view(_ view: ImageView) -> RGBAImage {
        guard view != .center else { return self }
        let outWidth = view.swapsAxes ? height : width, outHeight = view.swapsAxes ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let s = view.source(x: x, y: y, width: width, height: height)
                        let from = (s.y * width + s.x) * 4, to = (y * outWidth + x) * 4
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                        target[to + 3] = source[from + 3]
                    }
                }
            }
        }
        return RGBAImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// The image mirrored left to right.
    public func mirroredHorizontally() -> RGBAImage { view(.hflip) }
}
