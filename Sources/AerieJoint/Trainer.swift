import AerieEvaluation
import AerieCore
import AerieTensor
import Foundation

/// Encoder features of a caption data set, ready to train on.
public struct TrainingData: Sendable {
    /// Image features, one tensor `[images, imageDim]` per view (e.g. the image and its mirror
    /// image). Training samples one view per image per epoch; evaluation (and the input
    /// standardisation) uses the mean of the ``evaluationViews``.
    public var imageViews: [Tensor]
    /// The views (indices into ``imageViews``) whose mean features stand for an image outside
    /// training: validation, and what an index computes. All views by default; `[0]` trains on
    /// every view but measures (and indexes) the first alone.
    public var evaluationViews: [Int]
    /// Caption features `[captions, textDim]`.
    public var captionFeatures: Tensor
    /// For each caption, the index of its image.
    public var captionImage: [Int]
    /// For each caption, an identifier of its text: equal texts have equal identifiers.
    public var captionText: [Int]
    /// Scene class of each image, when known.
    public var imageClass: [Int]?
    /// Images that train and images that select (the `train` and `val` splits).
    public var trainImages: [Int]
    public var validationImages: [Int]

    /// Checks shapes and indices.
    ///
    /// - Throws: ``JointError/invalidData(reason:)`` naming what is wrong.
    public init(imageViews: [Tensor], captionFeatures: Tensor, captionImage: [Int], captionText: [Int],
                imageClass: [Int]?, trainImages: [Int], validationImages: [Int], evaluationViews: [Int]? = nil) throws {
        guard let first = imageViews.first, first.shape.count == 2 else {
            throw JointError.invalidData(reason: "no image features")
        }
        guard imageViews.allSatisfy({ $0.shape == first.shape }) else {
            throw JointError.invalidData(reason: "image feature views differ in shape")
        }
        let imageCount = first.shape[0]
        guard captionFeatures.shape.count == 2, captionFeatures.shape[0] == captionImage.count,
              captionText.count == captionImage.count else {
            throw JointError.invalidData(reason: "caption features, caption images and caption texts differ in count")
        }
        guard captionImage.allSatisfy({ (0..<imageCount).contains($0) }) else {
            throw JointError.invalidData(reason: "a caption names an image outside 0..<\(imageCount)")
        }
        guard (imageClass?.count ?? imageCount) == imageCount else {
            throw JointError.invalidData(reason: "\(imageClass?.count ?? 0) class labels for \(imageCount) images")
        }
        guard (trainImages + validationImages).allSatisfy({ (0..<imageCount).contains($0) }) else {
            throw JointError.invalidData(reason: "a split names an image outside 0..<\(imageCount)")
        }
        let evaluation = evaluationViews ?? Array(imageViews.indices)
        guard !evaluation.isEmpty, evaluation.allSatisfy(imageViews.indices.contains), Set(evaluation).count == evaluation.count else {
            throw JointError.invalidData(reason: "evaluation views must be distinct views among the \(imageViews.count) given")
        }
        self.imageViews = imageViews
        self.evaluationViews = evaluation
        self.captionFeatures = captionFeatures
        self.captionImage = captionImage
        self.captionText = captionText
        self.imageClass = imageClass
        self.trainImages = trainImages
        self.validationImages = validationImages
        var captions = [[Int]](repeating: [], count: imageCount)
        for (c, i) in captionImage.enumerated() { captions[i].append(c) }
        captionsOfImage = captions
        guard trainImages.filter({ !captions[$0].isEmpty }).count >= 2 else {
            throw JointError.invalidData(reason: "fewer than two training images have captions")
        }
    }

    /// The captions of each image.
    public let captionsOfImage: [[Int]]
    public var imageCount: Int { imageViews[0].shape[0] }
    public var imageDimension: Int { imageViews[0].shape[1] }
    public var textDimension: Int { captionFeatures.shape[1] }

    /// The mean over the evaluation views of the images' features, `[images.count, imageDim]`.
    public func meanImageFeatures(_ images: [Int]) -> Tensor {
        let d = imageDimension
        var out = [Float](repeating: 0, count: images.count * d)
        let weight = 1 / Float(evaluationViews.count)
        for view in evaluationViews.map({ imageViews[$0] }) {
            for (r, i) in images.enumerated() {
                for j in 0..<d { out[r * d + j] += weight * view.data[i * d + j] }
            }
        }
        return Tensor(shape: [images.count, d], data: out)
    }

    /// The features, caption-to-image map and images of a split for evaluation.
    func evaluationSet(_ images: [Int]) -> (images: Tensor, captions: Tensor, captionImage: [Int]) {
        let d = textDimension
        var captionRows = [Float](), owner = [Int]()
        for (r, i) in images.enumerated() {
            for c in captionsOfImage[i] {
                captionRows.append(contentsOf: captionFeatures.data[c * d ..< (c + 1) * d])
                owner.append(r)
            }
        }
        return (meanImageFeatures(images), Tensor(shape: [owner.count, d], data: captionRows), owner)
    }
}

/// Hyper-parameters of a training run; recorded in the head's card.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var head: HeadKind = .mlp
    public var dimension: Int = 512
    public var hiddenDimension: Int = 1024
    public var activation: HeadActivation = .gelu
    public var residual: Bool = false
    public var dropout: Float = 0
    /// Input-feature dropout of the image and the text head while training (`nil`: none; optional
    /// so that cards written before it existed still read).
    public var imageInputDropout: Float?
    public var textInputDropout: Float?
    public var loss: LossKind = .infoNCE(temperature: 0.05, learnable: false)
    public var epochs: Int = 30
    public var batchSize: Int = 128
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-4
    public var warmupEpochs: Float = 1
    public var seed: UInt64 = 1
    public var maskSameClass: Bool = false
    /// Stop after this many epochs without a better validation mR (0: never).
    public var patience: Int = 0
    /// Correction used when selecting on validation (and recommended for search).
    public var hubness: HubnessCorrection = .none

    public init() {}
}

/// One epoch's line of the training table.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var loss: Float
    public var learningRate: Float
    public var validation: RetrievalMetrics
}

/// What the trainer reports while it runs.
public enum TrainingEvent: Sendable {
    case step(epoch: Int, step: Int, stepsPerEpoch: Int, loss: Float)
    case epoch(EpochRecord, isBest: Bool)
}

/// The outcome of training: the model of the best validation epoch and every epoch's record.
public struct TrainingResult: Sendable {
    public var model: JointModel
    public var history: [EpochRecord]
    public var bestEpoch: Int
    public var best: EpochRecord? { history.first { $0.epoch == bestEpoch } }
}

/// Trains an image head and a text head on frozen encoder features.
public enum Trainer {
    /// Runs training: one sampled caption per training image per epoch, mini-batches of
    /// `batchSize` images, AdamW with warm-up and cosine decay; keeps the epoch with the best
    /// validation mR. Deterministic for a given seed and BLAS thread count.
    ///
    /// - Parameter onEvent: called after every step and every epoch (on the calling thread).
    public static func train(
        data: TrainingData, configuration config: TrainingConfiguration,
        imageEncoder: ModelIdentity, textEncoder: ModelIdentity,
        onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingResult {
        guard imageEncoder.dimension == data.imageDimension, textEncoder.dimension == data.textDimension else {
            throw JointError.invalidData(reason: "encoder dimensions \(imageEncoder.dimension)/\(textEncoder.dimension) do not match the features \(data.imageDimension)/\(data.textDimension)")
        }
        // Every value in range before anything is allocated (see TrainingConfiguration.validate).
        try config.validate()
        for input in [data.imageDimension, data.textDimension] {
            let (weights, overflow) = input.multipliedReportingOverflow(by: config.head == .mlp ? config.hiddenDimension : config.dimension)
            guard !overflow, weights <= TrainingConfiguration.maximumWeightsPerLayer else {
                throw JointError.invalidConfiguration(parameter: TrainingConfiguration.Parameter.weightsPerLayer.rawValue,
                                                      value: "\(input) × \(config.head == .mlp ? config.hiddenDimension : config.dimension)",
                                                      allowed: TrainingConfiguration.allowedRange(.weightsPerLayer))
            }
        }
        var generator = SplitMix64(seed: config.seed)
        func headConfiguration(input: Int, inputDropout: Float?) -> HeadConfiguration {
            HeadConfiguration(kind: config.head, inputDimension: input, outputDimension: config.dimension,
                              hiddenDimension: config.hiddenDimension, activation: config.activation,
                              residual: config.residual, dropout: config.dropout, inputDropout: inputDropout ?? 0)
        }
        var imageHead = ProjectionHead(configuration: headConfiguration(input: data.imageDimension, inputDropout: config.imageInputDropout),
                                       generator: &generator)
        var textHead = ProjectionHead(configuration: headConfiguration(input: data.textDimension, inputDropout: config.textInputDropout),
                                      generator: &generator)
        let trainable = data.trainImages.filter { !data.captionsOfImage[$0].isEmpty }
        imageHead.standardize(using: data.meanImageFeatures(trainable))
        let trainCaptions = trainable.flatMap { data.captionsOfImage[$0] }
        textHead.standardize(using: gather(data.captionFeatures, rows: trainCaptions))

        var logScale: Float
        switch config.loss {
        case let .infoNCE(temperature, _): logScale = log(1 / max(temperature, 1e-4))
        default: logScale = 0
        }
        let maxLogScale = log(Float(100))
        var optimizer = AdamW(weightDecay: config.weightDecay)
        let stepsPerEpoch = (trainable.count + config.batchSize - 1) / config.batchSize
        let schedule = LearningRateSchedule(
            base: config.learningRate, warmupSteps: Int(config.warmupEpochs * Float(stepsPerEpoch)),
            totalSteps: stepsPerEpoch * config.epochs)
        let validation = data.evaluationSet(data.validationImages)
        var textSets = [Set<Int>](repeating: [], count: data.imageCount)
        for i in trainable { textSets[i] = Set(data.captionsOfImage[i].map { data.captionText[$0] }) }

        var history: [EpochRecord] = []
        var best: (record: EpochRecord, image: ProjectionHead, text: ProjectionHead, logScale: Float)?
        var step = 0
        for epoch in 1...config.epochs {
            var order = trainable
            generator.shuffle(&order)
            let view = order.map { _ in generator.nextInt(below: data.imageViews.count) }
            let caption = order.map { data.captionsOfImage[$0][generator.nextInt(below: data.captionsOfImage[$0].count)] }
            var lossSum: Double = 0, lossCount = 0
            var start = 0
            var stepInEpoch = 0
            while start < order.count {
                let end = min(order.count, start + config.batchSize)
                defer { start = end }
                guard end - start >= 2 else { continue }
                let images = Array(order[start..<end]), captions = Array(caption[start..<end])
                let views = Array(view[start..<end])
                let mask = NegativeMask(
                    captionTexts: captions.map { data.captionText[$0] },
                    imageTexts: images.map { textSets[$0] },
                    classes: config.maskSameClass ? data.imageClass.map { labels in images.map { labels[$0] } } : nil)
                let x = gatherViews(data, images: images, views: views)
                let t = gather(data.captionFeatures, rows: captions)
                var dropout: SplitMix64? = generator
                let result = BatchStep.run(imageHead: imageHead, textHead: textHead, imageInput: x.data, textInput: t.data,
                                           mask: mask, loss: config.loss, logScale: logScale, generator: &dropout)
                if let dropout { generator = dropout }
                let rate = schedule.rate(at: step)
                optimizer.beginStep()
                for (name, gradient) in result.imageGradients {
                    optimizer.update(&imageHead.parameters[name, default: []], name: "image.\(name)", gradient: gradient, learningRate: rate)
                }
                for (name, gradient) in result.textGradients {
                    optimizer.update(&textHead.parameters[name, default: []], name: "text.\(name)", gradient: gradient, learningRate: rate)
                }
                if case .infoNCE(_, true) = config.loss {
                    var s = [logScale]
                    optimizer.update(&s, name: "log_scale", gradient: [result.logScaleGradient], learningRate: rate)
                    logScale = min(max(s[0], 0), maxLogScale)
                }
                lossSum += Double(result.loss)
                lossCount += 1
                step += 1
                stepInEpoch += 1
                onEvent(.step(epoch: epoch, step: stepInEpoch, stepsPerEpoch: stepsPerEpoch, loss: result.loss))
            }
            let model = JointModel(imageHead: imageHead, textHead: textHead, imageEncoder: imageEncoder,
                                   textEncoder: textEncoder, logScale: logScale)
            let metrics = try model.evaluate(imageFeatures: validation.images, captionFeatures: validation.captions,
                                             captionImage: validation.captionImage, hubness: config.hubness)
            let record = EpochRecord(epoch: epoch, loss: Float(lossSum / Double(max(lossCount, 1))),
                                     learningRate: schedule.rate(at: max(step - 1, 0)), validation: metrics)
            history.append(record)
            let isBest = best.map { metrics.meanRecall > $0.record.validation.meanRecall } ?? true
            if isBest { best = (record, imageHead, textHead, logScale) }
            onEvent(.epoch(record, isBest: isBest))
            if config.patience > 0, let best, epoch - best.record.epoch >= config.patience { break }
        }
        guard let best else { throw JointError.invalidData(reason: "no epoch ran") }
        let model = JointModel(imageHead: best.image, textHead: best.text, imageEncoder: imageEncoder,
                               textEncoder: textEncoder, logScale: best.logScale)
        return TrainingResult(model: model, history: history, bestEpoch: best.record.epoch)
    }

    static func gather(_ t: Tensor, rows: [Int]) -> Tensor {
        let d = t.shape[1]
        var out = [Float](repeating: 0, count: rows.count * d)
        for (r, i) in rows.enumerated() {
            for j in 0..<d { out[r * d + j] = t.data[i * d + j] }
        }
        return Tensor(shape: [rows.count, d], data: out)
    }

    static func gatherViews(_ data: TrainingData, images: [Int], views: [Int]) -> Tensor {
        let d = data.imageDimension
        var out = [Float](repeating: 0, count: images.count * d)
        for (r, i) in images.enumerated() {
            let source = data.imageViews[views[r]]
            for j in 0..<d { out[r * d + j] = source.data[i * d + j] }
        }
        return Tensor(shape: [images.count, d], data: out)
    }
}

/// One batch's forward and backward pass through both heads, normalisation, similarity and loss.
public enum BatchStep {
    public struct Result: Sendable {
        public var loss: Float
        public var imageGradients: [String: [Float]]
        public var textGradients: [String: [Float]]
        public var logScaleGradient: Float
    }

    /// - Parameters:
    ///   - imageInput: `(n, imageDim)` features of the batch's images.
    ///   - textInput: `(n, textDim)` features of the caption sampled for each image.
    public static func run(
        imageHead: ProjectionHead, textHead: ProjectionHead, imageInput: [Float], textInput: [Float],
        mask: NegativeMask, loss: LossKind, logScale: Float, generator: inout SplitMix64?
    ) -> Result {
        let n = mask.count, d = imageHead.configuration.outputDimension
        let (yi, ai) = imageHead.forward(imageInput, count: n, generator: &generator)
        let (yt, at) = textHead.forward(textInput, count: n, generator: &generator)
        let zi = RowNormalization.forward(yi, rows: n, columns: d)
        let zt = RowNormalization.forward(yt, rows: n, columns: d)
        // Zi (n,d) @ Zt (n,d)^T -> S (n,n)
        let s = Matrix.multiplyTransposed(zi.normalized, zt.normalized, m: n, n: n, k: d)
        let l = ContrastiveLoss.evaluate(loss, similarity: s, mask: mask, logScale: logScale)
        // dZi (n,d) = dS (n,n) @ Zt (n,d); dZt (n,d) = dS^T @ Zi
        let dzi = Matrix.multiply(l.similarityGradient, zt.normalized, m: n, n: d, k: n)
        var dzt = [Float](repeating: 0, count: n * d)
        Matrix.multiplyFirstTransposed(l.similarityGradient, zi.normalized, m: n, n: d, k: n, into: &dzt)
        let dyi = RowNormalization.backward(normalized: zi.normalized, norms: zi.norms, gradient: dzi, rows: n, columns: d)
        let dyt = RowNormalization.backward(normalized: zt.normalized, norms: zt.norms, gradient: dzt, rows: n, columns: d)
        return Result(loss: l.loss, imageGradients: imageHead.backward(ai, outputGradient: dyi),
                      textGradients: textHead.backward(at, outputGradient: dyt), logScaleGradient: l.logScaleGradient)
    }
}
