import AerieTensor

/// A learned map from encoder features into the joint image-text space, where a caption and the
/// image it describes lie close (cosine similarity of L2-normalised vectors).
///
/// The trained heads of `aerie train` conform; the index uses this to turn stored encoder features
/// into joint vectors, so a new head re-projects an index without re-encoding images.
public protocol JointProjection: Sendable {
    /// The joint space's dimension.
    var dimension: Int { get }
    /// Names of the image and text encoders (as `ModelIdentity.name`) whose features this head
    /// takes, with the SHA-256 of their weights: a head refuses features of other encoders.
    var imageEncoder: (name: String, weightsSHA256: String) { get }
    var textEncoder: (name: String, weightsSHA256: String) { get }
    /// Image features `[n, imageFeatureDimension]` → joint vectors `[n, dimension]`, L2-normalised.
    func projectImages(_ features: Tensor) throws -> Tensor
    /// Text features `[n, textFeatureDimension]` → joint vectors `[n, dimension]`, L2-normalised.
    func projectTexts(_ features: Tensor) throws -> Tensor
}
