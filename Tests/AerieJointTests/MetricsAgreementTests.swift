import AerieCore
import AerieEvaluation
import AerieJoint
import AerieTensor
import Testing

@Suite struct MetricsAgreementTests {
    /// `aerie eval` and the trainer's validation share one ranking computation: with and without
    /// a hubness correction they give the same recalls on the same embeddings.
    @Test(arguments: [HubnessCorrection.none, .csls(k: 3), .invertedSoftmax(beta: 10)])
    func evaluationAgreesWithTheTrainersMetrics(hubness: HubnessCorrection) {
        var rng = SplitMix64(seed: 21)
        let d = 8, imageCount = 40
        let images = L2.normalized((0..<(imageCount * d)).map { _ in Float.random(in: -1...1, using: &rng) }, dimension: d)
        var captionImage: [Int] = [], captions: [Float] = []
        for i in 0..<imageCount {
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                captionImage.append(i)
                captions += (0..<d).map { images[i * d + $0] + Float.random(in: -0.8...0.8, using: &rng) }
            }
        }
        captions = L2.normalized(captions, dimension: d)
        let s = RetrievalEvaluation.similarity(captions: captions, images: images, dimension: d)
        let corrected = RetrievalEvaluation.corrected(similarity: s, captionCount: captionImage.count,
                                                      imageCount: imageCount, hubness: hubness)
        let report = RetrievalEvaluation.evaluate(similarity: corrected.textToImage, imageCount: imageCount,
                                                  captionImage: captionImage, imageToTextSimilarity: corrected.imageToText)
        let trainer = JointModel.metrics(imageVectors: Tensor(shape: [imageCount, d], data: images),
                                         captionVectors: Tensor(shape: [captionImage.count, d], data: captions),
                                         captionImage: captionImage, hubness: hubness)
        for (a, b) in zip(report.overall.textToImage + report.overall.imageToText, trainer.textToImage + trainer.imageToText) {
            #expect(abs(a - Double(b)) < 1e-3, "\(report.overall) vs \(trainer)")
        }
        // The correction changes the ranking on this data (otherwise the test proves nothing).
        if hubness != .none {
            let plain = RetrievalEvaluation.evaluate(similarity: s, imageCount: imageCount, captionImage: captionImage)
            #expect(plain.overall != report.overall)
        }
    }
}
