import AerieDatasets
import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import Foundation
@testable import AerieIndex

// TEST-ONLY encoders: tiny deterministic stand-ins for the real models, so the index pipeline is
// tested without weights. They are never used outside this test target.

/// The colour words the test data uses; the test image encoder and text encoder both map into
/// this vocabulary so that a trivial "head" aligns them.
let testColours: [(word: String, rgb: (UInt8, UInt8, UInt8))] = [
    ("red", (250, 10, 10)), ("green", (10, 250, 10)), ("blue", (10, 10, 250)),
    ("yellow", (250, 250, 10)), ("white", (250, 250, 250)), ("black", (5, 5, 5)),
]

/// Counts calls across threads.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ n: Int) { lock.lock(); value += n; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

/// Features: the distance of the mean colour to each test colour, turned into a soft one-hot.
struct TestImageEncoder: ImageEncoding {
    var identity = ModelIdentity(name: "test-image", weightsSHA256: String(repeating: "a", count: 64), dimension: 6)
    let counter = CallCounter()
    func encode(_ images: [RGBAImage]) throws -> Tensor {
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
struct TestTextEncoder: TextEncoding {
    var identity = ModelIdentity(name: "test-text", weightsSHA256: String(repeating: "b", count: 64), dimension: 8)
    let counter = CallCounter()
    func encode(_ texts: [String]) throws -> Tensor {
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
struct TestHead: JointProjection {
    var dimension = 6
    var imageEncoder: (name: String, weightsSHA256: String) = ("test-image", String(repeating: "a", count: 64))
    var textEncoder: (name: String, weightsSHA256: String) = ("test-text", String(repeating: "b", count: 64))
    var sharpen: Float = 1
    func projectImages(_ features: Tensor) throws -> Tensor {
        let n = features.shape[0]
        let values = (0..<n).flatMap { r in (0..<6).map { pow(features.data[r * 6 + $0], sharpen) } }
        return Tensor(shape: [n, 6], data: RetrievalEvaluation.l2Normalised(values, 6))
    }
    func projectTexts(_ features: Tensor) throws -> Tensor {
        let n = features.shape[0]
        let values = (0..<n).flatMap { r in (0..<6).map { features.data[r * 8 + $0] } }
        return Tensor(shape: [n, 6], data: RetrievalEvaluation.l2Normalised(values, 6))
    }
}

/// Test image files: the bytes "TIMG" then R, G, B; decoded as a 2×2 image of that colour.
enum TestImageFile {
    struct NotATestImage: Error {}
    static func write(_ rgb: (UInt8, UInt8, UInt8), to url: URL) throws {
        try Data(Array("TIMG".utf8) + [rgb.0, rgb.1, rgb.2]).write(to: url)
    }
    @Sendable static func decode(_ url: URL) throws -> RGBAImage {
        let data = try Data(contentsOf: url)
        guard data.count == 7, data.prefix(4) == Data("TIMG".utf8) else { throw NotATestImage() }
        let bytes = Array(data)
        return RGBAImage(width: 2, height: 2, fill: (bytes[4], bytes[5], bytes[6], 255))
    }
}

/// A small caption data set of coloured images on disk.
struct TestDataset {
    let root: URL
    var entries: [(file: String, colour: Int, split: String, captions: [String])]

    init(root: URL, count: Int) throws {
        self.root = root
        entries = (0..<count).map { i in
            let c = i % testColours.count
            return (file: "img\(i).png", colour: c, split: i % 4 == 0 ? "val" : "train",
                    captions: ["a \(testColours[c].word) field", "something \(testColours[c].word)", "plain \(i % 2 == 0 ? "land" : "area")"])
        }
        for entry in entries { try write(entry) }
    }

    func write(_ entry: (file: String, colour: Int, split: String, captions: [String])) throws {
        try TestImageFile.write(testColours[entry.colour].rgb, to: root.appendingPathComponent(entry.file))
    }

    var dataset: CaptionDataset {
        let images = entries.enumerated().map { i, e in
            ImageEntry(id: i, filename: e.file, url: root.appendingPathComponent(e.file), split: Split(rawValue: e.split),
                       label: testColours[e.colour].word, sentences: e.captions)
        }
        return CaptionDataset(kind: .captionJSON, source: root.appendingPathComponent("dataset.json"), imageRoot: root,
                              name: "test", images: images, missing: [], issues: [])
    }
}
