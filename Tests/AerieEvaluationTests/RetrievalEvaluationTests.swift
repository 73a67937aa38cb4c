import AerieCore
import AerieTensor
import Foundation
import Testing
@testable import AerieEvaluation

/// Recalls are ratios of small integer counts: equal up to float rounding.
let recallTolerance = 1e-9

@Suite struct RetrievalEvaluationTests {
    /// 3 images, 6 captions (two each). Scores chosen so every rank is known by hand.
    static let captionImage = [0, 0, 1, 1, 2, 2]
    static let similarity: [Float] = [
        // img0  img1  img2
        0.9, 0.1, 0.2,   // c0 → image 0 ranks 1st
        0.3, 0.5, 0.4,   // c1 → image 0 ranks 3rd
        0.2, 0.8, 0.1,   // c2 → image 1 ranks 1st
        0.6, 0.6, 0.1,   // c3 → image 1 ties with image 0
        0.1, 0.2, 0.3,   // c4 → image 2 ranks 1st
        0.5, 0.4, 0.1,   // c5 → image 2 ranks 3rd
    ]

    @Test func handBuiltMatrixPessimistic() {
        let report = RetrievalEvaluation.evaluate(similarity: Self.similarity, imageCount: 3,
                                                  captionImage: Self.captionImage, ks: [1, 2, 3], ties: .pessimistic)
        // t2i ranks (0-based, ties against): c0 0, c1 2, c2 0, c3 1 (tie), c4 0, c5 2.
        expectClose(report.overall.textToImage, [50, 200.0 / 3, 100])
        // i2t: image 0 column [.9 .3 .2 .6 .1 .5], best own .9 → rank 0.
        // image 1 column [.1 .5 .8 .6 .2 .4], best own .8 → rank 0.
        // image 2 column [.2 .4 .1 .1 .3 .1], best own .3 → c1 (.4) above → rank 1.
        expectClose(report.overall.imageToText, [200.0 / 3, 100, 100])
        #expect(report.overall.captionQueries == 6)
        #expect(report.overall.imageQueries == 3)
        let mean = (50 + 200.0 / 3 + 100 + 200.0 / 3 + 100 + 100) / 6
        #expect(abs(report.overall.meanRecall - mean) < recallTolerance)
    }

    @Test func tiesOptimisticCountTheTieAsHit() {
        let report = RetrievalEvaluation.evaluate(similarity: Self.similarity, imageCount: 3,
                                                  captionImage: Self.captionImage, ks: [1], ties: .optimistic)
        // c3's tie now ranks its image first: 4 of 6 captions at R@1.
        expectClose(report.overall.textToImage, [400.0 / 6])
    }

    @Test func allEqualScoresGiveNoHitsPessimistically() {
        let flat = [Float](repeating: 0.5, count: 6 * 3)
        let pessimistic = RetrievalEvaluation.evaluate(similarity: flat, imageCount: 3, captionImage: Self.captionImage,
                                                       ties: .pessimistic)
        // Every image ties with 2 others: rank 2 → miss at K=1, hit at K=5 and 10.
        expectClose(pessimistic.overall.textToImage, [0, 100, 100])
        // Every caption column ties with 4 foreign captions: rank 4 → miss at K=1, hit at 5.
        expectClose(pessimistic.overall.imageToText, [0, 100, 100])
        let optimistic = RetrievalEvaluation.evaluate(similarity: flat, imageCount: 3, captionImage: Self.captionImage, ties: .optimistic)
        expectClose(optimistic.overall.textToImage, [100, 100, 100])
    }

    @Test func tiesExpectedBreakTiesUniformlyInExpectation() {
        // Default rule. c3's image ties with one other image: a hit at K=1 half the time.
        let report = RetrievalEvaluation.evaluate(similarity: Self.similarity, imageCount: 3,
                                                  captionImage: Self.captionImage, ks: [1])
        #expect(report.tieRule == .expected)
        expectClose(report.overall.textToImage, [350.0 / 6])
        // All scores equal: the true image is one of 3 tied (1/3 at K=1); the best own caption
        // ties with 4 foreign captions (1/5 at K=1); both are certain hits at K=5.
        let flat = [Float](repeating: 0.5, count: 6 * 3)
        let expected = RetrievalEvaluation.evaluate(similarity: flat, imageCount: 3, captionImage: Self.captionImage, ks: [1, 3, 5])
        expectClose(expected.overall.textToImage, [100.0 / 3, 100, 100])
        expectClose(expected.overall.imageToText, [20, 60, 100])
    }

    @Test func perClassBreakdown() {
        let report = RetrievalEvaluation.evaluate(similarity: Self.similarity, imageCount: 3,
                                                  captionImage: Self.captionImage, labels: ["farm", "port", "farm"], ks: [1],
                                                  ties: .pessimistic)
        #expect(report.perClass.map(\.label) == ["farm", "port"])
        // farm: captions c0 c1 c4 c5 → hits c0, c4 = 50 %; images 0, 2 → image 0 only = 50 %.
        expectClose(report.perClass[0].table.textToImage, [50])
        expectClose(report.perClass[0].table.imageToText, [50])
        // port: c2 hit, c3 tie miss = 50 %; image 1 hit = 100 %.
        expectClose(report.perClass[1].table.textToImage, [50])
        expectClose(report.perClass[1].table.imageToText, [100])
    }

    @Test func perfectEmbeddingsGiveFullRecall() {
        // Each caption equals its image's one-hot vector.
        let d = 4
        let images = (0..<4).flatMap { i in (0..<d).map { Float($0 == i ? 1 : 0) } }
        let captionImage = [0, 0, 1, 2, 3, 3, 3]
        let captions = captionImage.flatMap { i in (0..<d).map { Float($0 == i ? 1 : 0) } }
        let s = RetrievalEvaluation.similarity(captions: captions, images: images, dimension: d)
        let report = RetrievalEvaluation.evaluate(similarity: s, imageCount: 4, captionImage: captionImage)
        expectClose(report.overall.textToImage, [100, 100, 100])
        expectClose(report.overall.imageToText, [100, 100, 100])
        #expect(abs(report.overall.meanRecall - 100) < recallTolerance)
    }

    /// Agreement with an independent numpy computation on exported embeddings. Integer-valued
    /// embeddings make every dot product exact in float32, so ties are the same on both sides.
    @Test(.enabled(if: NumpyReference.available, "skipped: python3 with numpy is not available"))
    func agreesWithNumpy() throws {
        var rng = SplitMix64(seed: 7)
        let d = 6, imageCount = 60
        let images = (0..<(imageCount * d)).map { _ in Float(Int.random(in: -2...2, using: &rng)) }
        var captionImage: [Int] = []
        var captions: [Float] = []
        for i in 0..<imageCount {
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                captionImage.append(i)
                captions += (0..<d).map { images[i * d + $0] + Float(Int.random(in: -1...1, using: &rng)) }
            }
        }
        let s = RetrievalEvaluation.similarity(captions: captions, images: images, dimension: d, normalise: false)
        let ours = RetrievalEvaluation.evaluate(similarity: s, imageCount: imageCount, captionImage: captionImage,
                                                ties: .pessimistic)
        let theirs = try NumpyReference.recalls(captions: captions, images: images, dimension: d, captionImage: captionImage)
        expectClose(ours.overall.textToImage, theirs.t2i)
        expectClose(ours.overall.imageToText, theirs.i2t)
        // The data has ties: make sure the test exercises them.
        #expect(theirs.ties > 0)
    }

}

func expectClose(_ a: [Double], _ b: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-6, "\(a) vs \(b)", sourceLocation: sourceLocation) }
}

/// Writes embeddings as `.npy` and runs an independent numpy implementation of the protocol.
enum NumpyReference {
    static var available: Bool {
        (try? run(["-c", "import numpy"])) != nil
    }

    static let script = """
        import json, sys
        import numpy as np
        d = sys.argv[1]
        C = np.load(d + "/captions.npy"); I = np.load(d + "/images.npy"); ci = np.load(d + "/caption_image.npy")
        S = C @ I.T
        t2i = np.array([np.sum(S[c] >= S[c, ci[c]]) - 1 for c in range(len(ci))])
        i2t = []
        for i in range(I.shape[0]):
            own = ci == i
            if not own.any(): continue
            i2t.append(np.sum(S[~own, i] >= S[own, i].max()))
        i2t = np.array(i2t)
        ties = int(sum(np.sum(S[c] == S[c, ci[c]]) - 1 for c in range(len(ci))))
        print(json.dumps({"t2i": [100.0 * np.mean(t2i < k) for k in (1, 5, 10)],
                          "i2t": [100.0 * np.mean(i2t < k) for k in (1, 5, 10)], "ties": ties}))
        """

    struct Result: Decodable { var t2i: [Double]; var i2t: [Double]; var ties: Int }

    static func recalls(captions: [Float], images: [Float], dimension: Int, captionImage: [Int]) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-numpy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try npy(captions, shape: [captions.count / dimension, dimension], descr: "<f4").write(to: dir.appendingPathComponent("captions.npy"))
        try npy(images, shape: [images.count / dimension, dimension], descr: "<f4").write(to: dir.appendingPathComponent("images.npy"))
        try npy(captionImage.map(Int64.init), shape: [captionImage.count], descr: "<i8").write(to: dir.appendingPathComponent("caption_image.npy"))
        let output = try run(["-c", script, dir.path])
        return try JSONDecoder().decode(Result.self, from: output)
    }

    /// A version 1.0 `.npy` file: magic, header dict padded to 64 bytes, little-endian payload.
    static func npy<T>(_ values: [T], shape: [Int], descr: String) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return data
    }
}
