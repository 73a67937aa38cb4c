import AerieCore
import Foundation

/// The composers: one per scene kind. Each draws in the local frame (the image is 0…1; the frame
/// is turned and zoomed afterwards) and records what it drew. Countable objects are kept within
/// 0.35 of the centre so that every one of them is inside the image whatever the turn.
extension SceneBuilder {
    mutating func compose() {
        switch kind {
        case .farmland: farmland()
        case .forest: forest()
        case .river: river(bridge: false)
        case .bridge: river(bridge: true)
        case .pond: pond()
        case .beach: beach()
        case .residential: residential()
        case .intersection: intersection()
        case .parking: parking()
        case .airport: airport()
        case .storageTanks: storageTanks()
        case .baseballField: baseballField()
        case .tennisCourt: tennisCourts()
        case .playground: playground()
        case .bareLand: bareLand()
        case .desert: desert()
        }
    }

    /// The words of a set of colour names: "green", "green and yellow".
    static func colourPhrase(_ names: [String]) -> String {
        var unique: [String] = []
        for n in names where !unique.contains(n) { unique.append(n) }
        return unique.count <= 1 ? (unique.first ?? "") : unique.dropLast().joined(separator: ", ") + " and " + (unique.last ?? "")
    }

    mutating func farmland() {
        ground = .init(color: rng.pick(Palette.soil), second: nil, texture: 0.1, grain: 30)
        var colours: [String] = []
        var y = -0.4
        let baseWidth = rng.uniform(0.14...0.3)
        let gap = rng.uniform(0.006...0.016)
        var parcels = 0
        while y < 1.4 {
            let h = rng.uniform(0.1...0.26)
            var x = -0.4
            while x < 1.4 {
                let w = baseWidth * rng.uniform(0.6...1.6)
                let (color, word) = rng.pick(Palette.crops)
                let shade = color.scaled(Float(rng.uniform(0.9...1.1)))
                rect(Vec2(x + w / 2, y + h / 2), w - gap, h - gap, .textured(shade, 0.12, grain: rng.uniform(30...90)))
                // Furrows: a few faint stripes along the parcel.
                let stripes = rng.int(0...4)
                for s in 0..<stripes {
                    let sy = y + h * (Double(s) + 1) / Double(stripes + 1)
                    rect(Vec2(x + w / 2, sy), w - gap * 2, 0.004, .flat(shade.scaled(0.8), alpha: 0.5))
                }
                if x + w > 0.1 && x < 0.9 && y + h > 0.1 && y < 0.9 { colours.append(word); parcels += 1 }
                x += w
            }
            y += h
        }
        facts.attributes["colours"] = Self.colourPhrase(colours.sorted())
        facts.attributes["parcels"] = parcels > 6 ? "many" : "several"
        if rng.chance(0.4) {
            road([Vec2(-0.4, rng.uniform(0.3...0.7)), Vec2(1.4, rng.uniform(0.3...0.7))], width: 0.035, markings: false,
                 color: rng.pick(Palette.soil).scaled(1.15))
            facts.surroundings.append("a road")
        }
        if rng.chance(0.3) {
            let c = Vec2(rng.uniform(0.3...0.7), rng.uniform(0.3...0.7))
            house(c, 0.06, 0.045, angle: 0, roof: rng.pick(Palette.roofs).0)
            _ = scatterTrees(6, in: (c.x - 0.08, c.y - 0.08, c.x + 0.08, c.y + 0.08), radius: 0.012...0.02)
            facts.surroundings.append("a farmhouse")
        }
    }

    mutating func forest() {
        let autumn = rng.chance(0.2)
        ground = .init(color: Palette.trees[0].scaled(0.8), second: Palette.trees[2], texture: 0.2, grain: 30)
        let hasRoad = rng.chance(0.35)
        let roadY = rng.uniform(0.3...0.7)
        if hasRoad {
            road([Vec2(-0.4, roadY), Vec2(0.5, roadY + rng.uniform(-0.1...0.1)), Vec2(1.4, roadY)], width: 0.03,
                 markings: false, color: rng.pick(Palette.soil))
            facts.surroundings.append("a road")
        }
        let count = rng.int(220...380)
        let palette = autumn ? Palette.trees + Palette.autumn : Palette.trees
        _ = scatterTrees(count, in: (-0.3, -0.3, 1.3, 1.3), radius: 0.022...0.048,
                         avoid: { hasRoad && abs($0.y - roadY) < 0.04 }, palette: palette)
        facts.attributes["density"] = rng.pick(["dense", "thick", "lush"])
        facts.attributes["colour"] = autumn ? "green and yellow" : "green"
    }

    mutating func river(bridge: Bool) {
        ground = .init(color: rng.pick(Palette.grass), second: rng.pick(Palette.soil), texture: 0.12, grain: 24, patchiness: 2.5)
        let winding = bridge ? false : rng.chance(0.6)
        let amplitude = winding ? rng.uniform(0.08...0.16) : rng.uniform(0.01...0.04)
        let line = meander(at: rng.uniform(0.42...0.58), amplitude: amplitude, waves: winding ? rng.uniform(0.6...1.2) : 0.4)
        let width = rng.uniform(0.08...0.16)
        let water = rng.pick(Palette.water)
        polygon(Shapes.band(line, width: width * 1.3), .textured(rng.pick(Palette.sand).scaled(0.9), 0.1))
        polygon(Shapes.band(line, width: width), .textured(water, 0.08, grain: 16))
        facts.attributes["shape"] = winding ? rng.pick(["winding", "curved"]) : "straight"
        facts.attributes["water"] = water.b > water.g ? "blue" : "green"
        // Trees along both banks.
        var planted = 0
        for point in line where rng.chance(0.7) {
            for sign in [-1.0, 1.0] where rng.chance(0.6) {
                let offset = Vec2(0, sign * (width * 0.65 + rng.uniform(0.02...0.08)))
                tree(point + offset, rng.uniform(0.018...0.032))
                planted += 1
            }
        }
        if planted > 0 { facts.surroundings.append("green trees") }
        if rng.chance(0.35) {
            let side = rng.chance(0.5) ? 0.15 : 0.85
            for i in 0..<4 {
                let (color, _) = rng.pick(Palette.crops)
                rect(Vec2(0.15 + Double(i) * 0.22, side), 0.2, 0.14, .textured(color, 0.1))
            }
            facts.surroundings.append("farmland")
        }
        guard bridge else { return }
        // The bridge crosses the river square on, with cars on its deck.
        let crossX = rng.uniform(0.4...0.6)
        let deckWidth = rng.uniform(0.045...0.07)
        road([Vec2(crossX, -0.4), Vec2(crossX, 1.4)], width: deckWidth, markings: true)
        let riverY = line.min { abs($0.x - crossX) < abs($1.x - crossX) }?.y ?? 0.5
        rect(Vec2(crossX, riverY), deckWidth * 1.4, width * 1.6, .flat(Palette.concrete[0]), shadow: 0.02)
        rect(Vec2(crossX, riverY), deckWidth, width * 1.6, .flat(Palette.asphalt[1]))
        let cars = rng.int(0...4)
        for i in 0..<cars {
            let y = riverY + (Double(i) - Double(cars - 1) / 2) * 0.07
            car(Vec2(crossX + (i % 2 == 0 ? -1 : 1) * deckWidth * 0.22, y), angle: .pi / 2, length: 0.035)
        }
        facts.objects.append(SceneObject(noun: "bridge", count: 1))
        if cars > 0 { facts.objects.append(SceneObject(noun: "car", count: cars)) }
    }

    mutating func pond() {
        ground = .init(color: rng.pick(Palette.grass), second: rng.pick(Palette.dryGrass), texture: 0.12, grain: 22)
        let count = rng.chance(0.7) ? 1 : rng.int(2...3)
        var ponds: [(Vec2, Double)] = []
        let water = rng.pick(Palette.water)
        for i in 0..<count {
            let r = count == 1 ? rng.uniform(0.17...0.28) : rng.uniform(0.09...0.14)
            let c: Vec2
            if count == 1 {
                c = Vec2(rng.uniform(0.42...0.58), rng.uniform(0.42...0.58))
            } else {
                let a = Double(i) / Double(count) * 2 * .pi + rng.uniform(-0.3...0.3)
                c = Vec2(0.5 + 0.2 * cos(a), 0.5 + 0.2 * sin(a))
            }
            var blobRNG = SplitMix64(seed: rng.next())
            let outline = Shapes.blob(center: c, radius: r, wobble: 0.25, rng: &blobRNG)
            polygon(outline.map { c + ($0 - c) * 1.08 }, .flat(rng.pick(Palette.dryGrass)))
            polygon(outline, .textured(water, 0.06, grain: 14))
            ponds.append((c, r))
        }
        let place = count == 1 ? self.place(of: ponds[0].0) : nil
        facts.objects.append(SceneObject(noun: "pond", count: count, colour: water.b > water.g ? "blue" : "green", place: place))
        let trees = scatterTrees(rng.int(20...60), in: (-0.3, -0.3, 1.3, 1.3), radius: 0.02...0.035,
                                 avoid: { p in ponds.contains { (p - $0.0).length < $0.1 * 1.4 } })
        if trees > 0 { facts.surroundings.append("green trees") }
        if rng.chance(0.3) {
            road([Vec2(-0.4, 0.92), Vec2(1.4, 0.9)], width: 0.035, markings: false)
            facts.surroundings.append("a road")
        }
    }

    mutating func beach() {
        squareUp(jitter: 0.25)
        ground = .init(color: rng.pick(Palette.grass), second: Palette.trees[1], texture: 0.15, grain: 24)
        let coast = rng.uniform(0.32...0.45)
        let sandWidth = rng.uniform(0.12...0.25)
        let wobble = rng.uniform(0.01...0.04)
        let phase = rng.uniform(0...6)
        func edge(_ y: Double, _ offset: Double) -> Double { coast + offset + wobble * sin(y * 9 + phase) }
        let ys = stride(from: -0.4, through: 1.4, by: 0.05).map { $0 }
        let sea = rng.pick([RGB(hex: 36, 86, 120), RGB(hex: 44, 110, 130), RGB(hex: 30, 70, 105)])
        polygon(ys.map { Vec2(edge($0, sandWidth), $0) } + [Vec2(-0.4, 1.4), Vec2(-0.4, -0.4)], .textured(rng.pick(Palette.sand), 0.08, grain: 40))
        polygon(ys.map { Vec2(edge($0, 0), $0) } + [Vec2(-0.4, 1.4), Vec2(-0.4, -0.4)], .textured(sea, 0.1, grain: 12))
        // Shallow water and surf along the shore.
        polygon(Shapes.band(ys.map { Vec2(edge($0, -0.02), $0) }, width: 0.04), .flat(sea.mixed(with: RGB(0.5, 0.8, 0.8), 0.4), alpha: 0.6))
        polygon(Shapes.band(ys.map { Vec2(edge($0, -0.004), $0) }, width: 0.008), .flat(Palette.white, alpha: 0.85))
        for k in 1...rng.int(2...4) {
            polygon(Shapes.band(ys.map { Vec2(edge($0, -0.05 * Double(k) - 0.02), $0) }, width: 0.006), .flat(Palette.white, alpha: 0.35))
        }
        facts.attributes["side"] = side(of: Vec2(0.1, 0.5))
        facts.attributes["sand"] = "yellow"
        facts.attributes["sea"] = sea.g > 100 ? "green" : "blue"
        let land = coast + sandWidth
        if rng.chance(0.6) {
            _ = scatterTrees(rng.int(15...40), in: (land + 0.03, -0.3, 1.3, 1.3), radius: 0.02...0.04)
            facts.surroundings.append("green trees")
        }
        if rng.chance(0.5) {
            for i in 0..<rng.int(2...5) {
                house(Vec2(land + rng.uniform(0.12...0.4), 0.15 + Double(i) * 0.17), 0.07, 0.05, angle: 0, roof: rng.pick(Palette.roofs).0)
            }
            facts.surroundings.append("some buildings")
        }
        let umbrellas = rng.chance(0.4) ? rng.int(3...9) : 0
        for i in 0..<umbrellas {
            circle(Vec2(coast + sandWidth * rng.uniform(0.3...0.7), 0.2 + 0.6 * Double(i) / Double(max(umbrellas - 1, 1))), 0.012,
                   .flat(rng.pick([RGB(hex: 200, 60, 50), RGB(hex: 60, 120, 200), RGB(hex: 240, 200, 60)])), shadow: 0.008)
        }
        if umbrellas > 0 { facts.objects.append(SceneObject(noun: "umbrella", count: umbrellas, colour: nil)) }
    }

    mutating func residential() {
        ground = .init(color: rng.pick(Palette.grass), second: rng.pick(Palette.dryGrass), texture: 0.12, grain: 24)
        let dense = rng.chance(0.5)
        let spacing = rng.uniform(0.26...0.36)
        let roadWidth = rng.uniform(0.03...0.045)
        let roofChoices = (0..<rng.int(1...2)).map { _ in rng.pick(Palette.roofs) }
        var x = -0.5
        while x < 1.5 { road([Vec2(x, -0.5), Vec2(x, 1.5)], width: roadWidth, markings: false); x += spacing }
        var y = -0.5
        while y < 1.5 { road([Vec2(-0.5, y), Vec2(1.5, y)], width: roadWidth, markings: false); y += spacing }
        var houses = 0
        var bx = -0.5
        while bx < 1.5 {
            var by = -0.5
            while by < 1.5 {
                let inner = spacing - roadWidth * 1.6
                let perRow = dense ? 4 : 2
                let hw = inner / Double(perRow) * (dense ? 0.85 : 0.6)
                for row in 0..<2 {
                    for col in 0..<perRow where dense || rng.chance(0.8) {
                        let c = Vec2(bx + roadWidth * 0.8 + inner * (Double(col) + 0.5) / Double(perRow),
                                     by + roadWidth * 0.8 + inner * (row == 0 ? 0.27 : 0.73))
                        let (roof, _) = rng.pick(roofChoices)
                        house(c, hw, inner * 0.32, angle: rng.uniform(-0.05...0.05), roof: roof.scaled(Float(rng.uniform(0.9...1.1))))
                        houses += 1
                    }
                }
                if !dense || rng.chance(0.5) {
                    let center = Vec2(bx + spacing / 2, by + spacing / 2)
                    _ = scatterTrees(dense ? 2 : 5, in: (center.x - inner / 2, center.y - 0.03, center.x + inner / 2, center.y + 0.03), radius: 0.014...0.026)
                }
                by += spacing
            }
            bx += spacing
        }
        facts.attributes["density"] = dense ? "dense" : "sparse"
        facts.attributes["roofs"] = Self.colourPhrase(roofChoices.map(\.1))
        facts.surroundings.append(contentsOf: ["roads", "green trees"])
    }

    mutating func intersection() {
        ground = .init(color: rng.pick(Palette.grass), second: Palette.concrete[1], texture: 0.12, grain: 24)
        let fourWay = rng.chance(0.65)
        let w = rng.uniform(0.1...0.15)
        road([Vec2(-0.5, 0.5), Vec2(1.5, 0.5)], width: w, markings: true)
        road([Vec2(0.5, fourWay ? -0.5 : 0.5 - w / 2), Vec2(0.5, 1.5)], width: w, markings: true)
        // Zebra crossings on each arm.
        let arms: [Vec2] = fourWay ? [Vec2(1, 0), Vec2(-1, 0), Vec2(0, 1), Vec2(0, -1)] : [Vec2(1, 0), Vec2(-1, 0), Vec2(0, 1)]
        for arm in arms {
            let base = Vec2(0.5, 0.5) + arm * (w * 0.95)
            for s in 0..<6 {
                let offset = arm.perpendicular * (w * (Double(s) - 2.5) / 6.5)
                rect(base + offset, arm.x != 0 ? 0.03 : 0.007, arm.x != 0 ? 0.007 : 0.03, .flat(Palette.white, alpha: 0.85))
            }
        }
        var cars = 0
        let target = rng.int(1...8)
        var attempts = 0
        while cars < target && attempts < 40 {
            attempts += 1
            let arm = rng.pick(arms)
            let along = rng.uniform(w * 1.4...0.33)
            let lane = (rng.chance(0.5) ? 1.0 : -1.0) * w * 0.24
            let c = Vec2(0.5, 0.5) + arm * along + arm.perpendicular * lane
            car(c, angle: atan2(arm.y, arm.x), length: 0.045)
            cars += 1
        }
        facts.objects.append(SceneObject(noun: "car", count: cars))
        facts.attributes["junction"] = fourWay ? "crossroads" : "T-junction"
        var buildings = 0, trees = 0
        for corner in [Vec2(0.2, 0.2), Vec2(0.8, 0.2), Vec2(0.2, 0.8), Vec2(0.8, 0.8)] where rng.chance(0.6) {
            if rng.chance(0.5) {
                house(corner, 0.14, 0.1, angle: 0, roof: rng.pick(Palette.roofs).0)
                buildings += 1
            } else {
                trees += scatterTrees(5, in: (corner.x - 0.1, corner.y - 0.1, corner.x + 0.1, corner.y + 0.1), radius: 0.02...0.03)
            }
        }
        if buildings > 0 { facts.surroundings.append("some buildings") }
        if trees > 0 { facts.surroundings.append("green trees") }
    }

    mutating func parking() {
        squareUp(jitter: 0.1)
        zoom = rng.uniform(0.9...1.0)
        ground = .init(color: rng.pick(Palette.grass), second: nil, texture: 0.1, grain: 24)
        let lotColor = rng.pick(Palette.asphalt)
        rect(Vec2(0.5, 0.5), 0.76, 0.76, .textured(lotColor, 0.06, grain: 40))
        let rows = rng.int(2...4)
        let stalls = rng.int(8...12)
        let occupancy = rng.uniform(0.35...0.95)
        let stallWidth = 0.68 / Double(stalls)
        var cars = 0
        for r in 0..<rows {
            let rowY = 0.16 + (0.68 * (Double(r) + 0.5) / Double(rows))
            let stallDepth = min(0.085, 0.68 / Double(rows) * 0.45)
            for s in 0...stalls {
                rect(Vec2(0.16 + Double(s) * stallWidth, rowY), 0.004, stallDepth, .flat(Palette.white, alpha: 0.8))
            }
            for s in 0..<stalls where rng.chance(occupancy) {
                car(Vec2(0.16 + (Double(s) + 0.5) * stallWidth, rowY), angle: .pi / 2 + (rng.chance(0.5) ? 0 : .pi),
                    length: min(stallDepth * 0.85, 0.06))
                cars += 1
            }
        }
        facts.objects.append(SceneObject(noun: "car", count: cars))
        facts.attributes["rows"] = CountWords.word(rows)
        facts.objects.append(SceneObject(noun: "row", count: rows))
        if rng.chance(0.6) {
            _ = scatterTrees(rng.int(10...20), in: (-0.2, -0.2, 1.2, 1.2), radius: 0.02...0.035,
                             avoid: { abs($0.x - 0.5) < 0.42 && abs($0.y - 0.5) < 0.42 })
            facts.surroundings.append("green trees")
        }
        if rng.chance(0.4) { facts.surroundings.append("a road"); road([Vec2(-0.4, 0.05), Vec2(1.4, 0.05)], width: 0.05, markings: true) }
    }

    mutating func airport() {
        ground = .init(color: rng.pick(Palette.dryGrass), second: rng.pick(Palette.grass), texture: 0.1, grain: 20)
        let runwayY = rng.uniform(0.2...0.3)
        let runwayWidth = rng.uniform(0.08...0.1)
        rect(Vec2(0.5, runwayY), 1.8, runwayWidth, .textured(Palette.asphalt[2], 0.05, grain: 60))
        var x = -0.4
        while x < 1.4 { rect(Vec2(x, runwayY), 0.05, 0.005, .flat(Palette.white, alpha: 0.9)); x += 0.1 }
        rect(Vec2(0.5, runwayY + runwayWidth * 1.1), 1.8, 0.025, .flat(Palette.asphalt[1]))
        // The apron and the terminal.
        let apronTop = runwayY + runwayWidth + 0.04
        rect(Vec2(0.5, (apronTop + 0.95) / 2), 0.84, 0.95 - apronTop, .textured(Palette.concrete[0], 0.05, grain: 50))
        rect(Vec2(0.5, 0.86), 0.7, 0.08, .flat(rng.pick(Palette.concrete).scaled(0.85)), shadow: 0.025)
        facts.surroundings.append(contentsOf: ["a runway", "a terminal building"])
        let planes = rng.int(1...6)
        let colour = rng.chance(0.8) ? Palette.white : RGB(hex: 200, 200, 205)
        let length = rng.uniform(0.1...0.14)
        for i in 0..<planes {
            let slot = (Double(i) + 0.5) / Double(planes)
            plane(Vec2(0.16 + 0.68 * slot, apronTop + 0.15 + (i % 2 == 0 ? 0 : 0.04)), angle: -.pi / 2, length: min(length, 0.6 / Double(planes)), color: colour)
        }
        facts.objects.append(SceneObject(noun: "plane", count: planes, colour: "white"))
    }

    mutating func storageTanks() {
        ground = .init(color: rng.pick(Palette.concrete).scaled(0.85), second: rng.pick(Palette.soil), texture: 0.1, grain: 24)
        let count = rng.int(1...12)
        let columns = count <= 3 ? count : Int((Double(count)).squareRoot().rounded(.up))
        let rows = (count + columns - 1) / columns
        let cell = 0.62 / Double(max(columns, rows))
        let radius = min(cell * rng.uniform(0.34...0.44), 0.11)
        let (colour, word) = rng.chance(0.7) ? (Palette.white, "white") : rng.pick([(RGB(hex: 170, 172, 176), "gray"), (RGB(hex: 200, 190, 160), "white")])
        // The floating roof's rim shadow falls towards the sun's side in the image.
        let sunInLocal = sun.rotated(by: -angle, around: Vec2(0, 0))
        let origin = Vec2(0.5 - cell * Double(columns - 1) / 2, 0.5 - cell * Double(rows - 1) / 2)
        for i in 0..<count {
            let c = origin + Vec2(Double(i % columns) * cell, Double(i / columns) * cell)
            circle(c, radius, .flat(colour.scaled(0.78)), shadow: radius * 0.6)
            circle(c, radius * 0.93, .flat(colour))
            circle(c + sunInLocal * (radius * 0.06), radius * 0.8, .flat(colour.scaled(0.86), alpha: 0.6))
        }
        facts.objects.append(SceneObject(noun: "storage tank", count: count, colour: word))
        facts.attributes["arrangement"] = count > 3 ? "in rows" : count > 1 ? "side by side" : "alone"
        if rng.chance(0.6) {
            let y = 0.5 + cell * Double(rows) / 2 + 0.06
            road([Vec2(-0.4, y), Vec2(1.4, y)], width: 0.045, markings: rng.chance(0.5))
            facts.surroundings.append("a road")
        }
        if rng.chance(0.4) {
            rect(Vec2(0.5, 0.08), 0.5, 0.1, .flat(rng.pick(Palette.concrete)), shadow: 0.02)
            facts.surroundings.append("some buildings")
        }
    }

    mutating func baseballField() {
        ground = .init(color: rng.pick(Palette.grass), second: Palette.trees[1], texture: 0.12, grain: 24)
        let count = rng.chance(0.65) ? 1 : 2
        let radius = count == 1 ? rng.uniform(0.3...0.36) : rng.uniform(0.2...0.24)
        let infield = rng.pick(Palette.soil).scaled(1.08)
        for i in 0..<count {
            let home = count == 1 ? Vec2(0.5, 0.78) : Vec2(0.28 + 0.44 * Double(i), 0.7)
            let up = -Double.pi / 2
            // The outfield fan, the dirt infield arc and the grass diamond.
            func fan(_ r: Double) -> [Vec2] {
                [home] + (0...16).map { k in let t = up - .pi / 4 + Double(k) / 16 * .pi / 2; return home + Vec2(cos(t), sin(t)) * r }
            }
            polygon(fan(radius), .textured(RGB(hex: 112, 150, 74), 0.08, grain: 30))
            polygon(fan(radius * 0.5), .textured(infield, 0.08, grain: 50))
            let d = radius * 0.27
            let diamond = [home, home + Vec2(d * 0.707, -d * 0.707), home + Vec2(0, -d * 1.414), home + Vec2(-d * 0.707, -d * 0.707)]
            polygon(diamond, .flat(RGB(hex: 104, 146, 70)))
            for b in diamond { circle(b, radius * 0.02, .flat(Palette.white)) }
            circle(home + Vec2(0, -d * 0.707), radius * 0.04, .flat(infield))
        }
        facts.objects.append(SceneObject(noun: "baseball field", count: count))
        if rng.chance(0.6) {
            _ = scatterTrees(rng.int(10...25), in: (-0.3, -0.3, 1.3, 0.2), radius: 0.02...0.035)
            facts.surroundings.append("green trees")
        }
        if rng.chance(0.4) {
            road([Vec2(-0.4, 0.93), Vec2(1.4, 0.93)], width: 0.04, markings: true)
            facts.surroundings.append("a road")
        }
    }

    mutating func tennisCourts() {
        ground = .init(color: rng.pick(Palette.grass), second: nil, texture: 0.1, grain: 24)
        let count = rng.int(1...6)
        let columns = min(count, 3)
        let rows = (count + columns - 1) / columns
        let (surface, word) = rng.pick([(RGB(hex: 60, 120, 80), "green"), (RGB(hex: 50, 90, 150), "blue"), (RGB(hex: 160, 80, 60), "red")])
        let w = min(0.16, 0.6 / Double(columns)), h = w * 2.1
        let surround = surface.scaled(0.8)
        rect(Vec2(0.5, 0.5), w * Double(columns) * 1.15 + 0.04, h * Double(rows) * 1.1 + 0.04, .flat(surround))
        for i in 0..<count {
            let c = Vec2(0.5 + (Double(i % columns) - Double(columns - 1) / 2) * w * 1.15,
                         0.5 + (Double(i / columns) - Double(rows - 1) / 2) * h * 1.1)
            rect(c, w, h, .textured(surface, 0.04))
            let line = 0.005
            for (dx, dy, lw, lh) in [(0.0, -h / 2, w, line), (0.0, h / 2, w, line), (-w / 2, 0.0, line, h), (w / 2, 0.0, line, h),
                                     (0.0, 0.0, w, line * 1.4), (0.0, -h * 0.27, w * 0.75, line), (0.0, h * 0.27, w * 0.75, line),
                                     (0.0, 0.0, line, h * 0.54), (-w * 0.375, 0.0, line, h), (w * 0.375, 0.0, line, h)] {
                rect(c + Vec2(dx, dy), lw, lh, .flat(Palette.white, alpha: 0.9))
            }
        }
        facts.objects.append(SceneObject(noun: "tennis court", count: count, colour: word))
        if rng.chance(0.6) {
            _ = scatterTrees(rng.int(8...20), in: (-0.3, -0.3, 1.3, 1.3), radius: 0.02...0.035,
                             avoid: { abs($0.x - 0.5) < w * Double(columns) * 0.7 + 0.05 && abs($0.y - 0.5) < h * Double(rows) * 0.65 + 0.05 })
            facts.surroundings.append("green trees")
        }
        if rng.chance(0.4) {
            house(Vec2(0.5, 0.05), 0.3, 0.08, angle: 0, roof: rng.pick(Palette.roofs).0)
            facts.surroundings.append("some buildings")
        }
    }

    mutating func playground() {
        ground = .init(color: rng.pick(Palette.grass), second: Palette.concrete[1], texture: 0.12, grain: 24)
        let (track, word) = rng.pick([(RGB(hex: 170, 70, 56), "red"), (RGB(hex: 150, 84, 64), "red"), (RGB(hex: 70, 110, 150), "blue")])
        let w = rng.uniform(0.6...0.7), h = w * 0.58
        polygon(Self.stadium(Vec2(0.5, 0.5), w, h, angle: 0), .textured(track, 0.05))
        for lane in 1...3 {
            polygon(Self.stadium(Vec2(0.5, 0.5), w - Double(lane) * 0.022, h - Double(lane) * 0.022, angle: 0), .flat(Palette.white, alpha: 0.5))
            polygon(Self.stadium(Vec2(0.5, 0.5), w - Double(lane) * 0.022 - 0.006, h - Double(lane) * 0.022 - 0.006, angle: 0), .textured(track, 0.05))
        }
        let fieldW = w - 0.2, fieldH = h - 0.1
        rect(Vec2(0.5, 0.5), fieldW, fieldH, .textured(RGB(hex: 86, 140, 66), 0.1, grain: 10))
        for (c, lw, lh) in [(Vec2(0.5, 0.5), 0.004, fieldH), (Vec2(0.5 - fieldW / 2, 0.5), 0.004, fieldH), (Vec2(0.5 + fieldW / 2, 0.5), 0.004, fieldH),
                            (Vec2(0.5, 0.5 - fieldH / 2), fieldW, 0.004), (Vec2(0.5, 0.5 + fieldH / 2), fieldW, 0.004)] {
            rect(c, lw, lh, .flat(Palette.white, alpha: 0.9))
        }
        circle(Vec2(0.5, 0.5), fieldH * 0.2, .flat(Palette.white, alpha: 0.9))
        circle(Vec2(0.5, 0.5), fieldH * 0.2 - 0.005, .flat(RGB(hex: 86, 140, 66)))
        facts.objects.append(SceneObject(noun: "playground", count: 1))
        facts.attributes["track"] = word
        if rng.chance(0.6) {
            for i in 0..<rng.int(2...4) {
                house(Vec2(0.12 + Double(i) * 0.25, 0.05), 0.18, 0.07, angle: 0, roof: rng.pick(Palette.roofs).0)
            }
            facts.surroundings.append("some buildings")
        }
        if rng.chance(0.6) {
            _ = scatterTrees(rng.int(8...16), in: (-0.3, 0.85, 1.3, 1.3), radius: 0.02...0.035)
            facts.surroundings.append("green trees")
        }
    }

    mutating func bareLand() {
        let (base, word) = rng.pick([(Palette.soil[0], "brown"), (RGB(hex: 160, 156, 146), "gray"), (RGB(hex: 190, 170, 120), "yellow")])
        ground = .init(color: base, second: base.scaled(0.85), texture: 0.14, grain: 18, patchiness: 4)
        facts.attributes["colour"] = word
        let tracks = rng.int(0...3)
        for _ in 0..<tracks {
            let y0 = rng.uniform(0...1), y1 = rng.uniform(0...1)
            polygon(Shapes.band([Vec2(-0.4, y0), Vec2(0.5, (y0 + y1) / 2 + rng.uniform(-0.1...0.1)), Vec2(1.4, y1)], width: 0.012),
                    .flat(base.scaled(1.2), alpha: 0.7))
        }
        if tracks > 0 { facts.surroundings.append("some tracks") }
        let shrubs = rng.chance(0.5) ? rng.int(3...12) : 0
        _ = scatterTrees(shrubs, in: (0.1, 0.1, 0.9, 0.9), radius: 0.01...0.018, palette: Palette.trees.map { $0.scaled(1.3) })
        if shrubs > 0 { facts.surroundings.append("a few shrubs") }
        if rng.chance(0.25) {
            house(Vec2(rng.uniform(0.2...0.8), rng.uniform(0.2...0.8)), 0.08, 0.06, angle: rng.uniform(0...3), roof: rng.pick(Palette.roofs).0)
            facts.surroundings.append("a small building")
        }
    }

    mutating func desert() {
        let (base, word) = rng.pick([(RGB(hex: 222, 190, 130), "yellow"), (RGB(hex: 210, 150, 96), "orange"), (RGB(hex: 230, 210, 170), "light yellow")])
        ground = .init(color: base, second: base.scaled(0.9), texture: 0.08, grain: 14, patchiness: 2)
        facts.attributes["colour"] = word
        let ripples = rng.chance(0.6)
        let spacing = rng.uniform(0.05...0.1)
        var y = -0.4
        while y < 1.4 {
            let line = meander(at: y, amplitude: spacing * 0.35, waves: rng.uniform(1.5...3), steps: 40)
            polygon(Shapes.band(line, width: spacing * 0.35), .flat(base.scaled(0.78), alpha: ripples ? 0.5 : 0.3))
            polygon(Shapes.band(line.map { $0 + Vec2(0, spacing * 0.18) }, width: spacing * 0.2), .flat(base.scaled(1.12), alpha: 0.5))
            y += spacing
        }
        facts.attributes["dunes"] = ripples ? "ripples" : "dunes"
    }
}
