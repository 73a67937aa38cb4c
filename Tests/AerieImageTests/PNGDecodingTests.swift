import AerieCore
import Foundation
import Testing
import AerieImage
import AerieTestSupport

/// Every PNG colour type and bit depth, with and without tRNS and Adam7, decoded and compared
/// pixel by pixel with the samples the fixture was written from.
@Suite struct PNGDecodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var colorType: PNGFixture.ColorType
        var bitDepth: Int
        var interlaced: Bool
        var transparency: Bool
        var testDescription: String {
            "type \(colorType.rawValue) \(bitDepth)-bit\(interlaced ? " Adam7" : "")\(transparency ? " tRNS" : "")"
        }
    }

    static let cases: [Case] = PNGFixture.ColorType.allCases.flatMap { type in
        type.allowedBitDepths.flatMap { depth in
            [false, true].flatMap { interlaced in
                (type.allowsTransparencyChunk ? [false, true] : [false]).map { transparency in
                    Case(colorType: type, bitDepth: depth, interlaced: interlaced, transparency: transparency)
                }
            }
        }
    }

    /// Odd sizes leave partial bytes at the end of sub-byte rows and empty Adam7 passes.
    static let sizes: [(width: Int, height: Int)] = [(1, 1), (3, 2), (13, 11), (33, 9)]

    @Test(arguments: cases)
    func decodesExactly(_ testCase: Case) throws {
        for (index, size) in Self.sizes.enumerated() {
            let fixture = PNGFixture.random(width: size.width, height: size.height, colorType: testCase.colorType,
                                            bitDepth: testCase.bitDepth, interlaced: testCase.interlaced,
                                            withTransparency: testCase.transparency, seed: UInt64(index * 977 + 1))
            let data = fixture.encoded()
            let name = "\(testCase.testDescription) \(size.width)x\(size.height)"
            #expect(ImageFormat.sniff(data) == .png)
            let probe = try ImageDecoder.probe(data: data, name: name)
            #expect(probe.format == .png && probe.width == size.width && probe.height == size.height)

            let image = try ImageDecoder.decode(data: data, name: name)
            #expect(image.width == size.width && image.height == size.height)
            let expected = fixture.expectedRGBA()
            if testCase.bitDepth == 16 && testCase.interlaced {
                // The decoder's workaround for libpng issue #853 goes through 16-bit linear,
                // premultiplied values: within one level, more for colour under faint alpha.
                Self.expectClose(image.pixels, expected, name: name)
            } else {
                let firstMismatch = zip(image.pixels, expected).enumerated().first { $0.element.0 != $0.element.1 }
                #expect(firstMismatch == nil,
                        "\(name): byte \(firstMismatch?.offset ?? 0) (pixel \((firstMismatch?.offset ?? 0) / 4)) is \(firstMismatch?.element.0 ?? 0), expected \(firstMismatch?.element.1 ?? 0)")
            }
        }
    }

    /// Alpha within one level; colour within one level, plus what premultiplication by a faint
    /// alpha loses (255 / alpha); colour of fully transparent pixels is not compared.
    static func expectClose(_ actual: [UInt8], _ expected: [UInt8], name: String) {
        for p in 0..<(expected.count / 4) {
            let alpha = Int(expected[p * 4 + 3])
            #expect(abs(Int(actual[p * 4 + 3]) - alpha) <= 1, "\(name): pixel \(p) alpha")
            guard alpha > 0 else { continue }
            let tolerance = 1 + 255 / alpha
            for c in 0..<3 {
                let difference = abs(Int(actual[p * 4 + c]) - Int(expected[p * 4 + c]))
                #expect(difference <= tolerance, "\(name): pixel \(p) channel \(c) off by \(difference) (alpha \(alpha))")
            }
        }
    }

    /// The 16-to-8-bit rule, stated on its edge values: round(v * 255 / 65535).
    @Test func sixteenBitScalingRule() throws {
        let values: [UInt16] = [0, 1, 128, 129, 257, 32_767, 32_768, 32_896, 65_278, 65_279, 65_534, 65_535]
        let fixture = PNGFixture(width: values.count, height: 1, colorType: .grey, bitDepth: 16, samples: values)
        let image = try ImageDecoder.decode(data: fixture.encoded(), name: "16-bit edges")
        for (x, value) in values.enumerated() {
            let expected = UInt8((Double(value) * 255 / 65535).rounded())
            #expect(image[x, 0].r == expected, "16-bit \(value) -> \(image[x, 0].r), expected \(expected)")
        }
    }

    /// Straight (not premultiplied) alpha survives decoding: a translucent red stays red.
    @Test func alphaIsStraight() throws {
        let fixture = PNGFixture(width: 2, height: 1, colorType: .rgba, bitDepth: 8,
                                 samples: [255, 0, 0, 1, 10, 200, 30, 128])
        let image = try ImageDecoder.decode(data: fixture.encoded(), name: "alpha")
        #expect(image[0, 0] == (255, 0, 0, 1))
        #expect(image[1, 0] == (10, 200, 30, 128))
    }

    /// PNGEncoder output decodes to the same pixels, including transparency.
    @Test func encoderRoundTrip() throws {
        var generator = SplitMix64(seed: 42)
        for (width, height) in [(1, 1), (7, 5), (64, 48)] {
            let pixels = (0..<(width * height * 4)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = RGBAImage(width: width, height: height, pixels: pixels)
            let data = try PNGEncoder.encode(image)
            #expect(ImageFormat.sniff(data) == .png)
            #expect(try ImageDecoder.decode(data: data, name: "round trip") == image)
        }
    }

    @Test func writePNGToFile() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("solid.png")
        let image = RGBAImage(width: 5, height: 3, fill: (10, 20, 30, 40))
        try image.writePNG(to: url)
        #expect(try ImageDecoder.decode(contentsOf: url) == image)
    }
}
