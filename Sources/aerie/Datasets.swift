import AerieDatasets
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie datasets`: look into data sets and make synthetic ones.
struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect caption data sets, class folders and image folders; generate synthetic scenes.",
        discussion: """
            DATASET is a caption JSON (Karpathy style: images[].filename, split, sentences[].raw, \
            optional label), a folder holding one dataset*.json, a class-folder tree (a folder per \
            class, the label is the folder's name), or a plain folder of images searched \
            recursively. A folder with no images of its own and at least two sub-folders holding \
            images is read as class folders. --images DIR names a caption JSON's image root; by \
            default imgs/ or images/ beside the JSON.
            """,
        subcommands: [DatasetsInspect.self, DatasetsSynth.self]
    )

    /// Prints a data set error (sanitized: paths come from the user and from files) and exits 1.
    static func fail(_ error: any Error) -> ExitCode {
        printError("aerie: " + TerminalText.sanitize(String(describing: error)))
        return ExitCode(1)
    }
}
