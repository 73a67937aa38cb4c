import AerieTestSupport
import AerieImage
import Foundation
import Testing
import AerieCore
import AerieDatasets
@testable import AerieSynth

/// The synthetic-scene generator: determinism, coverage of scene kinds, truthful captions,
/// the rasteriser against its slow twin, and the round trip through the loader.
@Suite struct SynthTests {
    static let small = SynthCorpus.Options(count: 32, seed: 7, size: 40)

    /// `--count 999999999999` used to abort allocating 96 TB; it is refused with the limit.
    @Test func countsBeyondTheLimitAreRefused() throws {
        let folder = try TemporaryDirectory()
        for count in [999_999_999_999, SynthCorpus.Options.maximumCount + 1, Int.max, -1] {
            #expect(performing: {
                try SynthCorpus.generate(SynthCorpus.Options(count: count, seed: 1, writeImages: false), into: folder.url)
            }, throws: { error in
                guard case let .invalidOptions(reason) = error as? SynthCorpus.Failure else { return false }
                return reason.contains("0 to \(SynthCorpus.Options.maximumCount)")
            })
        }
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() {
        for index in [0, 5, 17] {
            let a = SynthCorpus.image(index, options: Self.small)
            let b = SynthCorpus.image(index, options: Self.small)
            #expect(a == b, "image \(index) differs between two renders")
            #expect(SynthCorpus.item(index, options: Self.small).item == SynthCorpus.item(index, options: Self.small).item)
            var other = Self.small
            other.seed = 8
            #expect(SynthCorpus.image(index, options: other) != a)
        }
    }

    @Test func generatedFilesAreIdenticalAcrossRuns() throws {
        let first = try TemporaryDirectory(), second = try TemporaryDirectory()
        defer { first.remove(); second.remove() }
        let options = SynthCorpus.Options(count: 20, seed: 3, size: 24)
        try SynthCorpus.generate(options, into: first.url)
        try SynthCorpus.generate(options, into: second.url)
        let names = try FileManager.default.contentsOfDirectory(atPath: first.url.appendingPathComponent("images").path).sorted()
        #expect(names.count == 20)
        for name in names + ["../dataset.json"] {
            let a = try Data(contentsOf: first.url.appendingPathComponent("images").appendingPathComponent(name))
            let b = try Data(contentsOf: second.url.appendingPathComponent("images").appendingPathComponent(name))
            #expect(a == b, "\(name) differs between runs")
        }
    }

    @Test func everySceneKindAppearsBalanced() {
        let options = SynthCorpus.Options(count: SceneKind.allCases.count * 3, seed: 11, size: 32)
        var counts: [SceneKind: Int] = [:]
        for i in 0..<options.count { counts[SynthCorpus.kind(of: i, options: options), default: 0] += 1 }
        #expect(SceneKind.allCases.count >= 12)
        #expect(counts.count == SceneKind.allCases.count)
        #expect(counts.values.allSatisfy { $0 == 3 })
        let splits = Set((0..<160).map { SynthCorpus.split(of: $0, options: options) })
        #expect(splits == [.train, .val, .test])
    }

    @Test func everyImageHasFiveDistinctCaptionsALabelAndASplit() {
        let options = SynthCorpus.Options(count: 160, seed: 5, size: 32)
        for i in 0..<options.count {
            let item = SynthCorpus.item(i, options: options).item
            #expect(item.captions.count == 5)
            #expect(Set(item.captions).count == 5, "\(item.kind): \(item.captions)")
            #expect(item.captions.allSatisfy { !$0.isEmpty && !$0.contains("  ") && $0.first?.isUppercase == true })
            #expect(item.filename.hasPrefix(item.kind.rawValue.replacingOccurrences(of: " ", with: "_")))
        }
    }

    /// Counts in captions are the counts drawn: every number word before an object's noun is that
    /// object's count, and every object counted up to twelve is counted in some caption.
    @Test func captionCountsMatchTheScene() {
        let options = SynthCorpus.Options(count: 640, seed: 99, size: 32)
        var checkedObjects = 0
        for i in 0..<options.count {
            let (item, _) = SynthCorpus.item(i, options: options)
            for object in item.facts.objects where object.count > 0 {
                var counted = false
                for caption in item.captions {
                    let words = caption.lowercased().split(separator: " ").map(String.init)
                    let nounWords = (object.count == 1 ? object.noun : object.plural).split(separator: " ").map(String.init)
                    for start in words.indices where Array(words[start...].prefix(nounWords.count)) == nounWords {
                        // The count word is right before the noun or before its colour word.
                        let before = words[max(0, start - 2)..<start]
                        let numbers = before.compactMap { CountWords.value(of: $0) }
                        if object.count == 1 {
                            #expect(numbers.isEmpty || numbers == [1], "\(item.filename): \(caption)")
                            #expect(before.contains { ["a", "an", "one", "the"].contains($0) }, "\(item.filename): \(caption)")
                        } else if object.count <= CountWords.exactLimit {
                            #expect(numbers == [object.count], "\(item.filename) has \(object.count) \(object.plural): \(caption)")
                        } else {
                            #expect(numbers.isEmpty && before.contains("many"), "\(item.filename): \(caption)")
                        }
                        counted = true
                    }
                }
                if ["storage tank", "plane", "tennis court", "car", "pond", "baseball field"].contains(object.noun) {
                    #expect(counted, "\(item.filename): no caption counts its \(object.plural): \(item.captions)")
                    checkedObjects += 1
                }
            }
        }
        #expect(checkedObjects > 200)
    }

    @Test func theSeaIsWhereTheCaptionSaysForBeaches() throws {
        // Reads the picture: the sea side has the bluest mean pixels.
        let options = SynthCorpus.Options(count: 160, seed: 21, size: 48)
        var checked = 0
        for i in 0..<options.count where SynthCorpus.kind(of: i, options: options) == .beach {
            let item = SynthCorpus.item(i, options: options).item
            let side = try #require(item.facts.attributes["side"])
            let image = SynthCorpus.image(i, options: options)
            func blueness(_ xs: Range<Int>, _ ys: Range<Int>) -> Double {
                var sum = 0.0
                for y in ys { for x in xs { let p = image[x, y]; sum += Double(p.b) - Double(p.r) } }
                return sum / Double(xs.count * ys.count)
            }
            let n = options.size, q = n / 4
            let sides = ["left": blueness(0..<q, 0..<n), "right": blueness(n - q..<n, 0..<n),
                         "top": blueness(0..<n, 0..<q), "bottom": blueness(0..<n, n - q..<n)]
            let bluest = sides.max { $0.value < $1.value }?.key
            #expect(bluest == side, "\(item.filename): captions say \(side), pixels say \(bluest ?? "?")")
            #expect(item.captions.contains { $0.contains("on the \(side)") })
            checked += 1
        }
        #expect(checked == 10)
    }

    /// The fast scanline rasteriser against a slow, obvious twin: 16×16 point samples per pixel.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func polygonCoverageMatchesBruteForce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let size = 24
        let polygon: [Vec2] = seed % 2 == 0
            ? Shapes.rect(center: Vec2(rng.uniform(0.3...0.7), rng.uniform(0.3...0.7)), width: rng.uniform(0.2...0.6),
                          height: rng.uniform(0.1...0.5), angle: rng.uniform(0...3))
            : Shapes.blob(center: Vec2(0.5, 0.5), radius: 0.3, wobble: 0.3, rng: &rng)
        var canvas = Canvas(size: size, noiseSeed: 0)
        canvas.fill(polygon, .flat(RGB(1, 1, 1)))
        // Four sub-scanlines per row: a horizontal edge is placed to within half a sub-row, 1/8 of a pixel.
        let tolerance: Float = 0.13
        var totalFast: Float = 0, totalSlow: Float = 0
        for y in 0..<size {
            for x in 0..<size {
                var inside = 0
                for sy in 0..<16 {
                    for sx in 0..<16 {
                        let p = Vec2((Double(x) + (Double(sx) + 0.5) / 16) / Double(size), (Double(y) + (Double(sy) + 0.5) / 16) / Double(size))
                        if Self.contains(polygon, p) { inside += 1 }
                    }
                }
                let slow = Float(inside) / 256
                let fast = canvas.pixels[(y * size + x) * 3]
                #expect(abs(fast - slow) <= tolerance, "pixel \(x),\(y): fast \(fast) slow \(slow)")
                totalFast += fast; totalSlow += slow
            }
        }
        #expect(abs(totalFast - totalSlow) / totalSlow < 0.01)
    }

    @Test func circleCoverageMatchesArea() {
        var canvas = Canvas(size: 64, noiseSeed: 0)
        canvas.fillCircle(Vec2(0.5, 0.5), radius: 0.3, .flat(RGB(1, 1, 1)))
        let area = stride(from: 0, to: canvas.pixels.count, by: 3).reduce(Float(0)) { $0 + canvas.pixels[$1] }
        let expected = Float.pi * powf(0.3 * 64, 2)
        #expect(abs(area - expected) / expected < 0.005)
    }

    static func contains(_ polygon: [Vec2], _ p: Vec2) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[i], b = polygon[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    @Test func loaderReadsTheGeneratedDataSet() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let options = SynthCorpus.Options(count: 34, seed: 13, size: 32)
        let items = try SynthCorpus.generate(options, into: folder.url)
        let dataset = try CaptionDataset.load(folder.url, options: DatasetLoadOptions(strict: true))
        #expect(dataset.kind == .captionJSON && dataset.name == "aerie-synth")
        #expect(dataset.imageRoot.lastPathComponent == "images")
        #expect(dataset.images.map(\.filename) == items.map(\.filename))
        #expect(dataset.images.map(\.sentences) == items.map(\.captions))
        #expect(dataset.images.map(\.label) == items.map(\.kind.label))
        #expect(dataset.images.map(\.split) == items.map(\.split))
        #expect(Set(dataset.labelCounts.map(\.label)) == Set(SceneKind.allCases.map(\.label)))
        let formats = dataset.formatReport()
        #expect(formats.formats == ["png": 34] && formats.sizes == ["32x32": 34] && formats.failures.isEmpty)
        // The PNG holds exactly the rendered pixels.
        let decoded = try ImageDecoder.decode(contentsOf: dataset.images[3].url)
        #expect(decoded == SynthCorpus.image(3, options: options))
    }
}
