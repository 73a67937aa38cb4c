import Foundation
import Testing
import AerieImage
import AerieTestSupport

/// A corpus of hostile files generated here: each must give its own typed error naming the
/// file, and nothing may crash.
@Suite struct HostileFileTests {
    static let png = PNGFixture.random(width: 9, height: 7, colorType: .rgb, bitDepth: 8, interlaced: false,
                                       withTransparency: false, seed: 11).encoded()
    static let jpeg = JPEGFixture(width: 19, height: 11, components: 3).encoded()
    static let tiff = TIFFFixture.random(width: 9, height: 7, samplesPerPixel: 3, compression: .lzw,
                                         layout: .strips(rowsPerStrip: 2), seed: 5).encoded()

    // MARK: Files that are not there or not files

    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("no such image.png")
        #expect(throws: ImageError.unreadable(path: url.path, reason: "No such file or directory")) {
            try ImageDecoder.decode(contentsOf: url)
        }
    }

    @Test func directoryInsteadOfFile() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ImageError.unreadable(path: directory.url.path, reason: "is a directory")) {
            try ImageDecoder.decode(contentsOf: directory.url)
        }
    }

    @Test func unreadableFile() throws {
        // Root ignores permission bits, so this case is only meaningful for other users.
        guard getuid() != 0 else { return }
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("locked.png")
        try Self.png.write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
        #expect(throws: ImageError.unreadable(path: url.path, reason: "Permission denied")) {
            try ImageDecoder.decode(contentsOf: url)
        }
    }

    @Test func emptyFileAndData() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("empty.jpg")
        try Data().write(to: url)
        #expect(throws: ImageError.empty(path: url.path)) { try ImageDecoder.decode(contentsOf: url) }
        #expect(throws: ImageError.empty(path: "empty")) { try ImageDecoder.decode(data: Data(), name: "empty") }
        #expect(throws: ImageError.empty(path: "empty")) { try ImageDecoder.probe(data: Data(), name: "empty") }
    }

    @Test func fileOverTheByteBudgetIsNotRead() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("big.png")
        try Self.png.write(to: url)
        let limits = ImageLimits(maxBytes: 100)
        #expect(throws: ImageError.tooManyBytes(path: url.path, size: Self.png.count, limit: 100)) {
            try ImageDecoder.decode(contentsOf: url, limits: limits)
        }
        #expect(throws: ImageError.tooManyBytes(path: "big", size: Self.png.count, limit: 100)) {
            try ImageDecoder.decode(data: Self.png, name: "big", limits: limits)
        }
    }

    @Test(arguments: [
        ("GIF89a", Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8)),
        ("text", Data("just some text, not an image\n".utf8)),
        ("BMP", Data([0x42, 0x4D, 0x3A, 0, 0, 0, 0, 0, 0, 0])),
        ("PNG magic damaged", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x00]) + Data(repeating: 0, count: 30)),
        ("one byte", Data([0xFF])),
    ])
    func wrongMagic(label: String, data: Data) {
        #expect(throws: ImageError.unknownFormat(path: label)) { try ImageDecoder.decode(data: data, name: label) }
        #expect(throws: ImageError.unknownFormat(path: label)) { try ImageDecoder.probe(data: data, name: label) }
    }

    // MARK: Decompression bombs: refused from the header, before allocation

    @Test func pngBomb() throws {
        // A valid IHDR claiming 100000 x 100000 RGBA (40 GB decoded), then a tiny IDAT.
        var bomb = PNGFixture(width: 1, height: 1, colorType: .rgba, bitDepth: 8, samples: [1, 2, 3, 4]).encoded()
        let ihdr = PNGFixture.chunk("IHDR", Bytes.bigEndian(UInt32(100_000)) + Bytes.bigEndian(UInt32(100_000)) + [8, 6, 0, 0, 0])
        bomb.replaceSubrange(8..<33, with: ihdr)
        #expect(throws: ImageError.tooManyPixels(path: "bomb.png", width: 100_000, height: 100_000, limit: 64_000_000)) {
            try ImageDecoder.decode(data: bomb, name: "bomb.png")
        }
        let probe = try ImageDecoder.probe(data: bomb, name: "bomb.png")
        #expect(probe.width == 100_000 && probe.height == 100_000)
    }

    @Test func jpegBomb() throws {
        // SOF claiming 65500 x 65500, the JPEG maximum, and a few bytes of scan data.
        var fixture = JPEGFixture(width: 8, height: 8)
        var bytes = Array(fixture.encoded())
        let sof = try #require(Self.find([0xFF, 0xC0], in: bytes))
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: Bytes.bigEndian(UInt16(65_500)) + Bytes.bigEndian(UInt16(65_500)))
        #expect(throws: ImageError.tooManyPixels(path: "bomb.jpg", width: 65_500, height: 65_500, limit: 64_000_000)) {
            try ImageDecoder.decode(data: Data(bytes), name: "bomb.jpg")
        }
        fixture.progressive = true
        bytes = Array(fixture.encoded())
        let sof2 = try #require(Self.find([0xFF, 0xC2], in: bytes))
        bytes.replaceSubrange((sof2 + 5)..<(sof2 + 9), with: Bytes.bigEndian(UInt16(30_000)) + Bytes.bigEndian(UInt16(40_000)))
        #expect(throws: ImageError.tooManyPixels(path: "bomb2.jpg", width: 40_000, height: 30_000, limit: 64_000_000)) {
            try ImageDecoder.decode(data: Data(bytes), name: "bomb2.jpg")
        }
    }

    @Test func tiffBomb() throws {
        // A real 3 x 1 file whose IFD is patched to claim 1000000 x 1000000 RGB.
        var bytes = Array(TIFFFixture.random(width: 3, height: 1, samplesPerPixel: 3, compression: .none,
                                             layout: .strips(rowsPerStrip: 1), seed: 1).encoded())
        try Self.patchTIFFLong(tag: 256, to: 1_000_000, in: &bytes)
        try Self.patchTIFFLong(tag: 257, to: 1_000_000, in: &bytes)
        #expect(throws: ImageError.tooManyPixels(path: "bomb.tif", width: 1_000_000, height: 1_000_000, limit: 64_000_000)) {
            try ImageDecoder.decode(data: Data(bytes), name: "bomb.tif")
        }
    }

    /// The budget is the caller's: a modest image over a small budget is refused too.
    @Test func configurablePixelBudget() throws {
        let limits = ImageLimits(maxPixels: 100)
        #expect(throws: ImageError.tooManyPixels(path: "p", width: 19, height: 11, limit: 100)) {
            try ImageDecoder.decode(data: Self.jpeg, name: "p", limits: limits)
        }
        #expect(throws: ImageError.tooManyPixels(path: "t", width: 9, height: 7, limit: 50)) {
            try ImageDecoder.decode(data: Self.tiff, name: "t", limits: ImageLimits(maxPixels: 50))
        }
        #expect(throws: ImageError.tooManyPixels(path: "q", width: 9, height: 7, limit: 50)) {
            try ImageDecoder.decode(data: Self.png, name: "q", limits: ImageLimits(maxPixels: 50))
        }
        #expect(try ImageDecoder.decode(data: Self.png, name: "ok", limits: ImageLimits(maxPixels: 63)).width == 9)
    }

    // MARK: Zero-size images

    @Test func zeroSizeImages() throws {
        var png = Self.png
        png.replaceSubrange(8..<33, with: PNGFixture.chunk("IHDR", Bytes.bigEndian(UInt32(0)) + Bytes.bigEndian(UInt32(7)) + [8, 2, 0, 0, 0]))
        #expect(throws: ImageError.corrupt(path: "zero.png", format: .png, reason: "zero-size image (0x7)")) {
            try ImageDecoder.decode(data: png, name: "zero.png")
        }
        var jpeg = Array(Self.jpeg)
        let sof = try #require(Self.find([0xFF, 0xC0], in: jpeg))
        jpeg.replaceSubrange((sof + 5)..<(sof + 7), with: [0, 0])  // height 0
        let jpegError = Self.error { try ImageDecoder.decode(data: Data(jpeg), name: "zero.jpg") }
        #expect(Self.isCorrupt(jpegError, .jpeg), "\(String(describing: jpegError))")
        var tiff = Array(Self.tiff)
        try Self.patchTIFFLong(tag: 256, to: 0, in: &tiff)
        let tiffError = Self.error { try ImageDecoder.decode(data: Data(tiff), name: "zero.tif") }
        #expect(Self.isCorrupt(tiffError, .tiff), "\(String(describing: tiffError))")
    }

    // MARK: Truncation at every offset

    @Test(arguments: [("png", png), ("jpeg", jpeg), ("tiff", tiff)])
    func truncatedEverywhere(label: String, data: Data) {
        let magicLength = label == "jpeg" ? 3 : label == "png" ? 8 : 4
        for cut in 1..<data.count {
            let name = "\(label) cut at \(cut)"
            let error = Self.error { try ImageDecoder.decode(data: data.prefix(cut), name: name) }
            if cut < magicLength {
                #expect(error == .unknownFormat(path: name))
            } else if label == "png" && cut >= data.count - 12 {
                // Only (part of) the empty IEND chunk is missing: every pixel is there, and
                // libpng, like most decoders, accepts the image.
                #expect(error == nil, "\(name): \(String(describing: error))")
            } else {
                let format = ImageFormat(rawValue: label)
                #expect(error == .truncated(path: name, format: format ?? .png), "\(name): \(String(describing: error))")
            }
        }
    }

    /// Real files truncated at a few dozen offsets (their layout differs from the fixtures': the
    /// TIFF directory comes first, the JPEG has real Huffman tables).
    @Test(.requiresSharedData("samples"))
    func truncatedRealSamples() throws {
        for set in ["ucm", "sydney", "rsicd"] {
            guard let file = SampleDecodingTests.files(set).first else { continue }
            let data = try Data(contentsOf: file)
            for step in 1..<40 {
                let cut = data.count * step / 40
                let name = "\(file.lastPathComponent) cut at \(cut)"
                let error = Self.error { try ImageDecoder.decode(data: data.prefix(cut), name: name) }
                let format = ImageFormat.sniff(data) ?? .png
                #expect(error == .truncated(path: name, format: format), "\(name): \(String(describing: error))")
            }
        }
    }

    // MARK: Flipped bytes

    /// PNG protects every chunk with a CRC: any flipped byte after the signature is caught, up
    /// to the last image data. (The final, empty IEND chunk is not checked by libpng's
    /// simplified API: every pixel is already decoded by then.)
    @Test func pngFlippedBytesAreCaught() {
        for offset in 8..<(Self.png.count - 12) {
            var data = Self.png
            data[offset] ^= 0x5A
            let name = "png flipped at \(offset)"
            let error = Self.error { try ImageDecoder.decode(data: data, name: name) }
            let typed = error.map { if case .corrupt(name, .png, _) = $0 { return true }; return $0 == .truncated(path: name, format: .png) } ?? false
            #expect(typed, "\(name): \(String(describing: error))")
        }
    }

    /// JPEG and TIFF carry no checksums: a flipped byte may still decode, to an image of the
    /// declared size, or give a typed error naming the file.
    @Test(arguments: [("jpeg", jpeg), ("tiff", tiff)])
    func flippedBytesNeverCrash(label: String, data: Data) {
        for offset in 0..<data.count {
            var damaged = data
            damaged[offset] ^= 0xA5
            let name = "\(label) flipped at \(offset)"
            do {
                let image = try ImageDecoder.decode(data: damaged, name: name, limits: ImageLimits(maxPixels: 1 << 20))
                #expect(image.pixels.count == image.width * image.height * 4)
            } catch let error as ImageError {
                #expect(error.path == name)
            } catch {
                Issue.record("\(name): untyped error \(error)")
            }
        }
    }

    // MARK: Helpers

    static func error(_ body: () throws -> RGBAImage) -> ImageError? {
        do {
            _ = try body()
            return nil
        } catch let error as ImageError {
            return error
        } catch {
            return nil
        }
    }

    static func isCorrupt(_ error: ImageError?, _ format: ImageFormat) -> Bool {
        if case .corrupt(_, format, _) = error { return true }
        return false
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }

    /// Rewrites the value of a LONG entry in the first IFD of a little-endian TIFF.
    static func patchTIFFLong(tag: UInt16, to value: UInt32, in bytes: inout [UInt8]) throws {
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        let ifd = u16(4) | u16(6) << 16
        let count = u16(ifd)
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            if u16(at) == Int(tag) {
                bytes.replaceSubrange((at + 8)..<(at + 12), with: Bytes.littleEndian(value))
                return
            }
        }
        Issue.record("tag \(tag) not found")
    }
}
