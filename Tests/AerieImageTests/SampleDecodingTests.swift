import Foundation
import Testing
import AerieImage
import AerieTestSupport

/// The real samples in ../shared/data/samples decode to the right size and plausible pixels.
@Suite struct SampleDecodingTests {
    /// The image files of one sample set, sorted by name.
    static func files(_ set: String) -> [URL] {
        guard let folder = SharedData.url("samples/\(set)/imgs") else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    /// Real photographs are neither blank nor a single colour, and are opaque.
    static func expectPlausible(_ image: RGBAImage, _ file: URL) {
        var minimum = [UInt8](repeating: 255, count: 3), maximum = [UInt8](repeating: 0, count: 3)
        var opaque = true
        for i in stride(from: 0, to: image.pixels.count, by: 4) {
            for c in 0..<3 {
                minimum[c] = min(minimum[c], image.pixels[i + c])
                maximum[c] = max(maximum[c], image.pixels[i + c])
            }
            if image.pixels[i + 3] != 255 { opaque = false }
        }
        #expect(opaque, "\(file.lastPathComponent) should be opaque")
        for c in 0..<3 {
            #expect(Int(maximum[c]) - Int(minimum[c]) > 40, "\(file.lastPathComponent) channel \(c) is nearly flat")
        }
    }

    @Test(.requiresSharedData("samples/ucm/imgs"))
    func ucmUncompressedTIFF() throws {
        let files = Self.files("ucm")
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: file)
            #expect(ImageFormat.sniff(data) == .tiff)
            let image = try ImageDecoder.decode(contentsOf: file)
            #expect(image.width == 256 && image.height == 256, "\(file.lastPathComponent)")
            Self.expectPlausible(image, file)
            let probe = try ImageDecoder.probe(data: data, name: file.path)
            #expect(probe.format == .tiff && probe.width == 256 && probe.height == 256)
        }
    }

    @Test(.requiresSharedData("samples/sydney/imgs"))
    func sydneyPackBitsTIFF() throws {
        let files = Self.files("sydney")
        #expect(!files.isEmpty)
        for file in files {
            let image = try ImageDecoder.decode(contentsOf: file)
            #expect(image.width == 500 && image.height == 500, "\(file.lastPathComponent)")
            Self.expectPlausible(image, file)
        }
    }

    @Test(.requiresSharedData("samples/rsicd/imgs"))
    func rsicdJPEG() throws {
        let files = Self.files("rsicd")
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: file)
            #expect(ImageFormat.sniff(data) == .jpeg)
            let image = try ImageDecoder.decode(data: data, name: file.path)
            #expect(image.width == 224 && image.height == 224, "\(file.lastPathComponent)")
            Self.expectPlausible(image, file)
            let probe = try ImageDecoder.probe(data: data, name: file.path)
            #expect(probe.format == .jpeg && probe.width == 224 && probe.height == 224)
        }
    }

    /// A decoded sample written as PNG by Aerie reads back identical, through a real file.
    @Test(.requiresSharedData("samples/sydney/imgs"))
    func tiffToPNGRoundTrip() throws {
        let file = try #require(Self.files("sydney").first)
        let image = try ImageDecoder.decode(contentsOf: file)
        let directory = try TemporaryDirectory()
        let png = directory.url.appendingPathComponent("round trip.png")
        try image.writePNG(to: png)
        #expect(try ImageDecoder.decode(contentsOf: png) == image)
    }
}
