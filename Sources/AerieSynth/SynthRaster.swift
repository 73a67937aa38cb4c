import AerieCore
import Foundation

/// A point or vector in scene units (the image spans 0…1 on both axes, y down).
public struct Vec2: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x + b.x, a.y + b.y) }
    static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x - b.x, a.y - b.y) }
    static func * (a: Vec2, s: Double) -> Vec2 { Vec2(a.x * s, a.y * s) }
    var length: Double { (x * x + y * y).squareRoot() }
    var normalized: Vec2 { let l = length; return l > 0 ? Vec2(x / l, y / l) : Vec2(0, 0) }
    /// The vector turned a quarter turn (left of the direction of travel, y down).
    var perpendicular: Vec2 { Vec2(-y, x) }

    func rotated(by angle: Double, around center: Vec2) -> Vec2 {
        let c = cos(angle), s = sin(angle)
        let d = self - center
        return Vec2(center.x + d.x * c - d.y * s, center.y + d.x * s + d.y * c)
    }
}

/// An sRGB colour with components in 0…1.
public struct RGB: Sendable, Equatable {
    public var r: Float
    public var g: Float
    public var b: Float
    public init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }
    /// From 0…255 components.
    init(hex r: Int, _ g: Int, _ b: Int) { self.init(Float(r) / 255, Float(g) / 255, Float(b) / 255) }

    func scaled(_ s: Float) -> RGB { RGB(r * s, g * s, b * s) }
    func mixed(with o: RGB, _ t: Float) -> RGB { RGB(r + (o.r - r) * t, g + (o.g - g) * t, b + (o.b - b) * t) }
}

/// How a shape is filled: a colour, optionally modulated by value noise.
struct Paint: Sendable {
    var color: RGB
    /// Opacity, 0…1.
    var alpha: Float = 1
    /// Relative brightness variation from noise (0 = flat).
    var texture: Float = 0
    /// Noise features per image width.
    var grain: Double = 24

    static func flat(_ c: RGB, alpha: Float = 1) -> Paint { Paint(color: c, alpha: alpha) }
    static func textured(_ c: RGB, _ amount: Float, grain: Double = 24) -> Paint {
        Paint(color: c, texture: amount, grain: grain)
    }
}

/// Smooth 2-D value noise: random values on an integer lattice, blended with a smoothstep.
///
/// Hash-based, so any point is computed independently of any other and the same seed gives the
/// same field on every run.
struct ValueNoise: Sendable {
    let seed: UInt64

    func lattice(_ ix: Int, _ iy: Int) -> Float {
        var h = seed ^ (UInt64(bitPattern: Int64(ix)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= UInt64(bitPattern: Int64(iy)) &* 0xC2B2_AE3D_27D4_EB4F
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return Float(h & 0xFF_FFFF) / Float(0x100_0000)
    }

    /// Noise in 0…1 at `(x, y)` in lattice units.
    func value(_ x: Double, _ y: Double) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int(fx), iy = Int(fy)
        let tx = Float(x - fx), ty = Float(y - fy)
        let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy), b = lattice(ix + 1, iy)
        let c = lattice(ix, iy + 1), d = lattice(ix + 1, iy + 1)
        let top = a + (b - a) * sx, bottom = c + (d - c) * sx
        return top + (bottom - top) * sy
    }

    /// Fractal sum of `octaves` layers, each twice as fine and half as strong; 0…1.
    func fbm(_ x: Double, _ y: Double, octaves: Int) -> Float {
        var sum: Float = 0, amplitude: Float = 0.5, total: Float = 0
        var fx = x, fy = y
        for _ in 0..<octaves {
            sum += amplitude * value(fx, fy)
            total += amplitude
            amplitude *= 0.5
            fx *= 2; fy *= 2
        }
        return sum / total
    }
}

/// A square RGB float canvas with an anti-aliased rasteriser for polygons and circles.
///
/// Shapes are given in scene units and scaled to pixels. Polygons are scan-converted with four
/// sub-scanlines per pixel and exact horizontal span coverage (even-odd rule, any shape);
/// circles use their analytic edge distance. Every fill is one pass of "over" blending.
struct Canvas {
    let size: Int
    private(set) var pixels: [Float]
    let noise: ValueNoise

    /// Sub-scanlines per pixel row for polygon coverage.
    static let subsamples = 4

    init(size: Int, noiseSeed: UInt64) {
        precondition(size > 0, "canvas size must be positive")
        self.size = size
        pixels = [Float](repeating: 0, count: size * size * 3)
        noise = ValueNoise(seed: noiseSeed)
    }

    /// The colour of `paint` at pixel `(x, y)`.
    @inline(__always)
    func shade(_ paint: Paint, _ x: Int, _ y: Int) -> RGB {
        guard paint.texture != 0 else { return paint.color }
        let scale = paint.grain / Double(size)
        let n = noise.fbm(Double(x) * scale, Double(y) * scale, octaves: 2)
        return paint.color.scaled(1 + paint.texture * (n - 0.5) * 2)
    }

    @inline(__always)
    mutating func blend(_ x: Int, _ y: Int, _ c: RGB, _ a: Float) {
        let i = (y * size + x) * 3
        pixels[i] += (c.r - pixels[i]) * a
        pixels[i + 1] += (c.g - pixels[i + 1]) * a
        pixels[i + 2] += (c.b - pixels[i + 2]) * a
    }

    /// Fills the whole canvas with a colour modulated by multi-octave noise.
    mutating func fillGround(_ color: RGB, texture: Float, grain: Double, octaves: Int = 4,
                             second: RGB? = nil, patchiness: Double = 3) {
        let scale = grain / Double(size)
        let patchScale = patchiness / Double(size)
        for y in 0..<size {
            for x in 0..<size {
                var c = color
                if let second {
                    let t = noise.fbm(Double(x) * patchScale + 17.3, Double(y) * patchScale + 5.1, octaves: 3)
                    c = color.mixed(with: second, min(max((t - 0.35) * 2.5, 0), 1))
                }
                let n = noise.fbm(Double(x) * scale, Double(y) * scale, octaves: octaves)
                c = c.scaled(1 + texture * (n - 0.5) * 2)
                let i = (y * size + x) * 3
                pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
            }
        }
    }

    /// Fills a polygon (scene units, any shape, even-odd rule) with anti-aliased edges.
    mutating func fill(_ polygon: [Vec2], _ paint: Paint) {
        guard polygon.count >= 3 else { return }
        let s = Double(size)
        let points = polygon.map { Vec2($0.x * s, $0.y * s) }
        var minY = Double.infinity, maxY = -Double.infinity, minX = Double.infinity, maxX = -Double.infinity
        for p in points { minY = min(minY, p.y); maxY = max(maxY, p.y); minX = min(minX, p.x); maxX = max(maxX, p.x) }
        let y0 = max(0, Int(minY.rounded(.down))), y1 = min(size - 1, Int(maxY.rounded(.up)))
        let x0 = max(0, Int(minX.rounded(.down))), x1 = min(size - 1, Int(maxX.rounded(.up)))
        guard y0 <= y1, x0 <= x1 else { return }
        let width = x1 - x0 + 1
        var coverage = [Float](repeating: 0, count: width)
        var crossings: [Double] = []
        crossings.reserveCapacity(8)
        let weight = 1 / Float(Self.subsamples)
        for py in y0...y1 {
            for i in 0..<width { coverage[i] = 0 }
            var touched = false
            for sub in 0..<Self.subsamples {
                let sy = Double(py) + (Double(sub) + 0.5) / Double(Self.subsamples)
                crossings.removeAll(keepingCapacity: true)
                var j = points.count - 1
                for i in 0..<points.count {
                    let a = points[j], b = points[i]
                    if (a.y <= sy) != (b.y <= sy) {
                        crossings.append(a.x + (sy - a.y) / (b.y - a.y) * (b.x - a.x))
                    }
                    j = i
                }
                guard crossings.count >= 2 else { continue }
                crossings.sort()
                var k = 0
                while k + 1 < crossings.count {
                    let left = max(crossings[k], Double(x0)), right = min(crossings[k + 1], Double(x1 + 1))
                    k += 2
                    guard left < right else { continue }
                    touched = true
                    let first = Int(left.rounded(.down)), last = min(Int(right.rounded(.down)), x1)
                    for px in first...last {
                        let covered = min(right, Double(px + 1)) - max(left, Double(px))
                        if covered > 0 { coverage[px - x0] += Float(covered) * weight }
                    }
                }
            }
            guard touched else { continue }
            for i in 0..<width where coverage[i] > 0 {
                let x = x0 + i
                blend(x, py, shade(paint, x, py), min(coverage[i], 1) * paint.alpha)
            }
        }
    }

    /// Fills a circle (scene units) with an anti-aliased edge.
    mutating func fillCircle(_ center: Vec2, radius: Double, _ paint: Paint) {
        let s = Double(size)
        let cx = center.x * s, cy = center.y * s, r = radius * s
        guard r > 0 else { return }
        let y0 = max(0, Int((cy - r - 1).rounded(.down))), y1 = min(size - 1, Int((cy + r + 1).rounded(.up)))
        let x0 = max(0, Int((cx - r - 1).rounded(.down))), x1 = min(size - 1, Int((cx + r + 1).rounded(.up)))
        guard y0 <= y1, x0 <= x1 else { return }
        for py in y0...y1 {
            for px in x0...x1 {
                let dx = Double(px) + 0.5 - cx, dy = Double(py) + 0.5 - cy
                let d = (dx * dx + dy * dy).squareRoot()
                // Sub-pixel circles keep their area: coverage is scaled down rather than vanishing.
                let cover = r >= 0.5 ? min(max(r - d + 0.5, 0), 1) : max(0, 1 - d) * (r * 2)
                if cover > 0 { blend(px, py, shade(paint, px, py), Float(cover) * paint.alpha) }
            }
        }
    }

    /// The canvas as RGBA8 bytes after a global grade: gain, tint, haze and per-pixel grain.
    func rgbaBytes(gain: Float, tint: RGB, haze: Float, grain: Float) -> [UInt8] {
        var out = [UInt8](repeating: 255, count: size * size * 4)
        let hazeColor = RGB(0.72, 0.75, 0.78)
        let gr = gain * tint.r, gg = gain * tint.g, gb = gain * tint.b
        @inline(__always) func byte(_ v: Float) -> UInt8 { UInt8(min(max(v * 255 + 0.5, 0), 255)) }
        for y in 0..<size {
            for x in 0..<size {
                let i = (y * size + x) * 3, o = (y * size + x) * 4
                let jitter = grain * (noise.lattice(x &+ 7_919, y &- 3_571) - 0.5) * 2
                let r = pixels[i] * gr, g = pixels[i + 1] * gg, b = pixels[i + 2] * gb
                out[o] = byte(r + (hazeColor.r - r) * haze + jitter)
                out[o + 1] = byte(g + (hazeColor.g - g) * haze + jitter)
                out[o + 2] = byte(b + (hazeColor.b - b) * haze + jitter)
            }
        }
        return out
    }
}

/// Shape constructors in scene units.
enum Shapes {
    /// A rectangle of `width` × `height` centred at `center`, turned by `angle` radians.
    static func rect(center: Vec2, width: Double, height: Double, angle: Double) -> [Vec2] {
        let c = cos(angle), s = sin(angle)
        let hw = width / 2, hh = height / 2
        return [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)].map { (x, y) in
            Vec2(center.x + x * c - y * s, center.y + x * s + y * c)
        }
    }

    /// A band of `width` along a polyline: the left offsets forward, the right offsets back.
    static func band(_ line: [Vec2], width: Double) -> [Vec2] {
        guard line.count >= 2 else { return [] }
        var left: [Vec2] = [], right: [Vec2] = []
        for i in line.indices {
            let previous = line[max(i - 1, 0)], next = line[min(i + 1, line.count - 1)]
            let normal = (next - previous).normalized.perpendicular
            left.append(line[i] + normal * (width / 2))
            right.append(line[i] - normal * (width / 2))
        }
        return left + right.reversed()
    }

    /// A blob: a circle whose radius wobbles by `wobble` (fraction) with a few smooth harmonics.
    static func blob(center: Vec2, radius: Double, wobble: Double, rng: inout SplitMix64, points: Int = 48) -> [Vec2] {
        let harmonics = (2...5).map { k in (k: Double(k), amplitude: rng.uniform(0...1) / Double(k), phase: rng.uniform(0...(2 * .pi))) }
        let norm = harmonics.reduce(0) { $0 + $1.amplitude }
        return (0..<points).map { i in
            let t = Double(i) / Double(points) * 2 * .pi
            let w = harmonics.reduce(0) { $0 + $1.amplitude * sin($1.k * t + $1.phase) } / max(norm, 1e-9)
            let r = radius * (1 + wobble * w)
            return Vec2(center.x + r * cos(t), center.y + r * sin(t))
        }
    }
}
