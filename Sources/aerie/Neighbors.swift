import AerieIndex
import ArgumentParser
import Foundation

/// `aerie neighbors`: the images (or captions) nearest an indexed image.
struct Neighbors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Images nearest an indexed image (image→image), or its nearest captions (image→text)."
    )

    @Argument(help: "An indexed image: its path relative to the image root, or its id.")
    var image: String
    @Option(name: .customLong("dataset"), help: "The data set whose index to search.")
    var dataset: String?
    @OptionGroup var options: IndexModelOptions
    @Option(help: "Results to show.")
    var k: Int = 10
    @Option(help: "cosine, euclidean, cityblock or hamming.")
    var metric: Metric = .cosine
    @Flag(help: "Rank all captions instead of images.")
    var captions = false
    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        let location = try options.location(forDataset: dataset.map { URL(fileURLWithPath: $0) })
        let index = try SearchIndex(location: location)
        guard let found = index.image(matching: image) else { throw IndexError.unknownItem("image \(image)") }
        let vector = index.imageVectors.row(found.row)
        let target: SearchIndex.Target = captions ? .captions : .images
        // The image itself is its own nearest neighbour: ask for one more and drop it.
        var hits = try index.search(vector, target: target, k: captions ? k : k + 1, metric: metric)
        if !captions { hits = Array(hits.filter { $0.id != found.row }.prefix(k)) }
        try printResults(resultLines(hits, index: index, target: target), json: json, metric: metric)
    }
}
