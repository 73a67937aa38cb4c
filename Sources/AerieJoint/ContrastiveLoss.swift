import Foundation

/// The training objective on a batch's similarity matrix.
public enum LossKind: Codable, Sendable, Equatable {
    /// Bidirectional triplet ranking loss summed over every valid in-batch negative (VSE).
    case triplet(margin: Float)
    /// Bidirectional triplet ranking loss on the hardest valid in-batch negative only (VSE++).
    case hardest(margin: Float)
    /// Symmetric InfoNCE on similarities divided by a temperature; the temperature is learned
    /// (as `log(1/τ)`) when `learnable`.
    case infoNCE(temperature: Float, learnable: Bool)

    /// The loss's short name, as `aerie train --loss` takes it.
    public var name: String {
        switch self {
        case .triplet: "triplet"
        case .hardest: "hardest"
        case .infoNCE: "infonce"
        }
    }
}

/// Which image-caption pairs of a batch count as negatives.
///
/// Entry `(i, j)` concerns image `i` and the caption sampled for image `j`; the diagonal holds the
/// positives. A pair is no negative when caption `j`'s text is one of image `i`'s own captions
/// (RSICD repeats captions such as "many green trees are around a building" across images), or,
/// optionally, when the two images share a scene class.
public struct NegativeMask: Sendable, Equatable {
    public let count: Int
    /// Row-major `count × count`; `true` where `(image i, caption j)` is a negative.
    public var isNegative: [Bool]

    /// Every off-diagonal pair is a negative.
    public init(count: Int) {
        self.count = count
        isNegative = (0..<count * count).map { $0 / count != $0 % count }
    }

    /// The mask for a batch.
    ///
    /// - Parameters:
    ///   - captionTexts: for each batch item, an identifier of its sampled caption's text (equal
    ///     texts, equal identifiers).
    ///   - imageTexts: for each batch item, the identifiers of all its image's captions.
    ///   - classes: for each batch item, its image's scene class, when same-class pairs are to be
    ///     masked; `nil` otherwise.
    public init(captionTexts: [Int], imageTexts: [Set<Int>], classes: [Int]? = nil) {
        let n = captionTexts.count
        precondition(imageTexts.count == n && (classes?.count ?? n) == n, "NegativeMask: inputs of different lengths")
        self.init(count: n)
        for i in 0..<n {
            for j in 0..<n where i != j {
                if imageTexts[i].contains(captionTexts[j]) || captionTexts[i] == captionTexts[j] {
                    isNegative[i * n + j] = false
                }
                if let classes, classes[i] == classes[j] { isNegative[i * n + j] = false }
            }
        }
    }
}

/// A loss value with its gradients.
public struct LossResult: Sendable {
    public var loss: Float
    /// `dL/dS`, row-major `n × n`.
    public var similarityGradient: [Float]
    /// `dL/d log(1/τ)` (InfoNCE with a learnable temperature; zero otherwise).
    public var logScaleGradient: Float
}

/// The bidirectional ranking and contrastive losses on a batch similarity matrix.
public enum ContrastiveLoss {
    /// Evaluates `kind` on `similarity` (`n × n`, row = image, column = caption, positives on the
    /// diagonal), averaged over the batch.
    ///
    /// - Parameter logScale: `log(1/τ)` for InfoNCE (ignored by the triplet losses).
    public static func evaluate(_ kind: LossKind, similarity s: [Float], mask: NegativeMask, logScale: Float = 0) -> LossResult {
        let n = mask.count
        precondition(s.count == n * n, "similarity must be \(n) × \(n)")
        var grad = [Float](repeating: 0, count: n * n)
        var loss: Double = 0
        let invN = 1 / Float(max(n, 1))
        switch kind {
        case let .triplet(margin):
            for i in 0..<n {
                for j in 0..<n where mask.isNegative[i * n + j] {
                    // image i with negative caption j
                    let a = margin - s[i * n + i] + s[i * n + j]
                    if a > 0 {
                        loss += Double(a)
                        grad[i * n + j] += invN
                        grad[i * n + i] -= invN
                    }
                    // caption j with negative image i
                    let b = margin - s[j * n + j] + s[i * n + j]
                    if b > 0 {
                        loss += Double(b)
                        grad[i * n + j] += invN
                        grad[j * n + j] -= invN
                    }
                }
            }
            return LossResult(loss: Float(loss) * invN, similarityGradient: grad, logScaleGradient: 0)
        case let .hardest(margin):
            for i in 0..<n {  // rows: image anchors, hardest negative caption
                var best = -1
                for j in 0..<n where mask.isNegative[i * n + j] && (best < 0 || s[i * n + j] > s[i * n + best]) { best = j }
                guard best >= 0 else { continue }
                let a = margin - s[i * n + i] + s[i * n + best]
                if a > 0 {
                    loss += Double(a)
                    grad[i * n + best] += invN
                    grad[i * n + i] -= invN
                }
            }
            for j in 0..<n {  // columns: caption anchors, hardest negative image
                var best = -1
                for i in 0..<n where mask.isNegative[i * n + j] && (best < 0 || s[i * n + j] > s[best * n + j]) { best = i }
                guard best >= 0 else { continue }
                let b = margin - s[j * n + j] + s[best * n + j]
                if b > 0 {
                    loss += Double(b)
                    grad[best * n + j] += invN
                    grad[j * n + j] -= invN
                }
            }
            return LossResult(loss: Float(loss) * invN, similarityGradient: grad, logScaleGradient: 0)
        case .infoNCE:
            let scale = exp(logScale)
            let half = invN / 2
            var logitGradient = [Float](repeating: 0, count: n * n)
            // Rows (image → captions) then columns (caption → images); each over the positive
            // and the valid negatives only.
            for direction in 0..<2 {
                for a in 0..<n {
                    @inline(__always) func index(_ b: Int) -> Int { direction == 0 ? a * n + b : b * n + a }
                    var maxLogit = scale * s[a * n + a]
                    for b in 0..<n where b != a && mask.isNegative[index(b)] { maxLogit = max(maxLogit, scale * s[index(b)]) }
                    var sum: Double = 0
                    for b in 0..<n where b == a || mask.isNegative[index(b)] { sum += Double(exp(scale * s[index(b)] - maxLogit)) }
                    let logSumExp = Double(maxLogit) + log(sum)
                    loss += logSumExp - Double(scale * s[a * n + a])
                    for b in 0..<n where b == a || mask.isNegative[index(b)] {
                        let p = Float(exp(Double(scale * s[index(b)]) - logSumExp))
                        logitGradient[index(b)] += half * (p - (b == a ? 1 : 0))
                    }
                }
            }
            var logScaleGradient: Float = 0
            for k in 0..<(n * n) {
                grad[k] = logitGradient[k] * scale
                logScaleGradient += logitGradient[k] * scale * s[k]
            }
            if case .infoNCE(_, false) = kind { logScaleGradient = 0 }
            return LossResult(loss: Float(loss) * half, similarityGradient: grad, logScaleGradient: logScaleGradient)
        }
    }
}
