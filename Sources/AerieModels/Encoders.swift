import AerieCore
import AerieImage
import AerieTensor

/// A pretrained text encoder: captions in, one feature vector per caption out.
public protocol TextEncoding: Sendable {
    var identity: ModelIdentity { get }
    /// Encodes `texts` in order; the result has shape `[texts.count, identity.dimension]`.
    func encode(_ texts: [String]) throws -> Tensor
}

/// A pretrained image encoder: images in, one feature vector per image out.
public protocol ImageEncoding: Sendable {
    var identity: ModelIdentity { get }
    /// Encodes `images` in order (each is preprocessed as the model's reference does);
    /// the result has shape `[images.count, identity.dimension]`.
    func encode(_ images: [RGBAImage]) throws -> Tensor
}

extension ImageEncoding {
    /// Encodes `images` in chunks of at most `maxBatch`, so a network's scratch memory stays
    /// bounded however many images come in; `forward` maps one chunk to its `[count, dimension]`
    /// rows, which are copied into the result in order.
    func encodeInChunks(_ images: [RGBAImage], maxBatch: Int, dimension: Int,
                        forward: ([RGBAImage]) -> Tensor) -> Tensor {
        precondition(maxBatch > 0, "maxBatch must be positive, got \(maxBatch)")
        var out = Tensor(zeros: [images.count, dimension])
        var start = 0
        while start < images.count {
            let chunk = Array(images[start ..< min(start + maxBatch, images.count)])
            let rows = forward(chunk)
            out.data.replaceSubrange(start * dimension ..< (start + chunk.count) * dimension, with: rows.data)
            start += chunk.count
        }
        return out
    }
}
