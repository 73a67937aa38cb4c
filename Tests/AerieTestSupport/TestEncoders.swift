import AerieCore
import AerieDatasets
import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import Foundation

// TEST-ONLY encoders: tiny deterministic stand-ins for the real models, so the index pipeline and
// the retrieval session are tested without weights. They are never used outside the tests.

/// The colour words the test data uses; the test image encoder and text encoder both map into
/// this vocabulary so that a trivial "head" aligns them.
public let testColours: [(word: String, rgb: (UInt8, UInt8, UInt8))] = [
    ("red", (250, 10, 10)), ("green", (10, 250, 10)), ("blue", (10, 10, 250)),
    ("yellow", (250, 250, 10)), ("white", (250, 250, 250)), ("black", (5, 5, 5)),
]

/// Counts calls across threads.
public final class CallCounter: Sendable {
    private let value = Locked(0)
    public func add(_ n: Int) { value.update { $0 += n } }
    public var count: Int { value.get() }
}

/// Features: the distance of the mean colour to each test colour, turned into a soft one-hot.
public struct TestImageEncoder: ImageEncoding {
    public var identity = ModelIdentity(name: "test-image", weightsSHA256: String(repeating: "a", count: 64), dimension: 6)
    public let counter = CallCounter()
    public init() {}
    public func encode(_ images: [RGBAImage]) throws -> Tensor {
        counter.add(images.count)
        var out: [Float] = []
        for image in images {
            var sum = (0.0, 0.0, 0.0)
            for i in stride(from: 0, to: image.pixels.count, by: 4) {
                sum.0 += Double(image.pixels[i]); sum.1 += Double(image.pixels[i + 1]); sum.2 += Double(image.pixels[i + 2])
            }
            let n = Double(image.width * image.height)
            out += testColours.map { colour in
                let d = abs(sum.0 / n - Double(colour.rgb.0)) + abs(sum.1 / n - Double(colour.rgb.1)) + abs(sum.2 / n - Double(colour.rgb.2))
                return Float(1 / (1 + d))
            }
        }
        return Tensor(shape: [images.count, identity.dimension], data: out)
    }
}

/// Features: counts of the colour words in the text (8-d: 6 colours and two hashed "other" bins).
public struct TestTextEncoder: TextEncoding {
    public var identity = ModelIdentity(name: "test-text", weightsSHA256: String(repeating: "b", count: 64), dimension: 8)
    public let counter = CallCounter()
    public init() {}
    public func encode(_ texts: [String]) throws -> Tensor {
        counter.add(texts.count)
        var out: [Float] = []
        for text in texts {
            var v = [Float](repeating: 0, count: 8)
            for word in text.lowercased().split(separator: " ") {
                if let i = testColours.firstIndex(where: { $0.word == word }) { v[i] += 1 } else { v[6 + word.count % 2] += 0.1 }
            }
            out += v
        }
        return Tensor(shape: [texts.count, identity.dimension], data: out)
    }
}

/// A fixed head: images keep their 6 colour scores; texts keep their 6 colour counts.
public struct TestHead: JointProjection {
    public var dimension = 6
    public var imageEncoder: (name: String, weightsSHA256: String) = ("test-image", String(repeating: "a", count: 64))
    public var textEncoder: (name: String, weightsSHA256: String) = ("test-text", String(repeating: "b", count: 64))
    public var sharpen: Float = 1
    public init(sharpen: Float = 1) { self.sharpen = sharpen }
    public func projectImages(_ features: Tensor) throws -> Tensor {
        let n = features.shape[0]
        let values = (0..<n).flatMap { r in (0..<6).map { pow(features.data[r * 6 + $0], sharpen) } }
        return Tensor(shape: [n, 6], data: L2.normalized(values, dimension: 6))
    }
    public func projectTexts(_ features: Tensor) throws -> Tensor {
        let n = features.shape[0]
        let values = (0..<n).flatMap { r in (0..<6).map { features.data[r * 8 + $0] } }
        return Tensor(shape: [n, 6], data: L2.normalized(values, dimension: 6))
    }
}

/// Test image files: the bytes "TIMG" then R, G, B; decoded as a 2×2 image of that colour.
public enum TestImageFile {
    public struct NotATestImage: Error {}
    public static func write(_ rgb: (UInt8, UInt8, UInt8), to url: URL) throws {
        try Data(Array("TIMG".utf8) + [rgb.0, rgb.1, rgb.2]).write(to: url)
    }
    @Sendable public static func decode(_ url: URL) throws -> RGBAImage {
        let data = try Data(contentsOf: url)
        guard data.count == 7, data.prefix(4) == Data("TIMG".utf8) else { throw NotATestImage() }
        let bytes = Array(data)
        return RGBAImage(width: 2, height: 2, fill: (bytes[4], bytes[5], bytes[6], 255))
    }
}

/// A small caption data set of coloured images on disk.
public struct TestDataset {
    public let root: URL
    public var entries: [(file: String, colour: Int, split: String, captions: [String])]

    public init(root: URL, count: Int) throws {
        self.root = root
        entries = (0..<count).map { i in
            let c = i % testColours.count
            return (file: "img\(i).png", colour: c, split: i % 4 == 0 ? "val" : "train",
                    captions: ["a \(testColours[c].word) field", "something \(testColours[c].word)", "plain \(i % 2 == 0 ? "land" : "area")"])
        }
        for entry in entries { try write(entry) }
    }

    public func write(_ entry: (file: String, colour: Int, split: String, captions: [String])) throws {
        try TestImageFile.write(testColours[entry.colour].rgb, to: root.appendingPathComponent(entry.file))
    }

    public var dataset: CaptionDataset {
        let images = entries.enumerated().map { i, e in
            ImageEntry(id: i, filename: e.file, url: root.appendingPathComponent(e.file), split: Split(rawValue: e.split),
                       label: testColours[e.colour].word, sentences: e.captions)
        }
        return CaptionDataset(kind: .captionJSON, source: root.appendingPathComponent("dataset.json"), imageRoot: root,
                              name: "test", images: images, missing: [], issues: [])
    }
}
