import AerieImage
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie-bench sixel`: Aerie's sixel encoder (libchafa) against libsixel's `img2sixel` on the
/// same images at the same output size: encode time and PSNR, both outputs decoded back by
/// `sixel2png` and compared with the source resized to that size.
///
/// By default both encoders get the same pixels: each image is decoded and resized to the output
/// size once (AerieImage), written as a PNG for `img2sixel`, and handed to Aerie as RGBA, so the
/// PSNR compares the encoders (palette and dithering) and not their scalers. With
/// `--scale-in-encoder` both start from the original file and scale it themselves.
///
/// `img2sixel` runs as a process, so its wall time includes starting the process and decoding
/// its input file; the median start-up time of `img2sixel -V` is reported and subtracted, and
/// Aerie's time includes decoding its input file too.
struct SixelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sixel",
        abstract: "Sixel encode time and PSNR against img2sixel (libsixel), as ratios."
    )

    @Option(help: "Directory of images (default: $AERIE_SHARED_DATA or ../shared/data, then rsicd-aid/images).")
    var images: String?

    @Option(help: "Number of images (the first ones in name order).")
    var count = 50

    @Option(help: "Output size in pixels, WxH; a multiple of the 10x20 cell.")
    var size = "300x300"

    @Option(help: "Dithering for both encoders: none or diffusion (img2sixel -d fs).")
    var dither: DitherMode = .none

    @Flag(help: "Give both encoders the original file and let each scale it (default: both get the same resized pixels).")
    var scaleInEncoder = false

    func run() async throws {
        guard SixelReferenceTools.available else {
            throw ValidationError("img2sixel and sixel2png are needed (Debian package libsixel-bin)")
        }
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        let cell = PixelSize.defaultCell
        guard parts.count == 2, parts[0] >= cell.width, parts[1] >= cell.height,
              parts[0] % cell.width == 0, parts[1] % cell.height == 0 else {
            throw ValidationError("--size must be WxH in multiples of \(cell.width)x\(cell.height), got \(size)")
        }
        let output = PixelSize(width: parts[0], height: parts[1])
        let directory = URL(fileURLWithPath: images ?? defaultImageDirectory())
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { ["jpg", "jpeg", "png", "tif", "tiff"].contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .prefix(count)
        guard !files.isEmpty else { throw ValidationError("no images in \(TerminalText.sanitizedPath(directory))") }

        let configuration = CanvasConfiguration(backend: .sixel, columns: output.width / cell.width,
                                                rows: output.height / cell.height, cellPixelSize: cell,
                                                colors: .truecolor, dither: dither)
        let img2sixelDither = dither == .none ? "none" : "fs"
        let clock = ContinuousClock()

        // Process start-up of img2sixel, measured on its own.
        var startups: [Duration] = []
        for _ in 0..<9 {
            let start = clock.now
            _ = try? SixelReferenceTools.run("img2sixel", ["-V"])
            startups.append(clock.now - start)
        }
        let startup = startups.sorted()[startups.count / 2]

        var aerieEncode = Duration.zero, aerieTotal = Duration.zero, referenceTotal = Duration.zero
        var aeriePSNR: [Double] = [], referencePSNR: [Double] = []
        var aerieBytes = 0, referenceBytes = 0
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-sixel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for (index, original) in files.enumerated() {
            let source = try ImageDecoder.decode(contentsOf: original).resized(width: output.width, height: output.height)
            var file = original
            if !scaleInEncoder {
                file = scratch.appendingPathComponent("\(index).png")
                try source.writePNG(to: file)
            }
            let t0 = clock.now
            let image = try ImageDecoder.decode(contentsOf: file)
            let t1 = clock.now
            let sixel = try PreviewRenderer.renderSixel(image, configuration: configuration)
            let t2 = clock.now
            let reference = try SixelReferenceTools.img2sixel(file: file, size: output, diffusion: img2sixelDither)
            let t3 = clock.now
            aerieEncode += t2 - t1
            aerieTotal += t2 - t0
            referenceTotal += t3 - t2
            aerieBytes += sixel.bytes.count
            referenceBytes += reference.count

            let ours = try SixelReferenceTools.decode(sixel: sixel.bytes)
            let theirs = try SixelReferenceTools.decode(sixel: reference)
            guard ours.width == output.width, ours.height == output.height,
                  theirs.width == output.width, theirs.height == output.height else {
                throw ValidationError("""
                    \(TerminalText.sanitizedFileName(original)): decoded sizes \(ours.width)x\(ours.height) (Aerie) and \
                    \(theirs.width)x\(theirs.height) (img2sixel), expected \(output.width)x\(output.height)
                    """)
            }
            aeriePSNR.append(PreviewQuality.psnr(source, ours))
            referencePSNR.append(PreviewQuality.psnr(source, theirs))
        }

        let n = Double(files.count)
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        let referenceNet = max(0, ms(referenceTotal) / n - ms(startup))
        let meanAerie = aeriePSNR.reduce(0, +) / n
        let meanReference = referencePSNR.reduce(0, +) / n
        print("sixel: \(files.count) images from \(TerminalText.sanitizedPath(directory)), output \(output.width)x\(output.height), dither \(dither.rawValue), \(scaleInEncoder ? "each encoder scales the original" : "same resized pixels for both")")
        print(String(format: "  Aerie (libchafa)  encode %8.2f ms/image, decode+encode %8.2f ms/image, %7.0f bytes/image, PSNR %.2f dB (min %.2f)",
                     ms(aerieEncode) / n, ms(aerieTotal) / n, Double(aerieBytes) / n, meanAerie, aeriePSNR.min() ?? 0))
        print(String(format: "  img2sixel         wall   %8.2f ms/image, minus start-up %.2f ms = %8.2f ms/image, %7.0f bytes/image, PSNR %.2f dB (min %.2f)",
                     ms(referenceTotal) / n, ms(startup), referenceNet, Double(referenceBytes) / n, meanReference, referencePSNR.min() ?? 0))
        print(String(format: "  ratio time  img2sixel(net) / Aerie(decode+encode) = %.2fx  (wall / Aerie: %.2fx)",
                     referenceNet / max(1e-9, ms(aerieTotal) / n), ms(referenceTotal) / max(1e-9, ms(aerieTotal))))
        print(String(format: "  ratio PSNR  Aerie - img2sixel = %+.2f dB", meanAerie - meanReference))
        print(String(format: "  ratio size  Aerie / img2sixel = %.2fx", Double(aerieBytes) / Double(max(1, referenceBytes))))
    }

    func defaultImageDirectory() -> String {
        let root = ProcessInfo.processInfo.environment["AERIE_SHARED_DATA"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "../shared/data"
        return root + "/rsicd-aid/images"
    }
}

extension DitherMode: ExpressibleByArgument {}
