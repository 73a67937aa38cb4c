@testable import AerieEvaluation
import AerieCore
@testable import AerieJoint
import AerieTensor
import Foundation
import Testing

/// A tiny synthetic caption data set: each image is a noisy random direction in image-feature
/// space; its captions are a fixed random linear map of the same latent, plus noise, so a linear
/// joint space exists that matches every pair.
func syntheticData(images: Int = 24, captionsPerImage: Int = 2, seed: UInt64 = 3) throws -> TrainingData {
    var g = SplitMix64(seed: seed)
    let latentDimension = 8  // below both feature widths (12, 10), so both sides keep the whole latent
    let latents = randomValues(images * latentDimension, &g)
    let toImage = randomValues(12 * latentDimension, &g), toText = randomValues(10 * latentDimension, &g)
    let imageFeatures = Matrix.multiplyTransposed(latents, toImage, m: images, n: 12, k: latentDimension)
        .map { $0 + 0.01 * g.nextGaussian() }
    var captionRows = [Float](), captionImage = [Int]()
    for i in 0..<images {
        let latent = Array(latents[i * latentDimension ..< (i + 1) * latentDimension])
        for _ in 0..<captionsPerImage {
            let row = Matrix.multiplyTransposed(latent, toText, m: 1, n: 10, k: latentDimension)
            captionRows += row.map { $0 + 0.05 * g.nextGaussian() }
            captionImage.append(i)
        }
    }
    let all = Array(0..<images)
    return try TrainingData(
        imageViews: [Tensor(shape: [images, 12], data: imageFeatures)],
        captionFeatures: Tensor(shape: [captionImage.count, 10], data: captionRows),
        captionImage: captionImage, captionText: Array(0..<captionImage.count),
        imageClass: all.map { $0 % 4 }, trainImages: all, validationImages: all)
}

let syntheticImage = ModelIdentity(name: "test-image", weightsSHA256: String(repeating: "a", count: 64), dimension: 12)
let syntheticText = ModelIdentity(name: "test-text", weightsSHA256: String(repeating: "b", count: 64), dimension: 10)

func smallConfiguration(head: HeadKind, loss: LossKind) -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.head = head
    c.dimension = 8
    c.hiddenDimension = 16
    c.loss = loss
    c.epochs = 300
    c.batchSize = 8
    c.learningRate = 1e-2
    c.warmupEpochs = 2
    c.seed = 7
    return c
}

@Suite struct TrainingTests {
    @Test(arguments: [HeadKind.linear, .mlp], [LossKind.triplet(margin: 0.2), .hardest(margin: 0.2), .infoNCE(temperature: 0.1, learnable: true)])
    func trainingReachesPerfectRecallOnSyntheticData(head: HeadKind, loss: LossKind) throws {
        let data = try syntheticData()
        let result = try Trainer.train(data: data, configuration: smallConfiguration(head: head, loss: loss),
                                       imageEncoder: syntheticImage, textEncoder: syntheticText)
        let best = try #require(result.best)
        #expect(best.validation.imageToText[0] == 100, "\(head) \(loss): \(best.validation)")
        #expect(best.validation.textToImage[0] == 100, "\(head) \(loss): \(best.validation)")
        // The first epoch is far from perfect: training, not the initialisation, found the space.
        #expect(result.history[0].validation.meanRecall < best.validation.meanRecall)
    }

    @Test func identicalSeedsGiveIdenticalResults() throws {
        let data = try syntheticData()
        var config = smallConfiguration(head: .mlp, loss: .infoNCE(temperature: 0.1, learnable: true))
        config.epochs = 5
        config.dropout = 0.1
        config.maskSameClass = true
        let a = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
        let b = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
        #expect(a.history == b.history)
        #expect(a.model.imageHead.parameters == b.model.imageHead.parameters)
        #expect(a.model.textHead.parameters == b.model.textHead.parameters)
        config.seed = 8
        let c = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
        #expect(c.model.imageHead.parameters != a.model.imageHead.parameters)
    }

    @Test func earlyStoppingKeepsTheBestEpoch() throws {
        let data = try syntheticData()
        var config = smallConfiguration(head: .linear, loss: .triplet(margin: 0.2))
        config.patience = 3
        config.epochs = 200
        let result = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
        #expect(result.history.count < 200)
        #expect(result.history.count - result.bestEpoch == 3)
        let best = try #require(result.best)
        #expect(result.history.allSatisfy { $0.validation.meanRecall <= best.validation.meanRecall })
        // The returned model is the best epoch's, not the last one's.
        let again = try result.model.evaluate(imageFeatures: data.imageViews[0], captionFeatures: data.captionFeatures,
                                              captionImage: data.captionImage)
        #expect(again == best.validation)
    }

    @Test func savedHeadLoadsIdenticallyAndRefusesOtherEncoders() throws {
        let data = try syntheticData()
        var config = smallConfiguration(head: .mlp, loss: .hardest(margin: 0.2))
        config.epochs = 3
        config.residual = true
        let result = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-joint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let card = HeadCard(imageEncoder: syntheticImage, textEncoder: syntheticText, dimension: 8, dataset: "synthetic",
                            trainSplit: "train", validationSplit: "val", trainImages: 24, validationImages: 24,
                            imageViews: ["center"], configuration: config, selectedEpoch: result.bestEpoch,
                            validation: result.best?.validation ?? RetrievalMetrics(imageToText: [], textToImage: []),
                            validationByHubness: [:], history: result.history, command: "test")
        try result.model.save(to: directory, card: card)
        let loaded = try JointModel.load(from: directory, imageEncoder: syntheticImage, textEncoder: syntheticText)
        #expect(try loaded.projectImages(data.imageViews[0]) == result.model.projectImages(data.imageViews[0]))
        #expect(try loaded.projectTexts(data.captionFeatures) == result.model.projectTexts(data.captionFeatures))
        #expect(try JointModel.loadCard(from: directory) == card)

        var otherImage = syntheticImage
        otherImage.weightsSHA256 = String(repeating: "c", count: 64)
        #expect(throws: JointError.self) {
            try JointModel.load(from: directory, imageEncoder: otherImage, textEncoder: syntheticText)
        }
        do {
            _ = try JointModel.load(from: directory, imageEncoder: otherImage, textEncoder: syntheticText)
        } catch let error as JointError {
            #expect(error.description.contains("image encoder is test-image"))
            #expect(error.description.contains("aerie train"))
        }
        var otherText = syntheticText
        otherText.name = "other-text"
        #expect(throws: JointError.self) { try loaded.checkEncoders(image: syntheticImage, text: otherText) }
        #expect(throws: JointError.self) { try loaded.projectImages(Tensor(zeros: [2, 7])) }
    }

    @Test func halfPrecisionHeadLoadsAsTheRoundedModel() throws {
        let data = try syntheticData()
        var config = smallConfiguration(head: .mlp, loss: .infoNCE(temperature: 0.1, learnable: false))
        config.epochs = 2
        let model = try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText).model
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-joint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory, halfPrecision: true)
        let loaded = try JointModel.load(from: directory)
        let rounded = model.roundedToHalfPrecision()
        #expect(try loaded.projectTexts(data.captionFeatures) == rounded.projectTexts(data.captionFeatures))
        #expect(try loaded.projectImages(data.imageViews[0]) == rounded.projectImages(data.imageViews[0]))
        let size = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(JointModel.weightsFileName).path)[.size] as? Int
        try model.save(to: directory, halfPrecision: false)
        let fullSize = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(JointModel.weightsFileName).path)[.size] as? Int
        // Half precision saves two bytes per stored value (the headers differ only in padding).
        let values = [model.imageHead, model.textHead].reduce(1) { total, head in
            total + head.parameters.values.reduce(0) { $0 + $1.count } + 2 * head.configuration.inputDimension
        }
        #expect(abs((fullSize ?? 0) - (size ?? 0) - 2 * values) <= 16)
    }

    /// An ensemble is one joint space: its cosine is the members' mean cosine, it saves and loads
    /// (in half precision too) as one head, and members of different shapes are refused.
    @Test func ensembleHeadIsTheMeanOfItsMembers() throws {
        let data = try syntheticData()
        var config = smallConfiguration(head: .mlp, loss: .infoNCE(temperature: 0.1, learnable: false))
        config.epochs = 3
        let members = try (0..<3).map { k -> JointModel in
            var c = config
            c.seed = 20 + UInt64(k)
            return try Trainer.train(data: data, configuration: c, imageEncoder: syntheticImage, textEncoder: syntheticText).model
        }
        let ensemble = try JointModel.ensemble(members)
        #expect(ensemble.memberCount == 3 && ensemble.dimension == 24)
        let images = try ensemble.projectImages(data.imageViews[0]), texts = try ensemble.projectTexts(data.captionFeatures)
        let combined = Matrix.multiplyTransposed(images.data, texts.data, m: 24, n: 48, k: 24)
        var mean = [Float](repeating: 0, count: 24 * 48)
        for member in members {
            let s = Matrix.multiplyTransposed(try member.projectImages(data.imageViews[0]).data,
                                              try member.projectTexts(data.captionFeatures).data, m: 24, n: 48, k: 8)
            for i in mean.indices { mean[i] += s[i] / 3 }
        }
        #expect(zip(combined, mean).allSatisfy { abs($0 - $1) < 1e-5 })

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-joint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ensemble.save(to: directory)
        let loaded = try JointModel.load(from: directory, imageEncoder: syntheticImage, textEncoder: syntheticText)
        #expect(loaded.memberCount == 3)
        #expect(try loaded.projectImages(data.imageViews[0]) == images)
        #expect(try loaded.projectTexts(data.captionFeatures) == texts)
        try ensemble.save(to: directory, halfPrecision: true)
        #expect(try JointModel.load(from: directory).projectTexts(data.captionFeatures)
                == ensemble.roundedToHalfPrecision().projectTexts(data.captionFeatures))

        var narrow = config
        narrow.dimension = 4
        let other = try Trainer.train(data: data, configuration: narrow, imageEncoder: syntheticImage, textEncoder: syntheticText).model
        #expect(throws: JointError.self) { try JointModel.ensemble([members[0], other]) }
    }

    /// Cards written before a field existed still read: the optional fields are absent.
    @Test func cardsWithoutNewerFieldsStillRead() throws {
        var config = TrainingConfiguration()
        config.epochs = 1
        let card = HeadCard(imageEncoder: syntheticImage, textEncoder: syntheticText, dimension: 8, dataset: "d",
                            trainSplit: "train", validationSplit: "val", trainImages: 2, validationImages: 2,
                            imageViews: ["center"], configuration: config, selectedEpoch: 1,
                            validation: RetrievalMetrics(imageToText: [1, 2, 3], textToImage: [4, 5, 6]),
                            validationByHubness: [:], history: [], command: "aerie train")
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(card)) as? [String: Any])
        #expect(json["weightsPrecision"] == nil && json["ensembleMembers"] == nil)
        var configuration = try #require(json["configuration"] as? [String: Any])
        configuration.removeValue(forKey: "imageInputDropout")
        json["configuration"] = configuration
        let decoded = try JSONDecoder().decode(HeadCard.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded == card)
    }

    @Test func damagedHeadFilesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-joint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(JointModel.weightsFileName)
        try SafeTensorsWriter.write(tensors: ["x": Tensor(zeros: [2])], metadata: ["format": "something-else"], to: url)
        #expect(throws: JointError.self) { try JointModel.load(from: directory) }
        try SafeTensorsWriter.write(tensors: ["x": Tensor(zeros: [2])], metadata: ["format": "aerie-joint-head", "version": "99"], to: url)
        #expect(throws: JointError.self) { try JointModel.load(from: directory) }
        try Data("garbage".utf8).write(to: url)
        #expect(throws: (any Error).self) { try JointModel.load(from: directory) }
    }
}

@Suite struct MetricTests {
    @Test func recallOnAHandBuiltMatrix() {
        // 3 images, 4 captions (image 0 has captions 0 and 1).
        let scores: [Float] = [
            0.9, 0.1, 0.8, 0.0,  // image 0: caption 0 first → hit at 1
            0.2, 0.3, 0.1, 0.4,  // image 1: its caption 2 is last (rank 3) → miss at 1, hit at 5
            0.0, 0.5, 0.0, 0.6,  // image 2: its caption 3 first → hit at 1
        ]
        let m = RetrievalMetrics.compute(scores: scores, imageCount: 3, captionImage: [0, 0, 1, 2])
        #expect(m.imageToText == [Float(200) / 3, 100, 100])
        // caption 0 → image 0 (0.9 best) hit; caption 1 → image 0 scores 0.1 below 0.3 and 0.5: rank 2;
        // caption 2 → image 1 scores 0.1 below 0.8: rank 1; caption 3 → image 2 0.6 best: hit.
        #expect(m.textToImage == [50, 100, 100])
        #expect(abs(m.meanRecall - (Float(200) / 3 + 200 + 50 + 200) / 6) < 1e-4)
    }

    @Test func hubnessCorrectionsDemoteAHub() {
        // Gallery item 0 is a hub: close to every query. Query 1's true item is 1.
        var scores: [Float] = [
            0.9, 0.8, 0.8,  // gallery 0 vs queries 0, 1, 2
            0.1, 0.7, 0.0,  // gallery 1
            0.0, 0.0, 0.7,  // gallery 2
        ]
        let plain = scores
        HubnessCorrection.csls(k: 2).apply(toGalleryRows: &scores, galleryCount: 3, queryCount: 3)
        // Query 1: plain ranks gallery 0 (0.8) over 1 (0.7); CSLS: 1.6-0.85=0.75 vs 1.4-0.4=1.0.
        #expect(plain[0 * 3 + 1] > plain[1 * 3 + 1])
        #expect(scores[0 * 3 + 1] < scores[1 * 3 + 1])
        var soft = plain
        HubnessCorrection.invertedSoftmax(beta: 10).apply(toGalleryRows: &soft, galleryCount: 3, queryCount: 3)
        #expect(soft[0 * 3 + 1] < soft[1 * 3 + 1])
        // Query rows and gallery rows are transposes of each other.
        var byQuery = HubnessCorrection.transpose(plain, rows: 3, columns: 3)
        HubnessCorrection.csls(k: 2).apply(toQueryRows: &byQuery, queryCount: 3, galleryCount: 3)
        #expect(HubnessCorrection.transpose(byQuery, rows: 3, columns: 3) == scores)
    }

    @Test func scheduleWarmsUpThenDecays() {
        let s = LearningRateSchedule(base: 1, warmupSteps: 10, totalSteps: 110, floor: 0)
        #expect(abs(s.rate(at: 0) - 0.1) < 1e-6)
        #expect(abs(s.rate(at: 9) - 1) < 1e-6)
        #expect(abs(s.rate(at: 60) - 0.5) < 1e-3)
        #expect(s.rate(at: 110) < 1e-6)
    }
}

/// Out-of-range training values are refused with an error naming them, before anything is
/// allocated: they used to trap (hidden 0, dropout 1), abort allocating (dim 10⁸), or train the
/// whole run to NaN (lr, temperature, margin NaN) (issue 12, item 11).
@Suite struct TrainingConfigurationValidationTests {
    @Test func badValuesAreRefusedBeforeTraining() throws {
        let data = try syntheticData()
        var cases: [(String, (inout TrainingConfiguration) -> Void)] = [
            ("hiddenDimension", { $0.hiddenDimension = 0 }),
            ("dropout", { $0.dropout = 1 }),
            ("dropout", { $0.dropout = 1.5 }),
            ("dropout", { $0.dropout = -0.1 }),
            ("imageInputDropout", { $0.imageInputDropout = .nan }),
            ("warmupEpochs", { $0.warmupEpochs = .nan }),
            ("dimension", { $0.dimension = 100_000_000 }),
            ("dimension", { $0.dimension = 0 }),
            ("weightsPerLayer", { $0.dimension = 16_384; $0.hiddenDimension = 65_536 }),
            ("learningRate", { $0.learningRate = .nan }),
            ("learningRate", { $0.learningRate = .infinity }),
            ("temperature", { $0.loss = .infoNCE(temperature: .nan, learnable: false) }),
            ("temperature", { $0.loss = .infoNCE(temperature: 0, learnable: true) }),
            ("margin", { $0.loss = .triplet(margin: .nan) }),
            ("margin", { $0.loss = .hardest(margin: -1) }),
            ("epochs", { $0.epochs = 0 }),
            ("batchSize", { $0.batchSize = 1 }),
            ("weightDecay", { $0.weightDecay = .infinity }),
            ("patience", { $0.patience = -1 }),
        ]
        cases.append(("hiddenDimension", { $0.head = .linear; $0.hiddenDimension = -5 }))
        for (parameter, change) in cases {
            var config = smallConfiguration(head: .mlp, loss: .infoNCE(temperature: 0.1, learnable: false))
            change(&config)
            #expect("\(parameter)", performing: {
                try Trainer.train(data: data, configuration: config, imageEncoder: syntheticImage, textEncoder: syntheticText)
            }, throws: { error in
                guard case let .invalidConfiguration(name, _, allowed) = error as? JointError else { return false }
                return name == parameter && !allowed.isEmpty
            })
            #expect(config.violation()?.parameter.rawValue == parameter)
        }
        #expect(smallConfiguration(head: .mlp, loss: .infoNCE(temperature: 0.1, learnable: false)).violation() == nil)
        #expect(TrainingConfiguration().violation() == nil)
    }
}
