import AerieCore
import Foundation

/// An 8-bit TIFF written by a plain Swift encoder, for decoder tests that must not depend on
/// the decoder's own library: little-endian, chunky, strips or tiles, four compressions.
public struct TIFFFixture: Sendable {
    public enum Compression: UInt16, Sendable, CaseIterable {
        case none = 1, lzw = 5, deflate = 8, packBits = 32773
    }

    public enum Layout: Sendable, Equatable {
        case strips(rowsPerStrip: Int)
        /// Tiles of `size` x `size` pixels; TIFF requires a multiple of 16.
        case tiles(size: Int)
    }

    public var width: Int
    public var height: Int
    /// 1 (grey), 3 (RGB) or 4 (RGB + unassociated alpha).
    public var samplesPerPixel: Int
    public var compression: Compression
    public var layout: Layout
    /// `width * height * samplesPerPixel` bytes, row-major.
    public var samples: [UInt8]

    public init(width: Int, height: Int, samplesPerPixel: Int, compression: Compression, layout: Layout, samples: [UInt8]) {
        precondition([1, 3, 4].contains(samplesPerPixel), "1, 3 or 4 samples per pixel")
        precondition(samples.count == width * height * samplesPerPixel, "wrong sample count")
        if case .tiles(let size) = layout { precondition(size % 16 == 0 && size > 0, "tile size must be a multiple of 16") }
        self.width = width
        self.height = height
        self.samplesPerPixel = samplesPerPixel
        self.compression = compression
        self.layout = layout
        self.samples = samples
    }

    /// Seeded random samples, smooth enough that PackBits and LZW see both runs and literals.
    public static func random(width: Int, height: Int, samplesPerPixel: Int, compression: Compression,
                              layout: Layout, seed: UInt64) -> TIFFFixture {
        var generator = SplitMix64(seed: seed)
        var samples = [UInt8](repeating: 0, count: width * height * samplesPerPixel)
        for i in samples.indices {
            // Runs of repeated values every other stretch, noise in between.
            samples[i] = (i / 37) % 2 == 0 ? UInt8((i / 37) % 256) : UInt8.random(in: 0...255, using: &generator)
        }
        if samplesPerPixel == 4 {
            // Opaque alpha almost everywhere, a few transparent and translucent pixels.
            for p in 0..<(width * height) { samples[p * 4 + 3] = p % 7 == 0 ? UInt8(p % 256) : 255 }
        }
        return TIFFFixture(width: width, height: height, samplesPerPixel: samplesPerPixel,
                           compression: compression, layout: layout, samples: samples)
    }

    /// The RGBA8 pixels a correct decoder produces (grey copied to R, G, B; opaque unless alpha).
    public func expectedRGBA() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(width * height * 4)
        for p in 0..<(width * height) {
            let s = p * samplesPerPixel
            switch samplesPerPixel {
            case 1: out += [samples[s], samples[s], samples[s], 255]
            case 3: out += [samples[s], samples[s + 1], samples[s + 2], 255]
            default: out += [samples[s], samples[s + 1], samples[s + 2], samples[s + 3]]
            }
        }
        return out
    }

    // MARK: - Encoding

    /// The TIFF file: header, pixel chunks, then the IFD and its out-of-line values.
    public func encoded() -> Data {
        var file: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0, 0, 0, 0]  // "II*\0", IFD offset patched below
        var offsets: [UInt32] = [], counts: [UInt32] = []
        for chunk in rawChunks() {
            let encoded = Self.compress(chunk, with: compression)
            offsets.append(UInt32(file.count))
            counts.append(UInt32(encoded.count))
            file += encoded
            if file.count % 2 == 1 { file.append(0) }  // word alignment
        }

        // Entries: tag, type (3 SHORT, 4 LONG), values. Sorted by tag as TIFF requires.
        var entries: [(tag: UInt16, type: UInt16, values: [UInt32])] = [
            (256, 4, [UInt32(width)]), (257, 4, [UInt32(height)]),
            (258, 3, Array(repeating: 8, count: samplesPerPixel)),
            (259, 3, [UInt32(compression.rawValue)]),
            (262, 3, [samplesPerPixel == 1 ? 1 : 2]),  // BlackIsZero or RGB
            (277, 3, [UInt32(samplesPerPixel)]),
            (284, 3, [1]),  // chunky
        ]
        switch layout {
        case .strips(let rows):
            entries += [(273, 4, offsets), (278, 4, [UInt32(rows)]), (279, 4, counts)]
        case .tiles(let size):
            entries += [(322, 4, [UInt32(size)]), (323, 4, [UInt32(size)]), (324, 4, offsets), (325, 4, counts)]
        }
        if samplesPerPixel == 4 { entries.append((338, 3, [2])) }  // unassociated alpha
        entries.sort { $0.tag < $1.tag }

        let ifdOffset = file.count
        file.replaceSubrange(4..<8, with: Bytes.littleEndian(UInt32(ifdOffset)))
        var outOfLine: [UInt8] = []
        let outOfLineStart = ifdOffset + 2 + entries.count * 12 + 4
        var ifd = Bytes.littleEndian(UInt16(entries.count))
        for entry in entries {
            let bytes = entry.values.flatMap { entry.type == 3 ? Bytes.littleEndian(UInt16($0)) : Bytes.littleEndian($0) }
            ifd += Bytes.littleEndian(entry.tag) + Bytes.littleEndian(entry.type) + Bytes.littleEndian(UInt32(entry.values.count))
            if bytes.count <= 4 {
                ifd += bytes + Array(repeating: 0, count: 4 - bytes.count)
            } else {
                ifd += Bytes.littleEndian(UInt32(outOfLineStart + outOfLine.count))
                outOfLine += bytes
            }
        }
        ifd += [0, 0, 0, 0]  // no next IFD
        return Data(file + ifd + outOfLine)
    }

    /// The uncompressed bytes of each strip or tile; edge tiles are padded with zeros.
    func rawChunks() -> [[UInt8]] {
        let rowBytes = width * samplesPerPixel
        switch layout {
        case .strips(let rowsPerStrip):
            return stride(from: 0, to: height, by: rowsPerStrip).map { top in
                Array(samples[(top * rowBytes)..<(min(height, top + rowsPerStrip) * rowBytes)])
            }
        case .tiles(let size):
            var chunks: [[UInt8]] = []
            for top in stride(from: 0, to: height, by: size) {
                for left in stride(from: 0, to: width, by: size) {
                    var tile = [UInt8](repeating: 0, count: size * size * samplesPerPixel)
                    for y in 0..<size where top + y < height {
                        for x in 0..<size where left + x < width {
                            for c in 0..<samplesPerPixel {
                                tile[(y * size + x) * samplesPerPixel + c] =
                                    samples[((top + y) * width + left + x) * samplesPerPixel + c]
                            }
                        }
                    }
                    chunks.append(tile)
                }
            }
            return chunks
        }
    }

    public static func compress(_ bytes: [UInt8], with compression: Compression) -> [UInt8] {
        switch compression {
        case .none: return bytes
        case .deflate: return StoredZlib.encode(bytes)
        case .packBits: return packBits(bytes)
        case .lzw: return lzw(bytes)
        }
    }

    /// PackBits: runs of 3 or more equal bytes as repeat packets, the rest as literal packets.
    static func packBits(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        var literal: [UInt8] = []
        func flushLiteral() {
            var start = 0
            while start < literal.count {
                let count = min(128, literal.count - start)
                out.append(UInt8(count - 1))
                out += literal[start..<(start + count)]
                start += count
            }
            literal.removeAll()
        }
        while i < bytes.count {
            var run = 1
            while i + run < bytes.count && bytes[i + run] == bytes[i] && run < 128 { run += 1 }
            if run >= 3 {
                flushLiteral()
                out.append(UInt8(bitPattern: Int8(1 - run)))
                out.append(bytes[i])
                i += run
            } else {
                literal.append(bytes[i])
                i += 1
            }
        }
        flushLiteral()
        return out
    }

    /// TIFF LZW: MSB-first codes of 9 to 12 bits, Clear (256) first and whenever the table fills,
    /// End of Information (257) last.
    ///
    /// Code widths follow the decoder, which adds each table entry one code later than the
    /// encoder: the encoder widens once its next free code reaches 2^width, which is the
    /// decoder's "early change" at 2^width - 1.
    static func lzw(_ bytes: [UInt8]) -> [UInt8] {
        let clear = 256, end = 257, first = 258, full = 4094
        var out: [UInt8] = []
        var accumulator = 0, bits = 0, width = 9
        func emit(_ code: Int) {
            accumulator = accumulator << width | code
            bits += width
            while bits >= 8 {
                out.append(UInt8((accumulator >> (bits - 8)) & 0xFF))
                bits -= 8
            }
            accumulator &= (1 << bits) - 1
        }
        var table: [Int: Int] = [:]  // (prefix code << 8 | byte) -> code
        var next = first
        emit(clear)
        guard var prefix = bytes.first.map(Int.init) else {
            emit(end)
            if bits > 0 { out.append(UInt8((accumulator << (8 - bits)) & 0xFF)) }
            return out
        }
        func added() {
            next += 1
            if next >= (1 << width) && width < 12 { width += 1 }
        }
        for byte in bytes.dropFirst() {
            let key = prefix << 8 | Int(byte)
            if let code = table[key] {
                prefix = code
                continue
            }
            emit(prefix)
            table[key] = next
            added()
            if next >= full {
                emit(clear)
                table.removeAll(keepingCapacity: true)
                next = first
                width = 9
            }
            prefix = Int(byte)
        }
        emit(prefix)
        added()
        emit(end)
        if bits > 0 { out.append(UInt8((accumulator << (8 - bits)) & 0xFF)) }
        return out
    }
}
