import AerieImage
import AerieTestSupport
import Foundation
import Testing
import AerieCore
import AerieDatasets
@testable import AerieSynth

/// The committed corpus in assets/corpus is exactly what `make corpus` makes.
@Suite struct BundledCorpusTests {
    static let folder = SharedData.repositoryRoot.appendingPathComponent("assets/corpus")
    /// The options `make corpus` passes to `aerie datasets synth`.
    static let options = SynthCorpus.Options(count: 240, seed: 1, size: 128)

    @Test func captionFileIsReproducible() throws {
        let committed = try Data(contentsOf: Self.folder.appendingPathComponent("dataset.json"))
        let items = (0..<Self.options.count).map { SynthCorpus.item($0, options: Self.options).item }
        #expect(try SynthCorpus.json(items, name: "aerie-synth") == committed,
                "assets/corpus/dataset.json is stale: run `make corpus`")
    }

    @Test func oneImageOfEveryKindIsReproducible() throws {
        var seen = Set<SceneKind>()
        for index in 0..<Self.options.count {
            let kind = SynthCorpus.kind(of: index, options: Self.options)
            guard seen.insert(kind).inserted else { continue }
            let item = SynthCorpus.item(index, options: Self.options).item
            let committed = try Data(contentsOf: Self.folder.appendingPathComponent("images").appendingPathComponent(item.filename))
            let regenerated = try PNGEncoder.encode(SynthCorpus.image(index, options: Self.options))
            #expect(regenerated == committed, "\(item.filename) is stale: run `make corpus`")
        }
        #expect(seen.count == SceneKind.allCases.count)
    }

    @Test func loadsStrictlyWithBalancedLabels() throws {
        let dataset = try CaptionDataset.load(Self.folder, options: DatasetLoadOptions(strict: true))
        #expect(dataset.images.count == 240 && dataset.captionCount == 1_200)
        #expect(dataset.labelCounts.allSatisfy { $0.count == 15 } && dataset.labelCounts.count == 16)
        #expect(Set(dataset.splits) == [.train, .val, .test])
    }
}
