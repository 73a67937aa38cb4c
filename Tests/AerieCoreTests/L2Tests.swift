import AerieCore
import Testing

@Suite struct L2Tests {
    @Test func rowsBecomeUnitAndZeroRowsStayZero() {
        var values: [Float] = [3, 4, 0, 0, 1, 0]
        let norms = L2.normalizeRows(&values, dimension: 2)
        #expect(norms == [5, 0, 1])
        #expect(values == [0.6, 0.8, 0, 0, 1, 0])
    }

    @Test func theFloorBoundsTheDivisor() {
        #expect(L2.normalized([1e-20, 0], dimension: 2, floor: 1e-12) == [Float(1e-20) / 1e-12, 0])
    }

    /// The two roundings are each exactly what their formula says, value by value.
    @Test func divisionAndReciprocalAreEachTheirOwnRounding() {
        var g = SplitMix64(seed: 3)
        let x = (0..<384).map { _ in Float(g.nextGaussian()) }
        let norm = x.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        #expect(L2.normalized(x, dimension: 384) == x.map { $0 / norm })
        let inverse = 1 / norm
        #expect(L2.normalized(x, dimension: 384, scaling: .reciprocal) == x.map { $0 * inverse })
    }
}
