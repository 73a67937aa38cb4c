import ArgumentParser

extension Aerie {
    /// Every subcommand, in the order `aerie --help` lists them. Each lives in its own file.
    static let allSubcommands: [any ParsableCommand.Type] = [
        Preview.self,
        Datasets.self,
        Embed.self,
        Models.self,
        Train.self,
        QueryBankCommand.self,
        Index.self,
        Search.self,
        Neighbors.self,
        Eval.self,
        Browse.self,
        Labels.self,
    ]
}
