import AerieCore
import AerieDatasets
import AerieImage
import Dispatch
import Foundation

/// Writes a synthetic caption data set: PNG images plus a Karpathy-style `dataset.json`.
///
/// Image `i` is composed from its own generator, ``SplitMix64/stream(seed:index:)`` of the
/// corpus seed and `i`, so the bytes of every image and caption depend only on (seed, i, size):
/// the same on every run whatever the number of threads. Scene kinds go round-robin over a
/// seeded shuffle of ``SceneKind/allCases`` (balanced classes), and within each kind every tenth
/// image is `val`, the next `test`, the rest `train`.
public enum SynthCorpus {
    /// What to make.
    public struct Options: Sendable {
        public var count: Int
        public var seed: UInt64
        public var size: Int
        public var kinds: [SceneKind]
        /// Write the PNG files (off: only `dataset.json`, for caption-only scale tests).
        public var writeImages: Bool

        /// The most scenes one data set holds: every scene's record (captions, facts) is kept in
        /// memory and written into one `dataset.json` (about 1 KB a scene), so a million is about
        /// 1 GB of JSON; beyond it an allocation of terabytes would abort the process.
        public static let maximumCount = 1_000_000

        public init(count: Int, seed: UInt64, size: Int = 128, kinds: [SceneKind] = SceneKind.allCases,
                    writeImages: Bool = true) {
            self.count = count
            self.seed = seed
            self.size = size
            self.kinds = kinds
            self.writeImages = writeImages
        }
    }

    /// One generated image's record.
    public struct Item: Sendable, Equatable {
        public let index: Int
        public let filename: String
        public let kind: SceneKind
        public let split: Split
        public let captions: [String]
        public let facts: SceneFacts
    }

    /// Why generation failed.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case invalidOptions(String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .invalidOptions(let reason): "invalid synthetic data set options: \(reason)"
            case .cannotWrite(let path, let reason): "\(path): cannot write: \(reason)"
            }
        }
    }

    /// The kind of image `index` (balanced round-robin over a seeded order of `kinds`).
    public static func kind(of index: Int, options: Options) -> SceneKind {
        var rng = SplitMix64(seed: options.seed ^ 0x5EED_0F_C1A5_5E5)
        var order = options.kinds
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.int(0...i)) }
        return order[index % order.count]
    }

    /// The split of image `index`: per kind, every tenth image is val, the next test.
    public static func split(of index: Int, options: Options) -> Split {
        switch (index / max(options.kinds.count, 1)) % 10 {
        case 3: .val
        case 7: .test
        default: .train
        }
    }

    /// Composes image `index`'s scene and captions (no pixels).
    public static func item(_ index: Int, options: Options) -> (item: Item, scene: SynthScene) {
        let kind = kind(of: index, options: options)
        var rng = SplitMix64.stream(seed: options.seed, index: UInt64(index))
        let scene = SynthScene.compose(kind, rng: &rng)
        let captions = CaptionWriter.captions(for: scene.facts, rng: &rng)
        let filename = kind.rawValue.replacingOccurrences(of: " ", with: "_") + "_" + String(format: "%06d", index) + ".png"
        return (Item(index: index, filename: filename, kind: kind, split: split(of: index, options: options),
                     captions: captions, facts: scene.facts), scene)
    }

    /// Renders image `index` as RGBA.
    public static func image(_ index: Int, options: Options) -> RGBAImage {
        let scene = item(index, options: options).scene
        return RGBAImage(width: options.size, height: options.size, pixels: scene.render(size: options.size))
    }

    /// Generates the data set into `folder` (`dataset.json` and `images/`), on all cores.
    ///
    /// - Parameter progress: Called with the number of images done so far, from worker threads.
    /// - Returns: The items in index order.
    /// - Throws: ``Failure``.
    @discardableResult
    public static func generate(_ options: Options, into folder: URL,
                                progress: (@Sendable (Int) -> Void)? = nil) throws -> [Item] {
        guard (0...Options.maximumCount).contains(options.count) else {
            throw Failure.invalidOptions("count \(options.count) is out of range: 0 to \(Options.maximumCount) scenes")
        }
        guard (8...4096).contains(options.size) else { throw Failure.invalidOptions("size must be 8…4096 pixels") }
        guard !options.kinds.isEmpty else { throw Failure.invalidOptions("no scene kinds") }
        let images = folder.appendingPathComponent("images", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        } catch {
            throw Failure.cannotWrite(path: images.path, reason: error.localizedDescription)
        }
        let results = Slots<Result<Item, Failure>>(count: options.count)
        let chunk = 16
        let chunks = (options.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for index in (c * chunk)..<min((c + 1) * chunk, options.count) {
                let (item, scene) = item(index, options: options)
                if options.writeImages {
                    let url = images.appendingPathComponent(item.filename)
                    do {
                        let image = RGBAImage(width: options.size, height: options.size, pixels: scene.render(size: options.size))
                        try PNGEncoder.encode(image).write(to: url)
                    } catch {
                        results.set(index, .failure(.cannotWrite(path: url.path, reason: String(describing: error))))
                        continue
                    }
                }
                results.set(index, .success(item))
                progress?(results.increment())
            }
        }
        var items: [Item] = []
        items.reserveCapacity(options.count)
        for result in results.values {
            switch result {
            case .success(let item): items.append(item)
            case .failure(let failure): throw failure
            case nil: throw Failure.invalidOptions("an image was not generated")
            }
        }
        try writeJSON(items, name: "aerie-synth", to: folder.appendingPathComponent("dataset.json"))
        return items
    }

    /// The Karpathy-style JSON for `items` (image root `images/`).
    public static func json(_ items: [SynthCorpus.Item], name: String) throws -> Data {
        struct Sentence: Encodable { let raw: String; let sentid: Int; let imgid: Int }
        struct Entry: Encodable {
            let filename: String; let imgid: Int; let split: String; let label: String; let sentences: [Sentence]
        }
        struct File: Encodable { let dataset: String; let images: [Entry] }
        var sentid = 0
        let entries = items.map { item in
            Entry(filename: item.filename, imgid: item.index, split: item.split.rawValue, label: item.kind.label,
                  sentences: item.captions.map { raw in defer { sentid += 1 }; return Sentence(raw: raw, sentid: sentid, imgid: item.index) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(File(dataset: name, images: entries))
    }

    static func writeJSON(_ items: [Item], name: String, to url: URL) throws {
        do {
            try json(items, name: name).write(to: url, options: .atomic)
        } catch {
            throw Failure.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// Per-index result slots and a done counter shared by worker threads.
final class Slots<Value: Sendable>: @unchecked Sendable {
    private var storage: [Value?]
    private var done = 0
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock(); defer { lock.unlock() }
        storage[index] = value
    }

    func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        done += 1
        return done
    }

    var values: [Value?] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
