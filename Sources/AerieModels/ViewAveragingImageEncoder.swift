import AerieCore
import AerieImage
import AerieTensor

/// An image encoder whose features are the mean of another encoder's features over several views
/// of the image (rotations and flips: aerial images have no "up"), as a head trained with
/// `aerie train --views … --eval-views …` expects.
///
/// Its identity names the views (`efficientnet-lite0@center,rot90`), so an index built with
/// other views is refused rather than mixed. It costs one encoding pass per view.
public struct ViewAveragingImageEncoder: ImageEncoding {
    public let base: any ImageEncoding
    public let views: [ImageView]

    /// - Precondition: `views` is not empty.
    public init(base: any ImageEncoding, views: [ImageView]) {
        precondition(!views.isEmpty, "a view-averaging encoder needs at least one view")
        self.base = base
        self.views = views
    }

    /// The base identity with `@` and the views' names appended (the weights and width are the base's).
    public var identity: ModelIdentity {
        let b = base.identity
        return ModelIdentity(name: b.name + "@" + views.map(\.rawValue).joined(separator: ","), weightsSHA256: b.weightsSHA256,
                             dimension: b.dimension)
    }

    /// `mean over views v of base.encode(images seen in v)`, row by row.
    public func encode(_ images: [RGBAImage]) throws -> Tensor {
        var sum: Tensor?
        for view in views {
            let features = try base.encode(images.map { $0.view(view) })
            if var s = sum {
                for i in s.data.indices { s.data[i] += features.data[i] }
                sum = s
            } else {
                sum = features
            }
        }
        guard var mean = sum else { return Tensor(zeros: [images.count, base.identity.dimension]) }
        let scale = 1 / Float(views.count)
        for i in mean.data.indices { mean.data[i] *= scale }
        return mean
    }
}
