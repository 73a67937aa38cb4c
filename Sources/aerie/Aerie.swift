import ArgumentParser

/// The `aerie` command: remote-sensing image-text retrieval in the terminal.
@main
struct Aerie: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aerie",
        abstract: "Remote-sensing image-text retrieval in the terminal.",
        discussion: """
            Find aerial and satellite images by what they show. Aerie encodes images and \
            captions into one joint embedding space and ranks by distance; it browses, \
            searches, indexes, trains and evaluates from the command line.
            """,
        version: "0.1.0",
        subcommands: Aerie.allSubcommands
    )
}
