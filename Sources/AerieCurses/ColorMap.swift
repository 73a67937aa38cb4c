import AerieBrowser
import AerieTerminal
import CNcursesw

/// Maps the view's colours onto what the terminal has, and hands out colour pairs.
///
/// 24-bit colours go to the xterm 256-colour cube and grey ramp (or the 8 basic colours on
/// small terminals). Pairs are allocated on first use and never redefined (redefining a pair
/// would recolour cells already on screen); when the terminal runs out, the nearest already
/// allocated pair of 8-colour approximations is used.
struct ColorMap {
    private(set) var enabled: Bool
    private let colorCount: Int32
    private let pairLimit: Int32
    private var pairs: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1

    init(enabled wanted: Bool) {
        var on = wanted && has_colors()
        if on {
            on = start_color() == OK
            if on { use_default_colors() }
        }
        enabled = on
        colorCount = on ? aerie_colors() : 0
        pairLimit = on ? min(aerie_color_pairs(), 1 << 16) : 0
    }

    /// The pair number for a foreground and background, allocating it if needed.
    mutating func pair(foreground: CellColor, background: CellColor) -> Int32 {
        guard enabled else { return 0 }
        let f = index(foreground), b = index(background)
        if f == -1 && b == -1 { return 0 }
        let key = Int64(f + 1) << 32 | Int64(b + 1)
        if let p = pairs[key] { return p }
        if nextPair < pairLimit {
            let p = nextPair
            if init_extended_pair(p, f, b) == OK {
                nextPair += 1
                pairs[key] = p
                return p
            }
        }
        // Out of pairs: fall back to the basic 8 colours (their 81 pairs are allocated early,
        // since those colours are used by the chrome).
        let f8 = f < 0 ? f : basic(f), b8 = b < 0 ? b : basic(b)
        return pairs[Int64(f8 + 1) << 32 | Int64(b8 + 1)] ?? 0
    }

    private func basic(_ index: Int32) -> Int32 { index < 16 ? index % 8 : 7 }

    /// A terminal colour index, or -1 for the default.
    private func index(_ color: CellColor) -> Int32 {
        switch color {
        case .none: return -1
        case let .palette(n):
            if n < 16 { return colorCount >= 16 ? Int32(n) : Int32(n % 8) }
            if colorCount >= 256 && colorCount < (1 << 24) { return Int32(n) }
            let (r, g, b) = XtermPalette.rgb(n)
            return index(.rgb(r, g, b))
        case let .rgb(r, g, b):
            if colorCount >= (1 << 24) { return Int32(r) << 16 | Int32(g) << 8 | Int32(b) }
            if colorCount >= 256 { return ColorMap.xterm256(r, g, b) }
            return ColorMap.nearestBasic(r, g, b)
        }
    }

    /// The nearest colour of the xterm 256-colour palette (cube 16–231, greys 232–255).
    static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int32 {
        let levels: [Int] = [0, 95, 135, 175, 215, 255]
        func cubeIndex(_ v: UInt8) -> Int {
            var best = 0
            for (i, l) in levels.enumerated() where abs(l - Int(v)) < abs(levels[best] - Int(v)) { best = i }
            return best
        }
        let ri = cubeIndex(r), gi = cubeIndex(g), bi = cubeIndex(b)
        let cube = (levels[ri], levels[gi], levels[bi])
        let cubeDistance = sq(cube.0 - Int(r)) + sq(cube.1 - Int(g)) + sq(cube.2 - Int(b))
        let mean = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = max(0, min(23, (mean - 8 + 5) / 10))
        let grey = 8 + 10 * greyIndex
        let greyDistance = sq(grey - Int(r)) + sq(grey - Int(g)) + sq(grey - Int(b))
        if greyDistance < cubeDistance { return Int32(232 + greyIndex) }
        return Int32(16 + 36 * ri + 6 * gi + bi)
    }

    /// The nearest of the 8 basic colours.
    static func nearestBasic(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int32 {
        let bright = (Int(r) + Int(g) + Int(b)) / 3 > 170
        let t = 96
        let index = (Int(r) > t ? 1 : 0) | (Int(g) > t ? 2 : 0) | (Int(b) > t ? 4 : 0)
        return Int32(index == 0 && bright ? 7 : index)
    }

    private static func sq(_ v: Int) -> Int { v * v }

    /// Allocates the 8-colour pairs first so the fallback always has them.
    mutating func reserveBasicPairs() {
        guard enabled else { return }
        for f in -1..<8 {
            for b in -1..<8 where !(f == -1 && b == -1) {
                let key = Int64(f + 1) << 32 | Int64(b + 1)
                guard nextPair < pairLimit, init_extended_pair(nextPair, Int32(f), Int32(b)) == OK else { continue }
                pairs[key] = nextPair
                nextPair += 1
            }
        }
    }
}
