import AerieCore
import AerieImage
import AerieModels
import AerieTensor
import Testing

/// The view-averaging encoder: the mean of its base's features over the views, and an identity
/// that names the views.
@Suite struct ViewAveragingTests {
    /// Features: the red values of the first row's pixels (so every view changes them).
    struct FirstRowEncoder: ImageEncoding {
        var identity = ModelIdentity(name: "first-row", weightsSHA256: "f", dimension: 2)
        func encode(_ images: [RGBAImage]) throws -> Tensor {
            Tensor(shape: [images.count, 2], data: images.flatMap { [Float($0.pixels[0]), Float($0.pixels[4])] })
        }
    }

    /// 2×2, red = 10·y + x + 1: rows (1, 2) and (11, 12).
    let image = RGBAImage(width: 2, height: 2, pixels: [1, 0, 0, 255, 2, 0, 0, 255, 11, 0, 0, 255, 12, 0, 0, 255])

    @Test func featuresAreTheMeanOverTheViews() throws {
        let encoder = ViewAveragingImageEncoder(base: FirstRowEncoder(), views: [.center, .hflip, .vflip])
        // First rows: center (1, 2), hflip (2, 1), vflip (11, 12) → mean (14/3, 15/3).
        let features = try encoder.encode([image, image.view(.rot180)])
        #expect(features.shape == [2, 2])
        #expect(abs(features.data[0] - 14 / 3) < 1e-5 && abs(features.data[1] - 5) < 1e-5)
        // rot180's first rows: center (12, 11), hflip (11, 12), vflip (2, 1) → (25/3, 24/3).
        #expect(abs(features.data[2] - 25 / 3) < 1e-5 && abs(features.data[3] - 8) < 1e-5)
    }

    @Test func theIdentityNamesTheViews() {
        let encoder = ViewAveragingImageEncoder(base: FirstRowEncoder(), views: [.center, .rot90])
        #expect(encoder.identity == ModelIdentity(name: "first-row@center,rot90", weightsSHA256: "f", dimension: 2))
        // Averaging over all eight views makes the features invariant to every view.
        let all = ViewAveragingImageEncoder(base: FirstRowEncoder(), views: ImageView.allCases)
        let square = RGBAImage(width: 3, height: 3, pixels: (0..<9).flatMap { [UInt8($0 * 7), 0, 0, 255] })
        let reference = try? all.encode([square])
        for view in ImageView.allCases {
            let seen = try? all.encode([square.view(view)])
            #expect(seen.map { zip($0.data, reference?.data ?? []).allSatisfy { abs($0 - $1) < 1e-4 } } == true)
        }
    }
}
