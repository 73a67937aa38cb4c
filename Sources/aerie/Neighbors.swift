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
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var options: IndexModelOptions
    @Flag(help: "Rank all captions instead of images.")
    var captions = false
    @OptionGroup var hubness: HubnessOptions

    func run() throws {
        try hubness.check(metric: ranking.metric)
        if hubness.hubness != .none && !captions {
            throw ValidationError("--hubness corrects image→text ranking: add --captions")
        }
        let session = try ranking.openSession(options)
        let items = try session.neighbours(of: image, target: captions ? .captions : .images, k: ranking.k,
                                           metric: ranking.metric, hubness: hubness.correction)
        try ranking.print(items, scoreName: hubness.scoreName)
    }
}
