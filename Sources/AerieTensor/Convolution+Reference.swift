/// Slow, obvious twins of the fast convolution kernels, for tests only.
///
/// They take PyTorch's weight layout `(cout, cin / groups, k, k)`, pad explicitly and accumulate
/// in Double, so that a layout or padding mistake in a fast kernel cannot be repeated here.
public enum ReferenceKernels {
    /// A grouped 2-D convolution on an NHWC tensor with explicit padding on each side.
    ///
    /// - Parameters:
    ///   - input: `(n, h, w, cin)`.
    ///   - weight: `(cout, cin / groups, k, k)`.
    ///   - bias: `(cout)`.
    ///   - padding: `(top, left, bottom, right)` zero rows/columns.
    /// - Returns: `(n, oh, ow, cout)` with `oh = (h + top + bottom - k) / stride + 1`.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor, stride: Int,
                              padding: (top: Int, left: Int, bottom: Int, right: Int),
                              groups: Int, activation: Activation) -> Tensor {
        let (n, h, w, cin) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, cinPerGroup, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        precondition(cin == cinPerGroup * groups && cout % groups == 0, "channels do not match groups")
        let oh = (h + padding.top + padding.bottom - k) / stride + 1
        let ow = (w + padding.left + padding.right - k) / stride + 1
        let coutPerGroup = cout / groups
        var out = Tensor(zeros: [n, oh, ow, cout])
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for o in 0..<cout {
                        let group = o / coutPerGroup
                        var sum = Double(bias.data[o])
                        for i in 0..<cinPerGroup {
                            let ci = group * cinPerGroup + i
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = oy * stride + ky - padding.top
                                    let ix = ox * stride + kx - padding.left
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let x = input.data[((b * h + iy) * w + ix) * cin + ci]
                                    let wv = weight.data[((o * cinPerGroup + i) * k + ky) * k + kx]
                                    sum += Double(x) * Double(wv)
                                }
                            }
                        }
                        out.data[((b * oh + oy) * ow + ox) * cout + o] = activation.apply(Float(sum))
                    }
                }
            }
        }
        return out
    }

    /// The mean over each image's pixels: `(n, h, w, c) -> (n, c)`.
    public static func globalAveragePool(_ input: Tensor) -> Tensor {
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        var out = Tensor(zeros: [n, c])
        for b in 0..<n {
            for ch in 0..<c {
                var sum = 0.0
                for p in 0..<(h * w) { sum += Double(input.data[(b * h * w + p) * c + ch]) }
                out.data[b * c + ch] = Float(sum / Double(h * w))
            }
        }
        return out
    }
}
