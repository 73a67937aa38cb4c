import AerieCore
@testable import AerieJoint
import AerieTensor

/// Tolerances named once: float32 central differences with step `finiteDifferenceStep`.
enum Tolerance {
    static let finiteDifferenceStep: Float = 2e-3
    /// |analytic − numeric| ≤ absolute + relative × max(|analytic|, |numeric|).
    static let gradientAbsolute: Float = 2e-3
    static let gradientRelative: Float = 3e-2
    static let blas: Float = 1e-4
}

func randomValues(_ count: Int, _ generator: inout SplitMix64, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in generator.nextGaussian() * scale }
}

func gradientsAgree(_ analytic: Float, _ numeric: Float) -> Bool {
    abs(analytic - numeric) <= Tolerance.gradientAbsolute + Tolerance.gradientRelative * max(abs(analytic), abs(numeric))
}

/// Every loss the trainer offers, with margins/temperatures typical of training.
let allLosses: [LossKind] = [
    .triplet(margin: 0.2), .hardest(margin: 0.2),
    .infoNCE(temperature: 0.1, learnable: false), .infoNCE(temperature: 0.1, learnable: true),
]

/// A mask with repeated captions and same-class pairs, like RSICD batches.
func sampleMask(_ n: Int) -> NegativeMask {
    // items 0 and 2 share a caption text; classes cycle with period 3.
    var texts = Array(0..<n)
    texts[2] = texts[0]
    let imageTexts = texts.enumerated().map { Set([$0.element, 100 + $0.offset]) }
    return NegativeMask(captionTexts: texts, imageTexts: imageTexts, classes: (0..<n).map { $0 % 3 })
}

/// Slow, obvious twin of the BLAS products.
func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s: Float = 0
            for p in 0..<k {
                let x = transposeA ? a[p * m + i] : a[i * k + p]
                let y = transposeB ? b[j * k + p] : b[p * n + j]
                s += x * y
            }
            c[i * n + j] = s
        }
    }
    return c
}

let imageReference = ModelIdentity(name: "test-image", weightsSHA256: String(repeating: "a", count: 64), dimension: 6)
let textReference = ModelIdentity(name: "test-text", weightsSHA256: String(repeating: "b", count: 64), dimension: 5)
