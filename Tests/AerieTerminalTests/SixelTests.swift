import AerieImage
import AerieTestSupport
import Foundation
import Testing
@testable import AerieTerminal

/// The lowest PSNR accepted for a sixel rendering decoded back by `sixel2png`.
///
/// Why 26 dB: sixel output is limited to a 256-colour palette. Even a fixed, non-adaptive
/// palette that splits the RGB cube uniformly (about 6.35 levels per channel, so steps of
/// ~40) leaves a per-channel error spread evenly over ±20 levels, an MSE of 40²/12 ≈ 133 and
/// a PSNR of 10·log10(255²/133) ≈ 26.9 dB. Chafa builds an adaptive palette, so a working
/// encoder stays above that bound; a broken one — wrong geometry, shifted or swapped
/// channels, lost rows — falls far below it (a one-pixel shift of these images alone costs
/// several dB, swapped channels tens).
private let minimumSixelPSNR = 26.0

private let sixelMissing = "skipped: sixel2png (Debian libsixel-bin) is not installed"

/// A smooth test scene: a colour ramp in two directions with a bright disk and a dark bar.
private func scene(width: Int, height: Int) -> RGBAImage {
    var image = RGBAImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            var r = x * 255 / (width - 1)
            var g = y * 255 / (height - 1)
            var b = 255 - (x + y) * 255 / (width + height - 2)
            let dx = x - width / 2, dy = y - height / 3
            if dx * dx + dy * dy < (width / 5) * (width / 5) { r = 250; g = 240; b = 200 }
            if y > height * 3 / 4 && y < height * 3 / 4 + height / 10 { r /= 4; g /= 4; b /= 4 }
            image[x, y] = (UInt8(r), UInt8(g), UInt8(b), 255)
        }
    }
    return image
}

private func sixelConfiguration(columns: Int, rows: Int, dither: DitherMode = .none) -> CanvasConfiguration {
    CanvasConfiguration(backend: .sixel, columns: columns, rows: rows, cellPixelSize: PixelSize(width: 10, height: 20),
                        colors: .truecolor, dither: dither)
}

@Suite("Sixel previews")
struct SixelTests {
    @Test("sixel output is one DCS … ST sequence covering the canvas")
    func framing() throws {
        let sixel = try PreviewRenderer.renderSixel(scene(width: 80, height: 120),
                                                    configuration: sixelConfiguration(columns: 8, rows: 6))
        #expect(sixel.pixelSize == PixelSize(width: 80, height: 120))
        #expect(Array(sixel.bytes.prefix(2)) == [0x1B, UInt8(ascii: "P")])
        #expect(Array(sixel.bytes.suffix(2)) == [0x1B, UInt8(ascii: "\\")])
        #expect(sixel.bytes.contains(UInt8(ascii: "q")))
        // Inside the sequence only sixel data: no further ESC until the terminator.
        #expect(sixel.bytes.dropFirst().dropLast(2).allSatisfy { $0 != 0x1B })
    }

    @Test("sixel decoded by sixel2png matches the source",
          .enabled(if: SixelReferenceTools.path(of: "sixel2png") != nil, "\(sixelMissing)"),
          arguments: [DitherMode.none, .diffusion])
    func roundTrip(dither: DitherMode) throws {
        let source = scene(width: 80, height: 120)
        let sixel = try PreviewRenderer.renderSixel(source, configuration: sixelConfiguration(columns: 8, rows: 6, dither: dither))
        let decoded = try SixelReferenceTools.decode(sixel: sixel.bytes)
        #expect(decoded.width == 80 && decoded.height == 120)
        guard decoded.width == 80 && decoded.height == 120 else { return }
        let psnr = PreviewQuality.psnr(source, decoded)
        #expect(psnr >= minimumSixelPSNR, "PSNR \(psnr) dB with dithering \(dither)")

        // The bound is not loose: the same decoded image shifted by one row scores well below it.
        var shifted = decoded
        for y in (1..<decoded.height).reversed() {
            for x in 0..<decoded.width { shifted[x, y] = decoded[x, y - 1] }
        }
        #expect(PreviewQuality.psnr(source, shifted) < psnr)
    }

    @Test("a real aerial sample survives the sixel round trip",
          .enabled(if: SixelReferenceTools.path(of: "sixel2png") != nil, "\(sixelMissing)"),
          .enabled(if: SharedData.url("rsicd-aid/images") != nil, "\(SharedData.missingMessage("rsicd-aid/images"))"))
    func realImage() throws {
        guard let directory = SharedData.url("rsicd-aid/images") else { return }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { ["jpg", "jpeg", "png", "tif", "tiff"].contains($0.pathExtension.lowercased()) }
            .sorted { $0.path < $1.path }
        guard let file = files.first else { return }
        // Render at 160x120 pixels (16x6 cells of 10x20) from a source resized to exactly that.
        let source = try ImageDecoder.decode(contentsOf: file).resized(width: 160, height: 120)
        let sixel = try PreviewRenderer.renderSixel(source, configuration: sixelConfiguration(columns: 16, rows: 6))
        let decoded = try SixelReferenceTools.decode(sixel: sixel.bytes)
        #expect(decoded.width == 160 && decoded.height == 120)
        guard decoded.width == 160 && decoded.height == 120 else { return }
        #expect(PreviewQuality.psnr(source, decoded) >= minimumSixelPSNR)
    }

    @Test("PSNR: identical images are infinite, a known error gives the known value")
    func psnr() {
        let a = RGBAImage(width: 4, height: 4, fill: (100, 100, 100, 255))
        let b = RGBAImage(width: 4, height: 4, fill: (110, 100, 100, 255))
        #expect(PreviewQuality.psnr(a, a) == .infinity)
        // MSE = 10² / 3 per pixel over three channels.
        let expected = 10 * log10(255.0 * 255.0 / (100.0 / 3.0))
        #expect(abs(PreviewQuality.psnr(a, b) - expected) < 1e-9)
    }
}

@Suite("Sixel raster attributes")
struct SixelRasterTests {
    @Test("the declared size is read from the raster attributes")
    func rasterSize() throws {
        #expect(SixelImage.rasterSize(of: Array("\u{1B}P0;1;0q\"1;1;200;198#0;2;0;0;0".utf8)) == PixelSize(width: 200, height: 198))
        #expect(SixelImage.rasterSize(of: Array("\u{1B}P0;1;0q#0;2;0;0;0".utf8)) == nil)
        #expect(SixelImage.rasterSize(of: Array("\u{1B}Pq\"1;1;0;0".utf8)) == nil)
        // A canvas whose height is not a whole number of six-row bands.
        let sixel = try PreviewRenderer.renderSixel(
            RGBAImage(width: 20, height: 20, fill: (9, 99, 199, 255)),
            configuration: CanvasConfiguration(backend: .sixel, columns: 2, rows: 1, cellPixelSize: PixelSize(width: 10, height: 20),
                                               colors: .truecolor, dither: .none))
        #expect(sixel.pixelSize.width == 20)
        #expect((15...20).contains(sixel.pixelSize.height))
    }
}
