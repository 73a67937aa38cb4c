import AerieImage
import AerieModels
import AerieTensor
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie embed`: encode texts or image files with a pretrained model into a `.npy` matrix.
struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode texts or images with a pretrained model into a float32 .npy file.",
        discussion: """
            Writes one row per --text or per file, in the order given, as float32 .npy that \
            numpy.load reads as is. Models: \(ModelRegistry.names.joined(separator: ", ")). \
            Install them first with `aerie models install`.
            """
    )

    @Option(help: "The model: \(ModelRegistry.names.joined(separator: ", ")).")
    var model: String

    @Option(name: .customLong("text"), help: "A text to encode (repeat for several).")
    var texts: [String] = []

    @Argument(help: "Image files to encode (PNG, JPEG, TIFF).")
    var files: [String] = []

    @Option(help: "The .npy file to write.")
    var out: String

    @Option(help: "Model store folder (default: $AERIE_MODELS or ~/.cache/aerie/models).")
    var models: String?

    @Option(help: "Threads for matrix products (default: all cores).")
    var threads: Int?

    @Option(help: "Images decoded and encoded per batch.")
    var imageBatch: Int = 16

    func validate() throws {
        guard let entry = ModelRegistry.entry(model) else {
            throw ValidationError("unknown model '\(TerminalText.sanitize(model))'; choose one of \(ModelRegistry.names.joined(separator: ", "))")
        }
        guard texts.isEmpty != files.isEmpty else {
            throw ValidationError("give either --text (one or more) or image files, not both and not neither")
        }
        switch entry.input {
        case .text where texts.isEmpty:
            throw ValidationError("\(model) encodes text: use --text")
        case .image where files.isEmpty:
            throw ValidationError("\(model) encodes images: give image files")
        default: break
        }
        if let threads { try checkRange("threads", threads, 1...1024) }
        try checkRange("image-batch", imageBatch, 1...4096)
    }

    func run() async throws {
        guard let entry = ModelRegistry.entry(model) else { throw ValidationError("unknown model") }
        BLAS.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let store = ModelStore(explicit: models)
        let encoder: LoadedEncoder
        do { encoder = try entry.load(store) } catch {
            throw CLIError(TerminalText.sanitize("\(error)"))
        }
        let result: Tensor
        switch encoder {
        case let .text(textEncoder):
            result = try textEncoder.encode(texts)
        case let .image(imageEncoder):
            var data: [Float] = []
            for start in stride(from: 0, to: files.count, by: imageBatch) {
                let batch = files[start ..< min(start + imageBatch, files.count)]
                let images = try batch.map { path in
                    do { return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path)) } catch {
                        throw CLIError("\(TerminalText.sanitizedPath(URL(fileURLWithPath: path))): \(TerminalText.sanitize("\(error)"))")
                    }
                }
                data += try imageEncoder.encode(images).data
            }
            result = Tensor(shape: [files.count, encoder.identity.dimension], data: data)
        }
        try NPY.write(result, to: out)
        let count = result.shape.first ?? 0
        printError("embed: wrote \(count) × \(encoder.identity.dimension) float32 to \(TerminalText.sanitizedPath(URL(fileURLWithPath: out))) with \(encoder.identity)")
    }
}

/// A failure already phrased for the user, shown as `aerie: <message>`.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
