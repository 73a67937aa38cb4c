import AerieCore

extension SplitMix64 {
    /// `count` floats uniform in `-scale...scale`, for seeded test cases.
    public mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &self) }
    }
}
