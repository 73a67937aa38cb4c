import AerieEvaluation
import AerieCore
import AerieDatasets
import AerieRetrieval
import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie train DATASET`: learns the joint image-text space on frozen encoder features.
struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the joint image-text space (projection heads on frozen encoders).",
        discussion: """
            Learns an image head and a text head into one L2-normalised space where a caption and \
            its image are close. The train split learns, the val split selects the epoch (best \
            mean recall, mR). Encoder features are computed once and cached (--cache), so later \
            runs take seconds per epoch. Writes the head (head.safetensors) and its card \
            (card.json: encoders and their hashes, data, hyper-parameters, val table) to --out.
            """
    )

    /// Image encoders whose features are concatenated, written `a+b`: registry names
    /// (`efficientnet-lite0`, `efficientnet-lite2-multilevel`, `geoembed`, …) or the short forms
    /// `lite0`, `lite2`, `lite0-multilevel`, `lite2-multilevel`.
    static func encoderNames(_ backbone: String) throws -> [String] {
        let known = ModelRegistry.imageEncoderNames
        let names = ModelIdentity.componentNames(backbone).map { name in
            name.hasPrefix("lite") ? "efficientnet-" + name : name
        }
        guard !names.isEmpty, names.allSatisfy(known.contains), Set(names).count == names.count else {
            throw ValidationError("--backbone takes distinct image encoders joined by +, among: \(known.joined(separator: ", "))")
        }
        return names
    }

    enum LossName: String, ExpressibleByArgument, CaseIterable { case triplet, hardest, infonce }

    @Argument(help: "A caption JSON with train and val splits (or a folder holding one).")
    var dataset: String

    @Option(name: .customLong("images"), help: "The image root of a caption JSON (default: imgs/ or images/ beside it).")
    var images: String?

    @Option(help: ArgumentHelp(
        "Image encoders, features concatenated: names joined by + among "
            + ModelRegistry.entries.filter { $0.input == .image }.map(\.name).joined(separator: ", ")
            + " (lite0 is short for efficientnet-lite0), e.g. lite0-multilevel+lite2-multilevel.",
        valueName: "a[+b…]"))
    var backbone = "efficientnet-lite0"

    @Option(help: "Head: linear or mlp.")
    var head: HeadKind = .mlp

    @Option(help: "Joint space dimension.")
    var dim = 512

    @Option(help: "Hidden width of mlp heads.")
    var hidden = 1024

    @Option(help: "Hidden activation of mlp heads: relu or gelu.")
    var activation: HeadActivation = .gelu

    @Flag(help: "Add a linear skip path to mlp heads.")
    var residual = false

    @Option(help: "Dropout on the hidden layer of mlp heads while training.")
    var dropout: Float = 0

    @Option(help: "Dropout on the image head's standardised input features while training (the regulariser that helps most on frozen features).")
    var imageInputDropout: Float = 0

    @Option(help: "Dropout on the text head's standardised input features while training.")
    var textInputDropout: Float = 0

    @Option(help: "Loss: triplet (sum over in-batch negatives), hardest (VSE++), infonce.")
    var loss: LossName = .infonce

    @Option(help: "Margin of the triplet losses.")
    var margin: Float = 0.2

    @Option(help: "InfoNCE temperature (initial value with --learn-temperature).")
    var temperature: Float = 0.05

    @Flag(help: "Learn the InfoNCE temperature.")
    var learnTemperature = false

    @Option(help: "Epochs.")
    var epochs = 30

    @Option(help: "Images per batch.")
    var batch = 128

    @Option(help: "Peak learning rate (AdamW).")
    var lr: Float = 1e-3

    @Option(help: "AdamW weight decay.")
    var weightDecay: Float = 1e-4

    @Option(help: "Warm-up epochs before the cosine decay.")
    var warmup: Float = 1

    @Option(help: "Random seed (initialisation, batches, sampled captions, dropout).")
    var seed: UInt64 = 1

    @Flag(help: "Mask in-batch negatives of the same scene class.")
    var maskSameClass = false

    @Option(help: "Stop after this many epochs without a better val mR (0: never).")
    var patience = 0

    @Option(help: "Similarity post-processing used to select the epoch: none, csls, isoftmax.")
    var hubness: HubnessName = .none

    @Option(help: "Image views whose features are averaged (and sampled while training), comma-separated among center, hflip, vflip, rot90, rot180, rot270, transpose, antitranspose, or `all` for the eight.")
    var views = "center"

    @Option(name: .customLong("eval-views"), help: ArgumentHelp(
        "Views whose mean features stand for an image outside training (validation, and what `aerie index` computes, "
            + "one encoding pass per view), comma-separated among --views (default: all of --views).",
        valueName: "views"))
    var evalViews: String?

    @Option(help: "Reference queries saved with the head (joint vectors of distinct training captions), so --hubness works on indexes without captions (0: none).")
    var queryBank = QueryBankMaker.defaultCount

    @Option(help: "Train this many heads with seeds --seed, --seed+1, …, each selected on val, and save them as one ensemble head (its joint vector is the members' side by side: cosine = their mean cosine).")
    var ensemble = 1

    @Option(help: "Train on this many images of the train split, spread over it (0: all).")
    var trainSubset = 0

    @Option(help: "Split that learns.")
    var trainSplit = "train"

    @Option(help: "Split that selects.")
    var valSplit = "val"

    enum Precision: String, ExpressibleByArgument, CaseIterable { case f16, f32 }

    @Option(help: "Storage of the head's weights: f16 (half the size) or f32.")
    var precision: Precision = .f16

    @Option(help: "Where the head and its card are written.")
    var out: String?

    @Option(help: "Feature cache folder (default: $XDG_CACHE_HOME/aerie/features).")
    var cache: String?

    @Option(help: "Model folder (default: $AERIE_MODELS or the user cache).")
    var models: String?

    @Option(help: "BLAS threads (results are deterministic for a given seed and thread count).")
    var threads = 1

    func run() async throws {
        do {
            try train()
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("aerie: " + TerminalText.sanitize(String(describing: error)))
            throw ExitCode(1)
        }
    }

    /// Every numeric option is checked here, at parse time, against the ranges the trainer keeps
    /// (``TrainingConfiguration/allowedRange(_:)``): nothing traps, and no bad value trains a
    /// whole run before failing.
    func validate() throws {
        guard (1...64).contains(ensemble) else { throw ValidationError("--ensemble \(ensemble) is out of range: it takes 1 to 64 members") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads \(threads) is out of range: use 1 to 256") }
        guard trainSubset >= 0 else { throw ValidationError("--train-subset \(trainSubset) is out of range: use 0 (all) or a positive count") }
        guard seed <= UInt64.max - 64 else { throw ValidationError("--seed \(seed) is out of range: use at most \(UInt64.max - 64)") }
        // Both the margin and the temperature are checked, whichever loss uses them.
        var configuration = trainingConfiguration()
        for loss in [LossKind.triplet(margin: margin), .infoNCE(temperature: temperature, learnable: learnTemperature), configuration.loss] {
            configuration.loss = loss
            if let bad = configuration.violation() {
                throw ValidationError("\(Self.optionName(bad.parameter)) \(bad.value) is out of range: it must be \(TrainingConfiguration.allowedRange(bad.parameter))")
            }
        }
    }

    /// The option that sets a training configuration value.
    static func optionName(_ parameter: TrainingConfiguration.Parameter) -> String {
        switch parameter {
        case .dimension: "--dim"
        case .hiddenDimension: "--hidden"
        case .weightsPerLayer: "--dim × --hidden"
        case .dropout: "--dropout"
        case .imageInputDropout: "--image-input-dropout"
        case .textInputDropout: "--text-input-dropout"
        case .margin: "--margin"
        case .temperature: "--temperature"
        case .epochs: "--epochs"
        case .batchSize: "--batch"
        case .learningRate: "--lr"
        case .weightDecay: "--weight-decay"
        case .warmupEpochs: "--warmup"
        case .patience: "--patience"
        }
    }

    private func train() throws {
        BLAS.setThreads(threads)
        let viewNames = try parseViews()
        let evaluationViewNames = try parseEvaluationViews(viewNames)
        let datasetURL = URL(fileURLWithPath: dataset)
        let request = TrainingSet.Request(
            dataset: datasetURL, imageRoot: images.map { URL(fileURLWithPath: $0) }, backbones: try Self.encoderNames(backbone),
            views: viewNames.compactMap { ImageView(rawValue: $0) }, trainSplit: trainSplit, validationSplit: valSplit,
            trainSubset: trainSubset, models: models,
            featureCache: cache.map { URL(fileURLWithPath: $0) } ?? DefaultLocations.featureCache(), maskSameClass: maskSameClass)
        let plan: TrainingSet.Plan
        do {
            plan = try TrainingSet.plan(request)
        } catch let failure as TrainingSet.Failure {
            throw ValidationError(failure.description)
        }
        printError("data: \(plan.trainEntries.count) of \(plan.trainSplitSize) \(trainSplit) + \(plan.validationEntries.count) \(valSplit) images, "
                   + "\(plan.entries.reduce(0) { $0 + $1.sentences.count }) captions (\(plan.missingCount) missing images skipped)")
        var bar: ProgressBar?
        let set: TrainingSet
        do {
            set = try TrainingSet.assemble(plan, request) { progress in
                if bar?.title != progress.title { bar = ProgressBar(title: progress.title, total: progress.total) }
                if progress.finished { bar?.finish(progress.total); bar = nil } else { bar?.update(progress.done) }
            }
        } catch let failure as TrainingSet.Failure {
            throw ValidationError(failure.description)
        }
        var data = set.data
        let imageReference = set.imageEncoder, textReference = set.textEncoder
        data.evaluationViews = evaluationViewNames.compactMap { viewNames.firstIndex(of: $0) }
        let trainEntries = plan.trainEntries, valEntries = plan.validationEntries

        let config = trainingConfiguration()
        printError("training: \(imageReference.name) (\(imageReference.dimension)-d, views \(viewNames.joined(separator: "+")), "
                   + "evaluated on \(evaluationViewNames.joined(separator: "+"))) "
                   + "and \(textReference.name) (\(textReference.dimension)-d) → \(dim)-d, \(head.rawValue) heads, loss \(config.loss.name)"
                   + (ensemble > 1 ? ", an ensemble of \(ensemble) (seeds \(seed)…\(seed + UInt64(ensemble) - 1))" : ""))
        var results: [TrainingResult] = []
        for member in 0..<ensemble {
            var memberConfig = config
            memberConfig.seed = seed + UInt64(member)
            if ensemble > 1 { try printLine("member \(member + 1) of \(ensemble), seed \(memberConfig.seed)") }
            try printLine(EpochTable.header)
            var bar = ProgressBar(title: "epoch 1", total: 1)
            // The trainer's callback cannot throw: keep the first failed row, report it after.
            var rowFailure: (any Error)?
            results.append(try Trainer.train(data: data, configuration: memberConfig, imageEncoder: imageReference,
                                             textEncoder: textReference) { event in
                switch event {
                case let .step(epoch, step, stepsPerEpoch, loss):
                    if step == 1 { bar = ProgressBar(title: "epoch \(epoch)", total: stepsPerEpoch) }
                    bar.update(step, note: String(format: "loss %.4f", loss))
                case let .epoch(record, isBest):
                    bar.finish(bar.total, note: String(format: "loss %.4f", record.loss))
                    do { try printLine(EpochTable.row(record, isBest: isBest)) } catch { rowFailure = rowFailure ?? error }
                }
            })
            if let rowFailure { throw rowFailure }
        }
        guard let result = results.first, let best = result.best else { throw ValidationError("training produced no epoch") }
        let model = try JointModel.ensemble(results.map(\.model))
        let outURL = out.map { URL(fileURLWithPath: $0) } ?? DefaultLocations.currentHead()
        let half = precision == .f16
        try model.save(to: outURL, halfPrecision: half)

        // The card's figures are those of the head as saved (reloaded from disk), under each
        // similarity post-processing.
        let saved = try JointModel.load(from: outURL, imageEncoder: imageReference, textEncoder: textReference)
        let validationCaptions = data.validationImages.flatMap { data.captionsOfImage[$0] }
        let valCaptionFeatures = data.captionFeatures.rows(validationCaptions)
        let valCaptionImage = validationCaptions.map { data.captionImage[$0] - trainEntries.count }
        let valImageFeatures = data.meanImageFeatures(data.validationImages)
        var byHubness: [String: RetrievalMetrics] = [:]
        try printLine("")
        for (member, memberResult) in results.enumerated() {
            guard let memberBest = memberResult.best else { continue }
            try printLine((ensemble > 1 ? "member \(member + 1): " : "") + "selected epoch \(memberResult.bestEpoch): "
                      + EpochTable.describe(memberBest.validation))
        }
        for correction in Self.hubnessCorrections + (Self.hubnessCorrections.contains(config.hubness) ? [] : [config.hubness]) {
            let m = try saved.evaluate(imageFeatures: valImageFeatures, captionFeatures: valCaptionFeatures,
                                       captionImage: valCaptionImage, hubness: correction)
            byHubness[correction.name] = m
            try printLine("  as saved (\(precision.rawValue)), \(correction.name): " + EpochTable.describe(m))
        }
        var card = HeadCard(
            imageEncoder: imageReference, textEncoder: textReference, dimension: model.dimension,
            dataset: set.datasetName, trainSplit: trainSplit, validationSplit: valSplit,
            trainImages: trainEntries.count, validationImages: valEntries.count, imageViews: evaluationViewNames,
            configuration: config, selectedEpoch: result.bestEpoch,
            validation: byHubness[config.hubness.name] ?? best.validation,
            validationByHubness: byHubness, history: result.history,
            command: (["aerie"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        card.weightsPrecision = precision.rawValue
        if evaluationViewNames != viewNames { card.trainingViews = viewNames }
        if ensemble > 1 {
            card.ensembleMembers = results.enumerated().compactMap { k, r in
                r.best.map { HeadCard.MemberRecord(seed: seed + UInt64(k), selectedEpoch: r.bestEpoch, validation: $0.validation) }
            }
        }
        try model.save(to: outURL, card: card, halfPrecision: half)
        if queryBank > 0 {
            let made = try QueryBankMaker.make(trained: saved, set: set, plan: plan, split: trainSplit, count: queryBank)
            try QueryBankMaker.attach(made.bank, to: outURL, source: made.source)
            printError("query bank: \(made.source) (\(QueryBank.fileName))")
        }
        printError("head written to \(TerminalText.sanitize(outURL.path))")
    }

    /// Corrections measured on the selected epoch and recorded in the card.
    static let hubnessCorrections: [HubnessCorrection] = [.none, .csls(k: 10), .invertedSoftmax(beta: 20)]

    private func trainingConfiguration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.head = head
        c.dimension = dim
        c.hiddenDimension = hidden
        c.activation = activation
        c.residual = residual
        c.dropout = dropout
        // 0 is "none"; anything else (negative and NaN included) is kept, for validation to see.
        c.imageInputDropout = imageInputDropout != 0 ? imageInputDropout : nil
        c.textInputDropout = textInputDropout != 0 ? textInputDropout : nil
        switch loss {
        case .triplet: c.loss = .triplet(margin: margin)
        case .hardest: c.loss = .hardest(margin: margin)
        case .infonce: c.loss = .infoNCE(temperature: temperature, learnable: learnTemperature)
        }
        c.epochs = epochs
        c.batchSize = batch
        c.learningRate = lr
        c.weightDecay = weightDecay
        c.warmupEpochs = warmup
        c.seed = seed
        c.maskSameClass = maskSameClass
        c.patience = patience
        switch hubness {
        case .none: c.hubness = .none
        case .csls: c.hubness = .csls(k: 10)
        case .isoftmax: c.hubness = .invertedSoftmax(beta: 20)
        }
        return c
    }

    /// `--eval-views`: a subset of the training views, all of them by default.
    private func parseEvaluationViews(_ trainingViews: [String]) throws -> [String] {
        guard let evalViews else { return trainingViews }
        let names = evalViews.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.allSatisfy(trainingViews.contains), Set(names).count == names.count else {
            throw ValidationError("--eval-views takes distinct views among --views (\(trainingViews.joined(separator: ",")))")
        }
        return names
    }

    private func parseViews() throws -> [String] {
        if views == "all" { return ImageView.allCases.map(\.rawValue) }
        let names = views.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.allSatisfy({ ImageView(rawValue: $0) != nil }), Set(names).count == names.count else {
            throw ValidationError("--views takes distinct names among \(ImageView.allCases.map(\.rawValue).joined(separator: ", ")), or all")
        }
        return names
    }






}

/// The per-epoch table `aerie train` prints.
enum EpochTable {
    static let header = "epoch   loss     lr       | i2t R@1  R@5   R@10 | t2i R@1  R@5   R@10 |   mR"

    static func row(_ r: EpochRecord, isBest: Bool) -> String {
        let m = r.validation
        return String(format: "%5d  %7.4f  %.1e | %6.2f %6.2f %6.2f | %6.2f %6.2f %6.2f | %6.2f%@",
                      r.epoch, r.loss, r.learningRate, m.imageToText[0], m.imageToText[1], m.imageToText[2],
                      m.textToImage[0], m.textToImage[1], m.textToImage[2], m.meanRecall, isBest ? " *" : "")
    }

    static func describe(_ m: RetrievalMetrics) -> String {
        String(format: "i2t R@1/5/10 %.2f/%.2f/%.2f  t2i R@1/5/10 %.2f/%.2f/%.2f  mR %.2f",
               m.imageToText[0], m.imageToText[1], m.imageToText[2],
               m.textToImage[0], m.textToImage[1], m.textToImage[2], m.meanRecall)
    }
}

extension HeadKind: ExpressibleByArgument {}
extension HeadActivation: ExpressibleByArgument {}
