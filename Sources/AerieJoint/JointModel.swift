import AerieEvaluation
import AerieCore
import AerieTensor
import Foundation

/// A trained joint space: an image head and a text head into one L2-normalised space.
///
/// It can also be an ensemble of several such pairs trained with different seeds: each member
/// projects into its own normalised space, and the joint vector is the members' vectors side by
/// side, scaled by `1/√members`, so it is normalised too and its cosine similarity is the mean
/// of the members' cosines. An ensemble is one joint space to the index and the search.
public struct JointModel: JointProjection {
    public var imageHead: ProjectionHead
    public var textHead: ProjectionHead
    /// Members after the first of an ensemble (empty for a single model).
    public var extraMembers: [Member] = []
    public var imageModelIdentity: ModelIdentity
    public var textModelIdentity: ModelIdentity
    /// `log(1/τ)` of InfoNCE training (kept for the record; cosine ranking does not use it).
    public var logScale: Float

    public init(imageHead: ProjectionHead, textHead: ProjectionHead,
                imageEncoder: ModelIdentity, textEncoder: ModelIdentity, logScale: Float = 0) {
        precondition(imageHead.configuration.outputDimension == textHead.configuration.outputDimension,
                     "image and text heads must share the joint dimension")
        precondition(imageHead.configuration.inputDimension == imageEncoder.dimension
                     && textHead.configuration.inputDimension == textEncoder.dimension,
                     "head input dimensions must match their encoders")
        self.imageHead = imageHead
        self.textHead = textHead
        imageModelIdentity = imageEncoder
        textModelIdentity = textEncoder
        self.logScale = logScale
    }

    /// One image head and text head pair of an ensemble.
    public struct Member: Sendable {
        public var imageHead: ProjectionHead
        public var textHead: ProjectionHead
    }

    /// An ensemble of models trained on the same encoders with the same head shapes.
    ///
    /// - Throws: ``JointError/invalidData(reason:)`` when they differ.
    public static func ensemble(_ models: [JointModel]) throws -> JointModel {
        guard var first = models.first else { throw JointError.invalidData(reason: "an ensemble needs at least one model") }
        for model in models.dropFirst() {
            guard model.extraMembers.isEmpty, model.imageModelIdentity == first.imageModelIdentity,
                  model.textModelIdentity == first.textModelIdentity,
                  model.imageHead.configuration == first.imageHead.configuration,
                  model.textHead.configuration == first.textHead.configuration else {
                throw JointError.invalidData(reason: "ensemble members must share encoders and head shapes")
            }
            first.extraMembers.append(Member(imageHead: model.imageHead, textHead: model.textHead))
        }
        return first
    }

    /// Members of the ensemble (1 for a single model).
    public var memberCount: Int { 1 + extraMembers.count }
    /// Each member's own dimension.
    public var memberDimension: Int { imageHead.configuration.outputDimension }
    public var dimension: Int { memberDimension * memberCount }
    public var imageEncoder: (name: String, weightsSHA256: String) { (imageModelIdentity.name, imageModelIdentity.weightsSHA256) }
    public var textEncoder: (name: String, weightsSHA256: String) { (textModelIdentity.name, textModelIdentity.weightsSHA256) }

    /// Refuses encoders other than those the head was trained on.
    ///
    /// - Throws: ``JointError/encoderMismatch(side:expectedName:expectedSHA256:actualName:actualSHA256:)``.
    public func checkEncoders(image: ModelIdentity, text: ModelIdentity) throws {
        for (side, expected, actual) in [("image", imageModelIdentity, image), ("text", textModelIdentity, text)]
        where expected.name != actual.name || expected.weightsSHA256 != actual.weightsSHA256 || expected.dimension != actual.dimension {
            throw JointError.encoderMismatch(side: side, expectedName: expected.name, expectedSHA256: expected.weightsSHA256,
                                             actualName: actual.name, actualSHA256: actual.weightsSHA256)
        }
    }

    public func projectImages(_ features: Tensor) throws -> Tensor {
        try combine([imageHead] + extraMembers.map(\.imageHead), features, side: "image")
    }

    public func projectTexts(_ features: Tensor) throws -> Tensor {
        try combine([textHead] + extraMembers.map(\.textHead), features, side: "text")
    }

    /// The members' normalised projections side by side, scaled by `1/√members`.
    private func combine(_ heads: [ProjectionHead], _ features: Tensor, side: String) throws -> Tensor {
        guard heads.count > 1 else { return try project(features, with: heads[0], side: side) }
        let parts = try heads.map { try project(features, with: $0, side: side) }
        let n = features.shape[0], d = memberDimension, scale = 1 / Float(heads.count).squareRoot()
        var out = [Float](repeating: 0, count: n * dimension)
        for (m, part) in parts.enumerated() {
            for r in 0..<n {
                for j in 0..<d { out[r * dimension + m * d + j] = scale * part.data[r * d + j] }
            }
        }
        return Tensor(shape: [n, dimension], data: out)
    }

    private func project(_ features: Tensor, with head: ProjectionHead, side: String) throws -> Tensor {
        let d = head.configuration.inputDimension
        guard features.shape.count == 2, features.shape[1] == d else {
            throw JointError.featureDimension(side: side, expected: d, actual: features.shape.last ?? 0)
        }
        let n = features.shape[0]
        // Rows in chunks keep scratch memory bounded for large indexes.
        var out = [Float]()
        let dimension = head.configuration.outputDimension
        out.reserveCapacity(n * dimension)
        let chunk = 1024
        var start = 0
        while start < n {
            let end = min(n, start + chunk)
            let y = head.forward(Array(features.data[start * d ..< end * d]), count: end - start)
            out.append(contentsOf: RowNormalization.forward(y, rows: end - start, columns: dimension).normalized)
            start = end
        }
        return Tensor(shape: [n, dimension], data: out)
    }

    /// Recall metrics of this model on features, with an optional hubness correction.
    ///
    /// - Parameters:
    ///   - imageFeatures: `[images, imageDim]`.
    ///   - captionFeatures: `[captions, textDim]`.
    ///   - captionImage: for each caption, the row of its image in `imageFeatures`.
    public func evaluate(imageFeatures: Tensor, captionFeatures: Tensor, captionImage: [Int],
                         hubness: HubnessCorrection = .none) throws -> RetrievalMetrics {
        let images = try projectImages(imageFeatures), captions = try projectTexts(captionFeatures)
        return Self.metrics(imageVectors: images, captionVectors: captions, captionImage: captionImage, hubness: hubness)
    }

    /// Recall metrics of joint vectors (L2-normalised rows, cosine similarity).
    public static func metrics(imageVectors: Tensor, captionVectors: Tensor, captionImage: [Int],
                               hubness: HubnessCorrection = .none) -> RetrievalMetrics {
        let ni = imageVectors.shape[0], nc = captionVectors.shape[0], d = imageVectors.shape[1]
        // images (ni,d) @ captions (nc,d)^T -> (ni,nc)
        let scores = Matrix.multiplyTransposed(imageVectors.data, captionVectors.data, m: ni, n: nc, k: d)
        guard hubness != .none else {
            return RetrievalMetrics.compute(scores: scores, imageCount: ni, captionImage: captionImage)
        }
        var imageToText = scores, textToImage = scores
        hubness.apply(toQueryRows: &imageToText, queryCount: ni, galleryCount: nc)
        hubness.apply(toGalleryRows: &textToImage, galleryCount: ni, queryCount: nc)
        return RetrievalMetrics.compute(scores: imageToText, imageCount: ni, captionImage: captionImage,
                                        textToImageScores: textToImage)
    }
}
