import AerieCore
import Foundation
import Testing
import AerieImage
import AerieTestSupport

/// A bounded, seeded mutation loop over valid files: whatever the damage, decoding returns a
/// well-formed image or throws an ``ImageError`` naming the file. A crash fails the whole run.
@Suite struct MutationTests {
    static let seeds: [(String, Data)] = [
        ("png", PNGFixture.random(width: 12, height: 9, colorType: .palette, bitDepth: 4, interlaced: true,
                                  withTransparency: true, seed: 1).encoded()),
        ("png16", PNGFixture.random(width: 7, height: 6, colorType: .rgba, bitDepth: 16, interlaced: false,
                                    withTransparency: false, seed: 2).encoded()),
        ("jpeg", JPEGFixture(width: 24, height: 16, components: 3).encoded()),
        ("jpeg-progressive", JPEGFixture(width: 16, height: 9, components: 1, progressive: true).encoded()),
        ("tiff-lzw", TIFFFixture.random(width: 11, height: 9, samplesPerPixel: 3, compression: .lzw,
                                        layout: .strips(rowsPerStrip: 4), seed: 3).encoded()),
        ("tiff-packbits-tiles", TIFFFixture.random(width: 20, height: 17, samplesPerPixel: 1, compression: .packBits,
                                                   layout: .tiles(size: 16), seed: 4).encoded()),
        ("tiff-deflate", TIFFFixture.random(width: 10, height: 5, samplesPerPixel: 4, compression: .deflate,
                                            layout: .strips(rowsPerStrip: 5), seed: 5).encoded()),
    ]

    /// Up to four random edits: bit flips, random bytes, small integers where headers keep
    /// sizes and offsets, deletions, insertions, duplicated ranges, truncation.
    static func mutate(_ data: Data, using generator: inout SplitMix64) -> Data {
        var bytes = Array(data)
        for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &generator)
            case 2: bytes[at] = [0x00, 0x01, 0x7F, 0x80, 0xFF].randomElement(using: &generator) ?? 0
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &generator)))
            case 4: bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: at)
            case 5:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &generator))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &generator))
            default: bytes.removeSubrange(at...)
            }
        }
        return Data(bytes)
    }

    /// The fixtures, plus one real file of each sample set when the shared data is present
    /// (real Huffman tables, real TIFF directories).
    static let allSeeds: [(String, Data)] = seeds + ["rsicd", "ucm", "sydney"].compactMap { set in
        guard let file = SampleDecodingTests.files(set).first, let data = try? Data(contentsOf: file) else { return nil }
        return (set, data)
    }

    @Test func mutatedFilesNeverCrash() {
        let seeds = Self.allSeeds
        var generator = SplitMix64(seed: 20_261_129)
        // A small pixel budget keeps mutated headers from asking for large (slow in debug) buffers.
        let limits = ImageLimits(maxPixels: 1 << 18, maxBytes: 1 << 20)
        var decoded = 0, refused = 0
        // AERIE_MUTATION_ITERATIONS runs a longer campaign by hand (e.g. under valgrind).
        let iterations = ProcessInfo.processInfo.environment["AERIE_MUTATION_ITERATIONS"].flatMap(Int.init) ?? 400
        for iteration in 0..<iterations {
            let (label, original) = seeds[iteration % seeds.count]
            let data = Self.mutate(original, using: &generator)
            let name = "\(label) mutation \(iteration)"
            do {
                let image = try ImageDecoder.decode(data: data, name: name, limits: limits)
                #expect(image.width * image.height <= limits.maxPixels)
                #expect(image.pixels.count == image.width * image.height * 4)
                decoded += 1
            } catch let error as ImageError {
                #expect(error.path == name, "\(error)")
                #expect(!error.description.isEmpty)
                refused += 1
            } catch {
                Issue.record("\(name): untyped error \(error)")
            }
            // Probing the same bytes must be just as safe.
            _ = try? ImageDecoder.probe(data: data, name: name)
        }
        // Both outcomes occur, or the loop is not exercising anything.
        #expect(decoded > 0 && refused > 0, "decoded \(decoded), refused \(refused)")
    }
}

/// The decoders keep no shared mutable state: concurrent decodes give the same images.
@Suite struct ConcurrencyTests {
    @Test func concurrentDecodesAgree() async throws {
        let files = MutationTests.seeds.map(\.1) + [HostileFileTests.png.prefix(100)]
        let serial = files.map { try? ImageDecoder.decode(data: $0, name: "serial") }
        try await withThrowingTaskGroup(of: (Int, RGBAImage?).self) { group in
            for round in 0..<8 {
                for (index, data) in files.enumerated() {
                    group.addTask {
                        (index, try? ImageDecoder.decode(data: data, name: "task \(round)"))
                    }
                }
            }
            for try await (index, image) in group {
                #expect(image == serial[index], "file \(index)")
            }
        }
        #expect(serial.compactMap { $0 }.count == files.count - 1)
    }
}
