import ArgumentParser

extension AerieBench {
    /// Every benchmark, one file each.
    static let allBenchmarks: [any ParsableCommand.Type] = [
        DecodeBenchmark.self,
        SixelBenchmark.self,
        TextEncoderBenchmark.self,
        ImageEncoderBenchmark.self,
    ]
}
