import AerieCore
import Foundation

/// Writes RSICD-style captions for a scene from its ``SceneFacts``.
///
/// Each scene kind has a list of sentence templates; five different ones are chosen per image and
/// filled with the scene's own counts, colours, positions and surroundings, so the captions are
/// true of the image they describe. Counts up to twelve are spelled out exactly ("three white
/// storage tanks"); more are "many".
public enum CaptionWriter {
    /// Five captions for `facts`, all different when the templates allow it.
    public static func captions(for facts: SceneFacts, rng: inout SplitMix64, count: Int = 5) -> [String] {
        var phrases = Phrases(facts: facts)
        var candidates = templates(facts.kind, &phrases, &rng).filter { !$0.isEmpty }
        var chosen: [String] = []
        while chosen.count < count && !candidates.isEmpty {
            let sentence = candidates.remove(at: rng.int(0...(candidates.count - 1)))
            if !chosen.contains(sentence) { chosen.append(sentence) }
        }
        while chosen.count < count, let any = chosen.first { chosen.append(any) }
        return chosen.map(capitalized)
    }

    static func capitalized(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst()
    }

    /// Noun phrases built from the facts.
    struct Phrases {
        let facts: SceneFacts

        /// "three white storage tanks", "a white storage tank", "many cars".
        func noun(_ noun: String, colour: Bool = true) -> String {
            guard let o = facts.object(noun) else { return "some \(noun)s" }
            let c = colour ? o.colour.map { $0 + " " } ?? "" : ""
            if o.count == 1 {
                let word = c.isEmpty ? o.noun : c + o.noun
                return (word.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + word
            }
            return CountWords.word(o.count) + " " + c + o.plural
        }

        func verb(_ noun: String) -> String { (facts.object(noun)?.count ?? 2) == 1 ? "is" : "are" }
        func count(_ noun: String) -> Int { facts.object(noun)?.count ?? 0 }
        func attribute(_ key: String, _ fallback: String) -> String { facts.attributes[key] ?? fallback }

        /// "green trees and a road", or `fallback` when nothing surrounds the subject.
        func surroundings(_ fallback: String) -> String {
            let s = facts.surroundings
            if s.isEmpty { return fallback }
            return s.count == 1 ? s[0] : s.dropLast().joined(separator: ", ") + " and " + (s.last ?? "")
        }

        /// " beside a road" when there is one, else "".
        func besideRoad() -> String { facts.surroundings.contains("a road") ? " beside a road" : "" }
        var hasTrees: Bool { facts.surroundings.contains("green trees") }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    static func templates(_ kind: SceneKind, _ p: inout Phrases, _ rng: inout SplitMix64) -> [String] {
        let around = p.surroundings("the open land")
        // Synonyms drawn per caption, so that equal scenes still get varied wording.
        func v(_ options: [String]) -> String { rng.pick(options) }
        let near = v(["near", "beside", "next to", "close to"])
        let surrounded = v(["surrounded by", "around", "among"])
        let some = v(["some", "several", "a few"])
        let lots = v(["many", "lots of", "a lot of"])
        switch kind {
        case .farmland:
            let colours = p.attribute("colours", "green")
            let many = p.attribute("parcels", "many")
            return [
                "\(many) pieces of farmland are divided into neat rectangles",
                "the farmland is made of \(colours) fields",
                "there is a piece of farmland with \(colours) parcels",
                "\(many) rectangular fields of different colors are next to each other",
                "it is a piece of cropland divided by narrow paths",
                "\(colours) fields are arranged in rows",
                "a large area of farmland with \(around)", "\(lots) \(colours) fields are \(near) each other",
            ]
        case .forest:
            let density = p.attribute("density", "dense")
            let colour = p.attribute("colour", "green")
            var t = [
                "it is a \(density) forest",
                "\(lots) \(colour) trees grow closely together",
                "a large piece of \(density) forest with \(colour) trees",
                "the forest is full of \(colour) trees",
                "\(lots) trees make up a \(density) forest", "the \(density) forest is made of \(lots) \(colour) trees",
                "many trees with round crowns are in a forest",
            ]
            if p.facts.surroundings.contains("a road") {
                t += ["a narrow road goes through the \(density) forest", "a road passes through many \(colour) trees"]
            }
            return t
        case .river, .bridge:
            let shape = p.attribute("shape", "curved")
            let water = p.attribute("water", "green")
            var t = [
                "a \(shape) river goes through the area",
                "a \(water) river runs across the land with \(around)",
                "there is a \(shape) river with \(around) on both sides",
                "the \(water) river flows through \(p.hasTrees ? "green trees" : "the land")", p.hasTrees ? "\(lots) green trees grow \(near) the \(water) river" : "",
                "a \(shape) river with sandy banks", "\(some) \(p.hasTrees ? "green trees" : "fields") are \(near) a \(shape) river",
            ]
            if kind == .bridge {
                let cars = p.count("car")
                let onBridge = cars > 0 ? " with \(p.noun("car")) on it" : ""
                t = [
                    "a bridge crosses a \(water) river",
                    "a bridge\(onBridge) goes over the river",
                    "there is a bridge over a river with \(around)",
                    "a road crosses the river on a bridge",
                    "a straight bridge spans a \(water) river",
                    "the river is crossed by a bridge\(onBridge)",
                ]
            }
            return t
        case .pond:
            let ponds = p.noun("pond")
            let place = p.facts.object("pond")?.place
            var t = [
                "\(ponds) \(p.verb("pond")) surrounded by \(around)",
                "there \(p.verb("pond")) \(ponds) in the green land",
                "\(p.hasTrees ? "many green trees" : "green grass") \(p.hasTrees ? "are" : "is") around \(ponds)",
                "\(ponds) with irregular shores \(p.verb("pond")) among \(around)",
                "it is a quiet area with \(ponds)", p.hasTrees ? "\(some) trees are \(near) \(ponds)" : "",
            ]
            if let place { t.append("\(ponds) \(p.verb("pond")) \(place)") }
            return t
        case .beach:
            let side = p.attribute("side", "left")
            let sea = p.attribute("sea", "blue")
            var t = [
                "a yellow beach is between the \(sea) sea and the land",
                "the \(sea) sea is on the \(side) and a yellow beach is beside it",
                "white waves hit a long sandy beach",
                "there is a yellow beach next to the \(sea) ocean",
                "a beach with \(around) is \(near) the sea", "\(lots) white waves are \(near) the yellow beach",
                "the ocean on the \(side) side washes a yellow beach",
            ]
            if p.count("umbrella") > 0 { t.append("\(p.noun("umbrella")) are on the yellow beach") }
            return t
        case .residential:
            let density = p.attribute("density", "dense")
            let roofs = p.attribute("roofs", "red")
            return [
                "it is a \(density) residential area",
                "many houses with \(roofs) roofs are arranged in rows",
                "\(density == "dense" ? "lots of" : "some") buildings are in a \(density) residential area with roads",
                "houses with \(roofs) roofs are separated by straight roads",
                "a \(density) residential area with green trees and roads",
                "\(lots) \(roofs) roofs are lined up along the roads", "\(some) green trees are \(surrounded) the houses with \(roofs) roofs",
            ]
        case .intersection:
            let junction = p.attribute("junction", "crossroads")
            let cars = p.noun("car")
            let junctionPhrase = junction == "crossroads" ? "two roads cross each other" : "a road meets another road"
            return [
                "\(cars) \(p.verb("car")) on the roads of a \(junction)",
                "\(junctionPhrase) with \(cars) on them",
                "there is a \(junction) with white zebra crossings",
                "\(cars) \(p.verb("car")) driving through an intersection",
                "it is a road intersection with \(around) in the corners",
                "\(junctionPhrase) at an intersection", p.facts.surroundings.contains("some buildings") ? "\(some) buildings are \(near) the intersection" : "",
            ]
        case .parking:
            let cars = p.noun("car")
            let rows = p.noun("row", colour: false)
            return [
                "\(cars) \(p.verb("car")) parked in a parking lot",
                "a parking lot with \(rows) of parking spaces",
                "\(cars) \(p.verb("car")) parked in \(rows) in the parking lot",
                "there is a large parking lot with \(cars)",
                "many parking spaces are in \(rows)",
                "a parking lot is \(surrounded == "around" ? "surrounded by" : surrounded) \(around)", p.facts.surroundings.isEmpty ? "" : "\(cars) \(p.verb("car")) parked \(near) \(around)",
            ]
        case .airport:
            let planes = p.noun("plane")
            return [
                "\(planes) \(p.verb("plane")) parked next to a long terminal building",
                "there \(p.verb("plane")) \(planes) on the apron of an airport",
                "an airport with a long runway and \(planes)",
                "\(planes) \(p.verb("plane")) near the runway of an airport",
                "a long gray runway is beside the airport buildings",
                "it is an airport with \(planes) and a terminal", "\(planes) \(p.verb("plane")) parked \(near) a terminal building",
            ]
        case .storageTanks:
            let tanks = p.noun("storage tank")
            let arrangement = p.attribute("arrangement", "in rows")
            let beside = p.besideRoad()
            var t = [
                "\(tanks) \(p.verb("storage tank"))\(arrangement == "alone" ? "" : " " + arrangement)\(beside)",
                "there \(p.verb("storage tank")) \(tanks) in an industrial area",
                "\(tanks) \(p.verb("storage tank")) on the gray ground",
                "\(tanks) with \(p.count("storage tank") == 1 ? "a round top" : "round tops") \(p.verb("storage tank")) \(beside.isEmpty ? "on the ground" : String(beside.dropFirst()))",
                "an industrial area with \(tanks)", p.facts.surroundings.contains("some buildings") ? "\(tanks) \(p.verb("storage tank")) \(near) \(some) buildings" : "",
            ]
            if !beside.isEmpty { t.append("a road passes by \(tanks)") }
            return t
        case .baseballField:
            let fields = p.noun("baseball field")
            return [
                "\(fields) \(p.verb("baseball field")) surrounded by \(around)",
                "there \(p.verb("baseball field")) \(fields) with a brown infield",
                "\(fields) with green grass \(p.verb("baseball field")) near \(around)",
                "\(fields) \(p.verb("baseball field")) shaped like a fan",
                "it is a sports area with \(fields)", p.hasTrees ? "\(some) green trees are \(near) \(fields)" : "",
            ]
        case .tennisCourt:
            let courts = p.noun("tennis court")
            return [
                "\(courts) \(p.verb("tennis court")) next to each other",
                "there \(p.verb("tennis court")) \(courts) surrounded by \(around)",
                "\(courts) with white lines \(p.verb("tennis court")) in a sports area",
                "\(courts) \(p.verb("tennis court")) among \(around)",
                "it is a place with \(courts)", p.hasTrees ? "\(courts) \(p.verb("tennis court")) \(near) \(some) green trees" : "",
            ]
        case .playground:
            let track = p.attribute("track", "red")
            return [
                "a playground with a \(track) running track and a green football field",
                "a green football field is surrounded by a \(track) track",
                "there is a playground surrounded by \(around)",
                "a \(track) oval running track is around a soccer field",
                "the playground has a green field inside a \(track) track",
                "a football field with white lines is in a playground", p.facts.surroundings.contains("some buildings") ? "\(some) buildings are \(near) a playground with a \(track) track" : "",
            ]
        case .bareLand:
            let colour = p.attribute("colour", "brown")
            var t = [
                "it is a piece of \(colour) bare land",
                "a large piece of \(colour) bare land",
                "there is nothing but \(colour) bare land",
                "the \(colour) land is empty and bare",
                "a piece of bare land with \(p.surroundings("no plants"))",
            ]
            if p.facts.surroundings.contains("some tracks") { t.append("some tracks cross the \(colour) bare land") }
            return t
        case .desert:
            let colour = p.attribute("colour", "yellow")
            let dunes = p.attribute("dunes", "dunes")
            return [
                "it is a piece of \(colour) desert",
                "a \(colour) desert with \(dunes)",
                "the desert is covered with \(colour) sand",
                "many \(dunes) are in the \(colour) desert",
                "there is a large piece of desert with wavy \(dunes)",
                "\(colour) sand \(dunes) stretch across the desert", "\(lots) \(dunes) cover the \(colour) desert",
            ]
        }
    }
}
