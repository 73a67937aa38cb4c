import AerieCore
import Foundation

/// Colour tables for the generator: data, not branches.
enum Palette {
    static let grass = [RGB(hex: 96, 128, 64), RGB(hex: 110, 140, 72), RGB(hex: 84, 116, 58), RGB(hex: 122, 138, 80)]
    static let dryGrass = [RGB(hex: 150, 148, 96), RGB(hex: 138, 140, 90)]
    static let trees = [RGB(hex: 40, 72, 36), RGB(hex: 52, 86, 42), RGB(hex: 34, 60, 32), RGB(hex: 60, 92, 50)]
    static let autumn = [RGB(hex: 150, 110, 40), RGB(hex: 170, 90, 40), RGB(hex: 120, 110, 40)]
    static let soil = [RGB(hex: 150, 122, 88), RGB(hex: 168, 140, 102), RGB(hex: 136, 112, 84)]
    static let sand = [RGB(hex: 222, 204, 156), RGB(hex: 212, 188, 138), RGB(hex: 230, 214, 170)]
    static let water = [RGB(hex: 40, 72, 102), RGB(hex: 52, 88, 86), RGB(hex: 46, 100, 116), RGB(hex: 62, 84, 72)]
    static let asphalt = [RGB(hex: 92, 92, 96), RGB(hex: 108, 108, 110), RGB(hex: 80, 82, 86)]
    static let concrete = [RGB(hex: 176, 174, 168), RGB(hex: 160, 160, 156), RGB(hex: 188, 184, 176)]
    static let shadow = RGB(hex: 20, 24, 22)
    static let white = RGB(hex: 236, 236, 232)

    /// Roof colours with the word captions use for them.
    static let roofs: [(RGB, String)] = [
        (RGB(hex: 168, 72, 56), "red"), (RGB(hex: 132, 132, 138), "gray"), (RGB(hex: 214, 212, 206), "white"),
        (RGB(hex: 118, 86, 62), "brown"), (RGB(hex: 72, 100, 148), "blue"),
    ]
    static let cars: [RGB] = [RGB(hex: 230, 230, 228), RGB(hex: 30, 30, 34), RGB(hex: 170, 40, 40),
                              RGB(hex: 50, 80, 150), RGB(hex: 180, 182, 186), RGB(hex: 110, 112, 116)]
    static let crops: [(RGB, String)] = [
        (RGB(hex: 92, 136, 60), "green"), (RGB(hex: 64, 104, 48), "green"), (RGB(hex: 196, 176, 96), "yellow"),
        (RGB(hex: 160, 130, 90), "brown"), (RGB(hex: 128, 150, 76), "green"), (RGB(hex: 176, 150, 110), "brown"),
    ]
}

/// Composes one scene: lays out shapes in a local frame, turns and zooms them into the image,
/// and records what it drew as ``SceneFacts``.
struct SceneBuilder {
    let kind: SceneKind
    var rng: SplitMix64
    var ops: [DrawOp] = []
    var facts: SceneFacts
    var ground: SynthScene.Ground
    let noiseSeed: UInt64
    var angle: Double
    var zoom: Double
    /// Direction shadows fall in image space.
    let sun: Vec2
    let center = Vec2(0.5, 0.5)

    init(kind: SceneKind, rng: SplitMix64) {
        self.kind = kind
        self.rng = rng
        facts = SceneFacts(kind: kind)
        noiseSeed = self.rng.next()
        angle = self.rng.uniform(0...(2 * .pi))
        zoom = self.rng.uniform(0.9...1.15)
        let sunAngle = self.rng.uniform(0...(2 * .pi))
        sun = Vec2(cos(sunAngle), sin(sunAngle))
        ground = SynthScene.Ground(color: Palette.grass[0], second: nil, texture: 0.1, grain: 20)
    }

    mutating func finish() -> SynthScene {
        let grade = SynthScene.Grade(
            gain: Float(rng.uniform(0.86...1.12)),
            tint: RGB(Float(rng.uniform(0.95...1.05)), Float(rng.uniform(0.96...1.04)), Float(rng.uniform(0.95...1.06))),
            haze: Float(rng.uniform(0...0.12)), grain: Float(rng.uniform(0.002...0.008)))
        return SynthScene(facts: facts, ground: ground, ops: ops, grade: grade, noiseSeed: noiseSeed)
    }

    // MARK: Frame

    /// Local frame → image: zoom and turn about the centre.
    func T(_ p: Vec2) -> Vec2 { (center + (p - center) * zoom).rotated(by: angle, around: center) }

    /// The phrase for where a local point ends up in the image.
    func place(of p: Vec2) -> String {
        let q = T(p)
        let h = q.x < 0.38 ? "left" : q.x > 0.62 ? "right" : ""
        let v = q.y < 0.38 ? "top" : q.y > 0.62 ? "bottom" : ""
        switch (v, h) {
        case ("", ""): return "in the middle"
        case ("", _): return "on the \(h)"
        case (_, ""): return "at the \(v)"
        default: return "in the \(v) \(h) corner"
        }
    }

    /// The side of the image a local point ends up on (for large features such as the sea).
    func side(of p: Vec2) -> String {
        let q = T(p) - center
        if abs(q.x) > abs(q.y) { return q.x < 0 ? "left" : "right" }
        return q.y < 0 ? "top" : "bottom"
    }

    /// Restricts the turn to near a multiple of a quarter turn (keeps "left/right" meaningful
    /// and rectangular layouts inside the image).
    mutating func squareUp(jitter: Double = 0.12) {
        angle = Double(rng.int(0...3)) * .pi / 2 + rng.uniform(-jitter...jitter)
    }

    // MARK: Drawing in the local frame

    mutating func polygon(_ points: [Vec2], _ paint: Paint, shadow: Double = 0) {
        let mapped = points.map(T)
        if shadow > 0 {
            let offset = sun * (shadow * zoom)
            ops.append(.polygon(mapped.map { $0 + offset }, .flat(Palette.shadow, alpha: 0.42)))
        }
        ops.append(.polygon(mapped, paint))
    }

    mutating func circle(_ c: Vec2, _ r: Double, _ paint: Paint, shadow: Double = 0) {
        if shadow > 0 {
            ops.append(.circle(T(c) + sun * (shadow * zoom), r * zoom, .flat(Palette.shadow, alpha: 0.42)))
        }
        ops.append(.circle(T(c), r * zoom, paint))
    }

    mutating func rect(_ c: Vec2, _ w: Double, _ h: Double, angle a: Double = 0, _ paint: Paint, shadow: Double = 0) {
        polygon(Shapes.rect(center: c, width: w, height: h, angle: a), paint, shadow: shadow)
    }

    mutating func tree(_ c: Vec2, _ r: Double, palette: [RGB] = Palette.trees) {
        let color = rng.pick(palette).scaled(Float(rng.uniform(0.85...1.15)))
        circle(c, r, .textured(color, 0.25, grain: 60), shadow: r * 0.6)
        circle(c + Vec2(-r * 0.25, -r * 0.25), r * 0.45, .flat(color.scaled(1.25), alpha: 0.5))
    }

    /// Scatters `n` trees in the local rectangle, skipping points `avoid` rejects.
    mutating func scatterTrees(_ n: Int, in box: (Double, Double, Double, Double), radius: ClosedRange<Double>,
                               avoid: (Vec2) -> Bool = { _ in false }, palette: [RGB] = Palette.trees) -> Int {
        var planted = 0
        for _ in 0..<n {
            let p = Vec2(rng.uniform(box.0...box.2), rng.uniform(box.1...box.3))
            if avoid(p) { continue }
            tree(p, rng.uniform(radius), palette: palette)
            planted += 1
        }
        return planted
    }

    mutating func road(_ line: [Vec2], width: Double, markings: Bool, color: RGB? = nil) {
        let asphalt = color ?? rng.pick(Palette.asphalt)
        polygon(Shapes.band(line, width: width * 1.25), .flat(asphalt.scaled(1.35)))
        polygon(Shapes.band(line, width: width), .textured(asphalt, 0.08, grain: 50))
        guard markings else { return }
        for i in 0..<(line.count - 1) {
            let a = line[i], b = line[i + 1]
            let length = (b - a).length
            let dashes = Int(length / 0.05)
            guard dashes > 0 else { continue }
            let direction = (b - a).normalized
            for d in 0..<dashes where d % 2 == 0 {
                let p = a + direction * (Double(d) * 0.05 + 0.0125)
                rect(p, 0.025, width * 0.08, angle: atan2(direction.y, direction.x), .flat(Palette.white, alpha: 0.85))
            }
        }
    }

    mutating func house(_ c: Vec2, _ w: Double, _ h: Double, angle a: Double, roof: RGB) {
        rect(c, w, h, angle: a, .textured(roof, 0.08, grain: 80), shadow: min(w, h) * 0.35)
        // The ridge: one half of a gabled roof catches the light.
        let half = Vec2(-sin(a), cos(a)) * (h / 4)
        rect(c + half, w, h / 2, angle: a, .flat(roof.scaled(0.8), alpha: 0.6))
    }

    mutating func car(_ c: Vec2, angle a: Double, length: Double = 0.04) {
        let color = rng.pick(Palette.cars)
        rect(c, length, length * 0.48, angle: a, .flat(color), shadow: length * 0.12)
        rect(c + Vec2(cos(a), sin(a)) * (length * 0.08), length * 0.3, length * 0.36, angle: a, .flat(color.scaled(0.55), alpha: 0.7))
    }

    mutating func plane(_ c: Vec2, angle a: Double, length l: Double, color: RGB) {
        let axis = Vec2(cos(a), sin(a)), across = Vec2(-sin(a), cos(a))
        func P(_ u: Double, _ v: Double) -> Vec2 { c + axis * (u * l) + across * (v * l) }
        let wings = [P(0.12, 0), P(-0.1, 0.48), P(-0.2, 0.48), P(-0.06, 0), P(-0.2, -0.48), P(-0.1, -0.48)]
        let tail = [P(-0.36, 0), P(-0.46, 0.18), P(-0.5, 0.18), P(-0.44, 0), P(-0.5, -0.18), P(-0.46, -0.18)]
        let body = Shapes.rect(center: P(-0.02, 0), width: l, height: l * 0.1, angle: a)
        let shadowLift = l * 0.25
        for shape in [wings, tail, body] { polygon(shape, .flat(color), shadow: shadowLift) }
        polygon(Shapes.rect(center: P(0.4, 0), width: l * 0.1, height: l * 0.06, angle: a), .flat(color.scaled(0.6)))
    }

    /// A stadium shape (a rectangle with semicircular ends), `w` long and `h` wide.
    static func stadium(_ c: Vec2, _ w: Double, _ h: Double, angle a: Double, steps: Int = 16) -> [Vec2] {
        let r = h / 2, straight = max(w / 2 - r, 0)
        var points: [Vec2] = []
        for i in 0...steps { let t = -Double.pi / 2 + Double(i) / Double(steps) * .pi; points.append(Vec2(straight + r * cos(t), r * sin(t))) }
        for i in 0...steps { let t = Double.pi / 2 + Double(i) / Double(steps) * .pi; points.append(Vec2(-straight + r * cos(t), r * sin(t))) }
        return points.map { Vec2(c.x + $0.x * cos(a) - $0.y * sin(a), c.y + $0.x * sin(a) + $0.y * cos(a)) }
    }

    /// A meandering line across the local frame from x = -0.3 to 1.3.
    mutating func meander(at y: Double, amplitude: Double, waves: Double, steps: Int = 40) -> [Vec2] {
        let phase = rng.uniform(0...(2 * .pi))
        let wobblePhase = rng.uniform(0...(2 * .pi))
        return (0...steps).map { i in
            let x = -0.3 + 1.6 * Double(i) / Double(steps)
            return Vec2(x, y + amplitude * sin(2 * .pi * waves * x + phase) + amplitude * 0.3 * sin(7 * x + wobblePhase))
        }
    }
}
