import ArgumentParser

/// `aerie preview`: print images in the terminal.
struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print images in the terminal as Unicode symbols, ASCII or sixel graphics."
    )

    @Argument(help: "Image files (PNG, JPEG, TIFF).")
    var files: [String]

    func run() async throws {
        throw ValidationError("preview is not built yet")
    }
}
