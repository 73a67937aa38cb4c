import ArgumentParser

/// `aerie-bench`: benchmarks that measure Aerie against a reference run side by side in the same
/// process or script, and print ratios (the machines are shared and noisy: absolute times mean
/// little).
@main
struct AerieBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aerie-bench",
        abstract: "Benchmarks of Aerie against reference implementations, as ratios.",
        subcommands: AerieBench.allBenchmarks
    )
}
