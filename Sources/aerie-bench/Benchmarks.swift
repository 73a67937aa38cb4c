import ArgumentParser

extension AerieBench {
    /// Every benchmark, one file each.
    static let allBenchmarks: [any ParsableCommand.Type] = [
        SearchBenchmark.self,
        DecodeBenchmark.self,
        SixelBenchmark.self,
        ImageEncoderBenchmark.self,
        TextEncoderBenchmark.self,
        DatasetsBenchmark.self,
        BrowseLatencyBenchmark.self,
        BrowseFirstFrameBenchmark.self,
    ]
}
