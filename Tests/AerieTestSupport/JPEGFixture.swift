import Foundation

/// A JPEG written by a plain Swift encoder: every 8x8 block is one flat level (DC coefficient
/// only, all AC coefficients zero), which needs no DCT and decodes exactly.
///
/// Enough to test the decoder's handling of sizes, component counts, baseline versus
/// progressive frames and hostile headers without depending on an encoder library.
public struct JPEGFixture: Sendable {
    public var width: Int
    public var height: Int
    /// 1 (greyscale), 3 (YCbCr) or 4 (CMYK, which Aerie refuses).
    public var components: Int
    /// A progressive frame (SOF2) with a single DC scan, instead of a baseline frame (SOF0).
    public var progressive: Bool
    /// The level of each block, `[blockRow][blockColumn]`, for the first component; the others
    /// are 128 (neutral chroma).
    public var levels: [[UInt8]]

    public var blockColumns: Int { (width + 7) / 8 }
    public var blockRows: Int { (height + 7) / 8 }

    public init(width: Int, height: Int, components: Int = 1, progressive: Bool = false, levels: [[UInt8]]? = nil) {
        precondition([1, 3, 4].contains(components), "1, 3 or 4 components")
        self.width = width
        self.height = height
        self.components = components
        self.progressive = progressive
        let columns = (width + 7) / 8, rows = (height + 7) / 8
        self.levels = levels ?? Self.defaultLevels(columns: columns, rows: rows)
    }

    /// Levels that differ from block to block and cover the whole 0...255 range.
    static func defaultLevels(columns: Int, rows: Int) -> [[UInt8]] {
        var levels: [[UInt8]] = []
        for r in 0..<rows {
            var row: [UInt8] = []
            for c in 0..<columns {
                let level: Int = (r * 37 + c * 23 + 16) % 256
                row.append(UInt8(level))
            }
            levels.append(row)
        }
        return levels
    }

    /// The RGBA8 pixels a correct decoder produces: each block's level as grey, opaque.
    public func expectedRGBA() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let level = levels[y / 8][x / 8]
                out += [level, level, level, 255]
            }
        }
        return out
    }

    /// The whole file, SOI to EOI.
    ///
    /// A progressive file has its DC scan, then for each component one AC scan (spectral
    /// selection 1...63) that codes every block as end-of-band: all AC coefficients are sent,
    /// and zero, so the decoder has no reason to smooth the DC-only blocks.
    public func encoded() -> Data {
        var out = headerSegments() + entropyCodedData()
        if progressive {
            var acBits = [UInt8](repeating: 0, count: 16)
            acBits[0] = 1
            out += Self.segment(0xC4, [0x10] + acBits + [0x00])  // AC table 0: EOB0 only, code "0"
            for id in 1...components {
                out += Self.segment(0xDA, [1, UInt8(id), 0x00, 1, 63, 0])
                var writer = BitWriter()
                for _ in 0..<(blockRows * blockColumns) { writer.write(0, bits: 1) }
                out += writer.finish()
            }
        }
        return Data(out + [0xFF, 0xD9])
    }

    /// SOI, DQT, SOF, DHT and SOS: everything before the entropy-coded data.
    public func headerSegments() -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        // Quantisation table 0: all ones, so coefficients are their own values.
        out += Self.segment(0xDB, [0x00] + Array(repeating: 1, count: 64))
        var frame: [UInt8] = [8] + Bytes.bigEndian(UInt16(height)) + Bytes.bigEndian(UInt16(width)) + [UInt8(components)]
        for id in 1...components { frame += [UInt8(id), 0x11, 0x00] }
        out += Self.segment(progressive ? 0xC2 : 0xC0, frame)
        // DC table 0: categories 0...11, all with 4-bit codes 0000...1011.
        var bits = [UInt8](repeating: 0, count: 16)
        bits[3] = 12
        out += Self.segment(0xC4, [0x00] + bits + Array(0...11))
        if !progressive {
            // AC table 0: end-of-block only, code "0".
            var acBits = [UInt8](repeating: 0, count: 16)
            acBits[0] = 1
            out += Self.segment(0xC4, [0x10] + acBits + [0x00])
        }
        var scan: [UInt8] = [UInt8(components)]
        for id in 1...components { scan += [UInt8(id), 0x00] }
        scan += progressive ? [0, 0, 0] : [0, 63, 0]  // Ss, Se, Ah/Al
        out += Self.segment(0xDA, scan)
        return out
    }

    /// The Huffman-coded blocks, byte-stuffed, padded with one bits.
    public func entropyCodedData() -> [UInt8] {
        var writer = BitWriter()
        var previous = [Int](repeating: 0, count: components)
        for row in 0..<blockRows {
            for column in 0..<blockColumns {
                for component in 0..<components {
                    let level = component == 0 ? Int(levels[row][column]) : 128
                    // A flat block of level L has DC coefficient 8 * (L - 128) (orthonormal DCT, level shift).
                    let dc = 8 * (level - 128)
                    let difference = dc - previous[component]
                    previous[component] = dc
                    let category = difference == 0 ? 0 : Int.bitWidth - abs(difference).leadingZeroBitCount
                    writer.write(category, bits: 4)
                    if category > 0 {
                        writer.write(difference >= 0 ? difference : difference + (1 << category) - 1, bits: category)
                    }
                    if !progressive { writer.write(0, bits: 1) }  // end of block
                }
            }
        }
        return writer.finish()
    }

    /// A marker segment: FF, marker, 16-bit length (including itself), payload.
    public static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + Bytes.bigEndian(UInt16(payload.count + 2)) + payload
    }

    private struct BitWriter {
        var bytes: [UInt8] = []
        var accumulator = 0
        var count = 0

        mutating func write(_ value: Int, bits: Int) {
            for shift in stride(from: bits - 1, through: 0, by: -1) {
                accumulator = accumulator << 1 | ((value >> shift) & 1)
                count += 1
                if count == 8 { flushByte() }
            }
        }

        private mutating func flushByte() {
            let byte = UInt8(accumulator & 0xFF)
            bytes.append(byte)
            if byte == 0xFF { bytes.append(0x00) }  // byte stuffing
            accumulator = 0
            count = 0
        }

        mutating func finish() -> [UInt8] {
            while count != 0 { write(1, bits: 1) }
            return bytes
        }
    }
}
