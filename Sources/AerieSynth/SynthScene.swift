import AerieCore
import Foundation

/// The kinds of top-down scene the generator draws, named with the caption data sets' labels.
public enum SceneKind: String, CaseIterable, Sendable, Codable {
    case farmland
    case forest
    case river
    case pond
    case beach
    case residential
    case intersection
    case parking
    case airport
    case storageTanks = "storage tanks"
    case baseballField = "baseball field"
    case tennisCourt = "tennis court"
    case playground
    case bareLand = "bare land"
    case desert
    case bridge

    /// The label written to the data set (the raw value).
    public var label: String { rawValue }
}

/// One kind of countable thing in a scene, as the captions describe it.
public struct SceneObject: Sendable, Equatable {
    /// Singular noun: "storage tank".
    public let noun: String
    /// Plural noun: "storage tanks".
    public let plural: String
    /// How many were drawn.
    public let count: Int
    /// A colour word when they share one ("white").
    public let colour: String?
    /// Where they are ("on the left", "in the middle"), when that is clear.
    public let place: String?

    public init(noun: String, plural: String? = nil, count: Int, colour: String? = nil, place: String? = nil) {
        self.noun = noun
        self.plural = plural ?? noun + "s"
        self.count = count
        self.colour = colour
        self.place = place
    }
}

/// What a generated scene shows, recorded while it was drawn; the captions are written from it.
public struct SceneFacts: Sendable, Equatable {
    public let kind: SceneKind
    /// Countable objects with their exact counts.
    public var objects: [SceneObject] = []
    /// Things around the main subject: "green trees", "a road", "some buildings".
    public var surroundings: [String] = []
    /// Descriptive words keyed by aspect ("ground": "yellow", "density": "dense", "side": "left").
    public var attributes: [String: String] = [:]

    public init(kind: SceneKind) { self.kind = kind }

    /// The object with this singular noun, if drawn.
    public func object(_ noun: String) -> SceneObject? { objects.first { $0.noun == noun } }
}

/// A drawing instruction in image space (scene units).
enum DrawOp: Sendable {
    case polygon([Vec2], Paint)
    case circle(Vec2, Double, Paint)
}

/// A fully composed scene: ground, shapes in drawing order, grade, and its facts.
public struct SynthScene: Sendable {
    public let facts: SceneFacts
    let ground: Ground
    let ops: [DrawOp]
    let grade: Grade
    let noiseSeed: UInt64

    struct Ground: Sendable {
        var color: RGB
        var second: RGB?
        var texture: Float
        var grain: Double
        var patchiness: Double = 3
    }

    /// Global lighting and camera effects.
    struct Grade: Sendable {
        var gain: Float
        var tint: RGB
        var haze: Float
        var grain: Float
    }

    /// Composes a scene of `kind` from `rng` (every random choice comes from it).
    public static func compose(_ kind: SceneKind, rng: inout SplitMix64) -> SynthScene {
        var builder = SceneBuilder(kind: kind, rng: rng)
        builder.compose()
        rng = builder.rng
        return builder.finish()
    }

    /// Draws the scene into a `size` × `size` RGBA8 image.
    public func render(size: Int) -> [UInt8] {
        var canvas = Canvas(size: size, noiseSeed: noiseSeed)
        canvas.fillGround(ground.color, texture: ground.texture, grain: ground.grain,
                          second: ground.second, patchiness: ground.patchiness)
        for op in ops {
            switch op {
            case .polygon(let points, let paint): canvas.fill(points, paint)
            case .circle(let center, let radius, let paint): canvas.fillCircle(center, radius: radius, paint)
            }
        }
        return canvas.rgbaBytes(gain: grade.gain, tint: grade.tint, haze: grade.haze, grain: grade.grain)
    }
}

/// Number words for captions: "three"; larger counts are "many".
enum CountWords {
    static let words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                        "eleven", "twelve"]
    /// The largest count captions spell out.
    static let exactLimit = 12

    static func word(_ n: Int) -> String { n >= 0 && n <= exactLimit ? words[n] : "many" }
    static func value(of word: String) -> Int? { words.firstIndex(of: word.lowercased()) }
}
