import AerieCore
@testable import AerieJoint
import AerieTensor
import Foundation
import Testing

@Suite struct GradientTests {
    @Test(arguments: 0..<3) func matrixProductsMatchNaiveLoops(seed: UInt64) {
        var g = SplitMix64(seed: seed)
        let m = 3 + Int(seed), n = 4, k = 5
        let a = randomValues(m * k, &g), b = randomValues(n * k, &g), bt = randomValues(k * n, &g), at = randomValues(k * m, &g)
        let c1 = Matrix.multiplyTransposed(a, b, m: m, n: n, k: k)
        let r1 = naiveProduct(a, b, m: m, n: n, k: k, transposeA: false, transposeB: true)
        let c2 = Matrix.multiply(a, bt, m: m, n: n, k: k)
        let r2 = naiveProduct(a, bt, m: m, n: n, k: k, transposeA: false, transposeB: false)
        var c3 = [Float](repeating: 0, count: m * n)
        Matrix.multiplyFirstTransposed(at, bt, m: m, n: n, k: k, into: &c3)
        let r3 = naiveProduct(at, bt, m: m, n: n, k: k, transposeA: true, transposeB: false)
        for (x, y) in zip(c1 + c2 + c3, r1 + r2 + r3) { #expect(abs(x - y) <= Tolerance.blas) }
    }

    @Test func tripletLossValueByHand() {
        // Two pairs: S = [[0.9, 0.5], [0.2, 0.6]], margin 0.2. Only caption 1 against image 0
        // violates the margin: 0.2 - 0.6 + 0.5 = 0.1; the mean over 2 pairs is 0.05.
        let s: [Float] = [0.9, 0.5, 0.2, 0.6]
        let r = ContrastiveLoss.evaluate(.triplet(margin: 0.2), similarity: s, mask: NegativeMask(count: 2))
        #expect(abs(r.loss - 0.05) < 1e-6)
        #expect(r.similarityGradient == [0, 0.5, 0, -0.5])
        let h = ContrastiveLoss.evaluate(.hardest(margin: 0.2), similarity: s, mask: NegativeMask(count: 2))
        #expect(abs(h.loss - 0.05) < 1e-6)
    }

    @Test func hardestNegativeTakesOnlyTheWorstViolation() {
        // Image 0 against captions 1 and 2 (0.5 and 0.7): sum counts both, hardest only 0.7.
        let s: [Float] = [0.9, 0.5, 0.7,
                          0.0, 0.9, 0.0,
                          0.0, 0.0, 0.9]
        let sum = ContrastiveLoss.evaluate(.triplet(margin: 0.2), similarity: s, mask: NegativeMask(count: 3))
        let hard = ContrastiveLoss.evaluate(.hardest(margin: 0.2), similarity: s, mask: NegativeMask(count: 3))
        #expect(abs(sum.loss - (0.0 + 0.2 - 0.9 + 0.7 + 0.0) / 3) < 1e-6 || sum.loss > hard.loss)
        #expect(abs(hard.loss - (0.2 - 0.9 + 0.7) / 3) < 1e-6)
    }

    @Test func infoNCELossValueByHand() {
        let s: [Float] = [1, 0, 0, 1]
        let r = ContrastiveLoss.evaluate(.infoNCE(temperature: 1, learnable: false), similarity: s, mask: NegativeMask(count: 2))
        let expected = Float(-log(exp(1.0) / (exp(1.0) + 1)))
        #expect(abs(r.loss - expected) < 1e-5)
    }

    @Test func maskedNegativesDoNotCount() {
        // Caption 1 repeats caption 0's text: with the mask the large "negative" costs nothing.
        let s: [Float] = [0.5, 0.9, 0.9, 0.5]
        let mask = NegativeMask(captionTexts: [7, 7], imageTexts: [[7], [7]])
        #expect(mask.isNegative == [false, false, false, false])
        for loss in allLosses {
            let r = ContrastiveLoss.evaluate(loss, similarity: s, mask: mask, logScale: 1)
            let unmasked = ContrastiveLoss.evaluate(loss, similarity: s, mask: NegativeMask(count: 2), logScale: 1)
            #expect(r.loss < unmasked.loss, "\(loss)")
            #expect(abs(r.loss) < 1e-6, "\(loss)")
        }
        let classMask = NegativeMask(captionTexts: [1, 2, 3], imageTexts: [[1], [2], [3]], classes: [0, 0, 1])
        #expect(classMask.isNegative == [false, false, true, false, false, true, true, true, false])
        // A caption that is one of image 0's other captions is no negative for image 0 only.
        let other = NegativeMask(captionTexts: [1, 2, 3], imageTexts: [[1, 3], [2], [3]])
        #expect(other.isNegative == [false, true, false, true, false, true, true, true, false])
    }

    @Test(arguments: allLosses) func lossGradientMatchesFiniteDifferences(loss: LossKind) {
        var g = SplitMix64(seed: 11)
        let n = 6
        let mask = sampleMask(n)
        let s = randomValues(n * n, &g, scale: 0.5)
        let logScale: Float = 1.5
        let r = ContrastiveLoss.evaluate(loss, similarity: s, mask: mask, logScale: logScale)
        let h: Float = 1e-3
        for k in 0..<(n * n) {
            var plus = s, minus = s
            plus[k] += h
            minus[k] -= h
            let numeric = (ContrastiveLoss.evaluate(loss, similarity: plus, mask: mask, logScale: logScale).loss
                - ContrastiveLoss.evaluate(loss, similarity: minus, mask: mask, logScale: logScale).loss) / (2 * h)
            #expect(gradientsAgree(r.similarityGradient[k], numeric), "\(loss) dS[\(k)]: \(r.similarityGradient[k]) vs \(numeric)")
        }
        if case .infoNCE(_, true) = loss {
            let numeric = (ContrastiveLoss.evaluate(loss, similarity: s, mask: mask, logScale: logScale + h).loss
                - ContrastiveLoss.evaluate(loss, similarity: s, mask: mask, logScale: logScale - h).loss) / (2 * h)
            #expect(gradientsAgree(r.logScaleGradient, numeric), "dlogScale \(r.logScaleGradient) vs \(numeric)")
        }
    }

    static let heads: [HeadConfiguration] = [
        HeadConfiguration(kind: .linear, inputDimension: 6, outputDimension: 4),
        HeadConfiguration(kind: .mlp, inputDimension: 6, outputDimension: 4, hiddenDimension: 7, activation: .relu),
        HeadConfiguration(kind: .mlp, inputDimension: 6, outputDimension: 4, hiddenDimension: 7, activation: .gelu),
        HeadConfiguration(kind: .mlp, inputDimension: 6, outputDimension: 4, hiddenDimension: 7, activation: .gelu, residual: true),
    ]

    /// The whole batch step (head → normalisation → similarity → loss) against finite differences
    /// on every parameter of both heads, for every head and loss, with a mask.
    @Test(arguments: heads, allLosses) func batchGradientMatchesFiniteDifferences(head: HeadConfiguration, loss: LossKind) {
        var g = SplitMix64(seed: 5)
        let n = 5
        var imageHead = ProjectionHead(configuration: head, generator: &g)
        var textConfiguration = head
        textConfiguration.inputDimension = 5
        var textHead = ProjectionHead(configuration: textConfiguration, generator: &g)
        // Non-trivial standardisation, as after `standardize(using:)`.
        imageHead.inputMean = randomValues(6, &g, scale: 0.1)
        textHead.inputScale = randomValues(5, &g).map { 1 + 0.2 * abs($0) }
        let xi = randomValues(n * 6, &g), xt = randomValues(n * 5, &g)
        let mask = sampleMask(n)
        func lossValue(_ ih: ProjectionHead, _ th: ProjectionHead) -> Float {
            var none: SplitMix64? = nil
            return BatchStep.run(imageHead: ih, textHead: th, imageInput: xi, textInput: xt, mask: mask,
                                 loss: loss, logScale: 1, generator: &none).loss
        }
        var none: SplitMix64? = nil
        let result = BatchStep.run(imageHead: imageHead, textHead: textHead, imageInput: xi, textInput: xt, mask: mask,
                                   loss: loss, logScale: 1, generator: &none)
        #expect(result.loss > 0)
        let h = Tolerance.finiteDifferenceStep
        var checked = 0
        for side in 0..<2 {
            let base = side == 0 ? imageHead : textHead
            let grads = side == 0 ? result.imageGradients : result.textGradients
            for (name, _) in base.configuration.parameterShapes {
                guard let values = base.parameters[name], let grad = grads[name] else {
                    Issue.record("missing gradient for \(name)")
                    continue
                }
                #expect(grad.count == values.count)
                for k in values.indices {
                    var plus = base, minus = base
                    plus.parameters[name]?[k] += h
                    minus.parameters[name]?[k] -= h
                    let up = side == 0 ? lossValue(plus, textHead) : lossValue(imageHead, plus)
                    let down = side == 0 ? lossValue(minus, textHead) : lossValue(imageHead, minus)
                    // The hinge losses and ReLU are piecewise linear: when a step crosses a kink the
                    // central difference is off, but the one-sided difference on the other side is exact.
                    let numeric = [(up - down) / (2 * h), (up - result.loss) / h, (result.loss - down) / h]
                    #expect(numeric.contains { gradientsAgree(grad[k], $0) },
                            "\(head.kind) \(loss) side \(side) \(name)[\(k)]: \(grad[k]) vs \(numeric)")
                    checked += 1
                }
            }
        }
        #expect(checked > 40)
    }

    @Test func dropoutGradientMatchesFiniteDifferencesUnderAFixedMask() {
        var g = SplitMix64(seed: 9)
        let config = HeadConfiguration(kind: .mlp, inputDimension: 6, outputDimension: 4, hiddenDimension: 8, dropout: 0.3)
        let head = ProjectionHead(configuration: config, generator: &g)
        let x = randomValues(3 * 6, &g), dy = randomValues(3 * 4, &g)
        var dropout: SplitMix64? = SplitMix64(seed: 1)
        let (_, activations) = head.forward(x, count: 3, generator: &dropout)
        let grads = head.backward(activations, outputGradient: dy)
        func value(_ h: ProjectionHead) -> Float {
            var same: SplitMix64? = SplitMix64(seed: 1)  // the same dropout mask
            let y = h.forward(x, count: 3, generator: &same).output
            return zip(y, dy).map { $0 * $1 }.reduce(0, +)
        }
        expectGradients(grads, of: head, parameters: ["w1", "b1", "w2"], every: 3, value: value)
    }

    @Test(arguments: [HeadKind.linear, .mlp]) func inputDropoutGradientMatchesFiniteDifferencesUnderAFixedMask(kind: HeadKind) {
        var g = SplitMix64(seed: 11)
        let config = HeadConfiguration(kind: kind, inputDimension: 6, outputDimension: 4, hiddenDimension: 8, inputDropout: 0.5)
        let head = ProjectionHead(configuration: config, generator: &g)
        let x = randomValues(3 * 6, &g), dy = randomValues(3 * 4, &g)
        var dropout: SplitMix64? = SplitMix64(seed: 2)
        let (trainingOutput, activations) = head.forward(x, count: 3, generator: &dropout)
        // Dropout is on while training, off without a generator.
        #expect(trainingOutput != head.forward(x, count: 3))
        #expect(activations.input.contains(0))
        let grads = head.backward(activations, outputGradient: dy)
        func value(_ h: ProjectionHead) -> Float {
            var same: SplitMix64? = SplitMix64(seed: 2)  // the same dropout mask
            let y = h.forward(x, count: 3, generator: &same).output
            return zip(y, dy).map { $0 * $1 }.reduce(0, +)
        }
        expectGradients(grads, of: head, parameters: kind == .linear ? ["w", "b"] : ["w1", "b1", "w2"], every: 2, value: value)
    }

    /// Compares `grads` with central finite differences of `value` on every `every`-th entry of
    /// each named parameter.
    func expectGradients(_ grads: [String: [Float]], of head: ProjectionHead, parameters: [String], every: Int,
                         value: (ProjectionHead) -> Float, sourceLocation: SourceLocation = #_sourceLocation) {
        let step = Tolerance.finiteDifferenceStep
        for name in parameters {
            for k in stride(from: 0, to: head.parameters[name]?.count ?? 0, by: every) {
                var plus = head, minus = head
                plus.parameters[name]?[k] += step
                minus.parameters[name]?[k] -= step
                let numeric = (value(plus) - value(minus)) / (2 * step)
                #expect(gradientsAgree(grads[name]?[k] ?? .nan, numeric), "\(name)[\(k)]", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func headConfigurationsWithoutInputDropoutStillDecode() throws {
        let old = #"{"kind":"linear","inputDimension":3,"outputDimension":2,"hiddenDimension":8,"activation":"gelu","residual":false,"dropout":0}"#
        let config = try JSONDecoder().decode(HeadConfiguration.self, from: Data(old.utf8))
        #expect(config.inputDropout == 0)
        let bad = #"{"kind":"linear","inputDimension":3,"outputDimension":2,"hiddenDimension":8,"activation":"gelu","residual":false,"dropout":0,"inputDropout":1.5}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(HeadConfiguration.self, from: Data(bad.utf8)) }
    }
}
