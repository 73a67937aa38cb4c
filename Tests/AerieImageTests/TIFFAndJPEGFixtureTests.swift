import Foundation
import Testing
import AerieImage
import AerieTestSupport

/// TIFF compressions and layouts, and JPEG frame kinds, from files the tests write themselves.
@Suite struct TIFFAndJPEGFixtureTests {
    struct TIFFCase: CustomTestStringConvertible, Sendable {
        var compression: TIFFFixture.Compression
        var layout: TIFFFixture.Layout
        var samplesPerPixel: Int
        var testDescription: String { "\(compression) \(layout) spp=\(samplesPerPixel)" }
    }

    static let tiffCases: [TIFFCase] = TIFFFixture.Compression.allCases.flatMap { compression in
        [TIFFFixture.Layout.strips(rowsPerStrip: 3), .strips(rowsPerStrip: 1000), .tiles(size: 16)].flatMap { layout in
            [1, 3].map { TIFFCase(compression: compression, layout: layout, samplesPerPixel: $0) }
        }
    }

    @Test(arguments: tiffCases)
    func tiffDecodesExactly(_ testCase: TIFFCase) throws {
        let fixture = TIFFFixture.random(width: 37, height: 21, samplesPerPixel: testCase.samplesPerPixel,
                                         compression: testCase.compression, layout: testCase.layout, seed: 7)
        let data = fixture.encoded()
        #expect(ImageFormat.sniff(data) == .tiff)
        let probe = try ImageDecoder.probe(data: data, name: testCase.testDescription)
        #expect(probe.format == .tiff && probe.width == 37 && probe.height == 21)
        let image = try ImageDecoder.decode(data: data, name: testCase.testDescription)
        #expect(image.width == 37 && image.height == 21)
        #expect(image.pixels == fixture.expectedRGBA(), "\(testCase.testDescription)")
    }

    /// libtiff premultiplies unassociated alpha; the decoder undoes it. Opaque pixels are exact,
    /// translucent ones within the precision premultiplication leaves (255 / (2 * alpha) + 1).
    @Test func tiffAlphaIsStraight() throws {
        let fixture = TIFFFixture.random(width: 20, height: 10, samplesPerPixel: 4, compression: .none,
                                         layout: .strips(rowsPerStrip: 4), seed: 3)
        let image = try ImageDecoder.decode(data: fixture.encoded(), name: "rgba.tif")
        let expected = fixture.expectedRGBA()
        for p in 0..<(20 * 10) {
            let alpha = Int(expected[p * 4 + 3])
            #expect(Int(image.pixels[p * 4 + 3]) == alpha)
            guard alpha > 0 else { continue }
            let tolerance = alpha == 255 ? 0 : 255 / (2 * alpha) + 1
            for c in 0..<3 {
                let difference = abs(Int(image.pixels[p * 4 + c]) - Int(expected[p * 4 + c]))
                #expect(difference <= tolerance, "pixel \(p) channel \(c) alpha \(alpha): off by \(difference)")
            }
        }
    }

    /// Block levels decode to within one level (integer IDCT rounding), for grey and YCbCr,
    /// baseline and progressive, with sizes that are not multiples of 8.
    @Test(arguments: [(1, false), (3, false), (1, true), (3, true)])
    func jpegDecodes(components: Int, progressive: Bool) throws {
        let fixture = JPEGFixture(width: 21, height: 13, components: components, progressive: progressive)
        let data = fixture.encoded()
        #expect(ImageFormat.sniff(data) == .jpeg)
        let name = "\(components)-component\(progressive ? " progressive" : "").jpg"
        let probe = try ImageDecoder.probe(data: data, name: name)
        #expect(probe.format == .jpeg && probe.width == 21 && probe.height == 13)
        let image = try ImageDecoder.decode(data: data, name: name)
        #expect(image.width == 21 && image.height == 13)
        let expected = fixture.expectedRGBA()
        let worst = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "\(name): largest difference \(worst)")
    }

    @Test func cmykJPEGIsRefused() throws {
        let data = JPEGFixture(width: 16, height: 16, components: 4).encoded()
        #expect(throws: ImageError.unsupported(path: "cmyk.jpg", format: .jpeg, reason: "CMYK JPEG")) {
            try ImageDecoder.decode(data: data, name: "cmyk.jpg")
        }
    }

    /// The format comes from the bytes: a PNG named .jpg and a JPEG named .tif decode.
    @Test func extensionIsIgnored() throws {
        let directory = try TemporaryDirectory()
        let png = directory.url.appendingPathComponent("really-a-png.jpg")
        try RGBAImage(width: 2, height: 2, fill: (1, 2, 3, 255)).writePNG(to: png)
        #expect(try ImageDecoder.decode(contentsOf: png).width == 2)
        let jpeg = directory.url.appendingPathComponent("really-a-jpeg.tif")
        try JPEGFixture(width: 8, height: 8).encoded().write(to: jpeg)
        #expect(try ImageDecoder.decode(contentsOf: jpeg).width == 8)
    }
}
