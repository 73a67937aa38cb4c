import AerieCore
import Foundation

/// A PNG image described by its raw samples, written by a plain Swift encoder (stored deflate
/// blocks, no compression) so that decoder tests do not depend on the encoder under test.
///
/// Samples are given at the file's own bit depth, `channels` per pixel, row-major: grey (1),
/// RGB (3), palette index (1), grey+alpha (2), RGBA (4). ``expectedRGBA()`` states what a
/// decoder must turn them into.
public struct PNGFixture: Sendable {
    public enum ColorType: UInt8, Sendable, CaseIterable {
        case grey = 0, rgb = 2, palette = 3, greyAlpha = 4, rgba = 6

        /// Samples per pixel.
        public var channels: Int {
            switch self {
            case .grey, .palette: return 1
            case .greyAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        /// The bit depths the PNG specification allows for this colour type.
        public var allowedBitDepths: [Int] {
            switch self {
            case .grey: return [1, 2, 4, 8, 16]
            case .palette: return [1, 2, 4, 8]
            case .rgb, .greyAlpha, .rgba: return [8, 16]
            }
        }

        /// Whether a tRNS chunk is allowed (types with an alpha channel have none).
        public var allowsTransparencyChunk: Bool { self == .grey || self == .rgb || self == .palette }
    }

    public var width: Int
    public var height: Int
    public var colorType: ColorType
    public var bitDepth: Int
    public var interlaced: Bool
    /// `width * height * colorType.channels` samples, each `< 2^bitDepth`.
    public var samples: [UInt16]
    /// PLTE entries (palette images only).
    public var palette: [(r: UInt8, g: UInt8, b: UInt8)]
    /// tRNS: per-entry alphas for palettes; one grey key or an RGB key (3 values) otherwise.
    public var transparency: [UInt16]?

    public init(width: Int, height: Int, colorType: ColorType, bitDepth: Int, interlaced: Bool = false,
                samples: [UInt16], palette: [(r: UInt8, g: UInt8, b: UInt8)] = [], transparency: [UInt16]? = nil) {
        precondition(colorType.allowedBitDepths.contains(bitDepth), "bit depth \(bitDepth) not allowed for \(colorType)")
        precondition(samples.count == width * height * colorType.channels, "wrong sample count")
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.interlaced = interlaced
        self.samples = samples
        self.palette = palette
        self.transparency = transparency
    }

    /// A fixture filled with seeded random samples (random palette and tRNS where requested).
    public static func random(width: Int, height: Int, colorType: ColorType, bitDepth: Int,
                              interlaced: Bool, withTransparency: Bool, seed: UInt64) -> PNGFixture {
        var generator = SplitMix64(seed: seed)
        let maximum = UInt16((1 << bitDepth) - 1)
        var palette: [(r: UInt8, g: UInt8, b: UInt8)] = []
        var sampleMaximum = maximum
        if colorType == .palette {
            let entries = min(1 << bitDepth, 1 + Int(generator.next() % 256))
            palette = (0..<entries).map { _ in
                (UInt8.random(in: 0...255, using: &generator), UInt8.random(in: 0...255, using: &generator),
                 UInt8.random(in: 0...255, using: &generator))
            }
            sampleMaximum = UInt16(entries - 1)
        }
        var samples = (0..<(width * height * colorType.channels)).map { _ in
            UInt16.random(in: 0...sampleMaximum, using: &generator)
        }
        var transparency: [UInt16]?
        if withTransparency {
            switch colorType {
            case .palette:
                // Fewer alphas than entries: the rest are opaque.
                transparency = (0..<max(1, palette.count / 2)).map { _ in UInt16.random(in: 0...255, using: &generator) }
            case .grey, .rgb:
                // A key colour that some pixels really have: make the first pixel match it.
                let key = (0..<colorType.channels).map { _ in UInt16.random(in: 0...maximum, using: &generator) }
                for c in 0..<colorType.channels { samples[c] = key[c] }
                transparency = key
            case .greyAlpha, .rgba:
                break
            }
        }
        return PNGFixture(width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                          interlaced: interlaced, samples: samples, palette: palette, transparency: transparency)
    }

    // MARK: - Expected decoding

    /// An 8-bit sample from one at the file's bit depth.
    ///
    /// Depths below 8 are scaled exactly (`v * 255 / (2^d - 1)`, i.e. bit replication); 16-bit
    /// samples are rounded to nearest, `(v * 255 + 32767) / 65535`, which is what libpng's
    /// simplified API does (`png_set_scale_16`) when 16-bit data is taken as sRGB-encoded.
    public static func to8Bit(_ value: UInt16, bitDepth: Int) -> UInt8 {
        switch bitDepth {
        case 16: return UInt8((UInt32(value) * 255 + 32_767) / 65_535)
        case 8: return UInt8(value)
        default: return UInt8(UInt32(value) * 255 / UInt32((1 << bitDepth) - 1))
        }
    }

    /// The RGBA8 pixels a correct decoder produces: grey is copied to R, G and B; palette
    /// indices are looked up; a tRNS key colour (compared at full bit depth) becomes alpha 0 and
    /// every other pixel alpha 255; palette entries without a tRNS alpha are opaque.
    public func expectedRGBA() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(width * height * 4)
        let n = colorType.channels
        for p in 0..<(width * height) {
            let s = Array(samples[(p * n)..<(p * n + n)])
            let e = { (v: UInt16) in Self.to8Bit(v, bitDepth: bitDepth) }
            switch colorType {
            case .grey:
                let alpha: UInt8 = transparency.map { $0[0] == s[0] ? 0 : 255 } ?? 255
                out += [e(s[0]), e(s[0]), e(s[0]), alpha]
            case .rgb:
                let alpha: UInt8 = transparency.map { $0 == s ? 0 : 255 } ?? 255
                out += [e(s[0]), e(s[1]), e(s[2]), alpha]
            case .palette:
                let index = Int(s[0])
                let entry = palette[index]
                let alpha: UInt8 = transparency.flatMap { index < $0.count ? UInt8($0[index]) : nil } ?? 255
                out += [entry.r, entry.g, entry.b, alpha]
            case .greyAlpha:
                out += [e(s[0]), e(s[0]), e(s[0]), e(s[1])]
            case .rgba:
                out += [e(s[0]), e(s[1]), e(s[2]), e(s[3])]
            }
        }
        return out
    }

    // MARK: - Encoding

    /// The PNG file: signature, IHDR, PLTE, tRNS, one IDAT (stored deflate), IEND.
    public func encoded() -> Data {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = Bytes.bigEndian(UInt32(width)) + Bytes.bigEndian(UInt32(height))
        header += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        file += Self.chunk("IHDR", header)
        if colorType == .palette {
            file += Self.chunk("PLTE", palette.flatMap { [$0.r, $0.g, $0.b] })
        }
        if let transparency {
            let body = colorType == .palette
                ? transparency.map { UInt8($0) }
                : transparency.flatMap { Bytes.bigEndian($0) }
            file += Self.chunk("tRNS", body)
        }
        file += Self.chunk("IDAT", StoredZlib.encode(filteredScanlines()))
        file += Self.chunk("IEND", [])
        return Data(file)
    }

    /// One chunk: length, type, data, CRC of type and data.
    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return Bytes.bigEndian(UInt32(data.count)) + typeBytes + data + Bytes.bigEndian(Checksum.crc32(typeBytes + data))
    }

    /// The Adam7 passes: start column, start row, column step, row step.
    public static let adam7: [(x: Int, y: Int, dx: Int, dy: Int)] = [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ]

    /// The filtered scanlines of every pass (one pass when not interlaced). Rows cycle through
    /// all five filter types (None, Sub, Up, Average, Paeth) so the decoder's unfiltering is exercised too.
    func filteredScanlines() -> [UInt8] {
        let passes = interlaced ? Self.adam7 : [(x: 0, y: 0, dx: 1, dy: 1)]
        let bitsPerPixel = bitDepth * colorType.channels
        let filterStride = max(1, bitsPerPixel / 8)
        var out: [UInt8] = []
        var rowNumber = 0
        for pass in passes {
            let columns = Array(stride(from: pass.x, to: width, by: pass.dx))
            let rows = Array(stride(from: pass.y, to: height, by: pass.dy))
            if columns.isEmpty || rows.isEmpty { continue }
            var previous = [UInt8](repeating: 0, count: (columns.count * bitsPerPixel + 7) / 8)
            for y in rows {
                let raw = packRow(y: y, columns: columns)
                let filter = UInt8(rowNumber % 5)
                rowNumber += 1
                out.append(filter)
                for i in 0..<raw.count {
                    let left = i >= filterStride ? raw[i - filterStride] : 0
                    let up = previous[i]
                    let upLeft = i >= filterStride ? previous[i - filterStride] : 0
                    let predictor: UInt8
                    switch filter {
                    case 1: predictor = left
                    case 2: predictor = up
                    case 3: predictor = UInt8((Int(left) + Int(up)) / 2)
                    case 4: predictor = Self.paeth(left, up, upLeft)
                    default: predictor = 0
                    }
                    out.append(raw[i] &- predictor)
                }
                previous = raw
            }
        }
        return out
    }

    private static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Packs the samples of row `y` at `columns`: sub-byte depths most significant bits first,
    /// 16-bit samples big-endian, rows padded to whole bytes.
    private func packRow(y: Int, columns: [Int]) -> [UInt8] {
        let n = colorType.channels
        var bytes: [UInt8] = []
        var accumulator = 0, bits = 0
        for x in columns {
            for c in 0..<n {
                let value = samples[(y * width + x) * n + c]
                switch bitDepth {
                case 16: bytes += Bytes.bigEndian(value)
                case 8: bytes.append(UInt8(value))
                default:
                    accumulator = accumulator << bitDepth | Int(value)
                    bits += bitDepth
                    if bits == 8 { bytes.append(UInt8(accumulator)); accumulator = 0; bits = 0 }
                }
            }
        }
        if bits > 0 { bytes.append(UInt8(accumulator << (8 - bits))) }
        return bytes
    }
}
