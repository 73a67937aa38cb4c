import AerieEvaluation
import AerieCore
import AerieTensor
import Foundation

/// The human-readable record saved beside a head's weights (`card.json`): which encoders it
/// takes, what it was trained on, how, and how well it did on the validation split.
public struct HeadCard: Codable, Sendable, Equatable {
    public var format = "aerie-joint-head-card"
    public var version = 1
    public var imageEncoder: ModelIdentity
    public var textEncoder: ModelIdentity
    public var dimension: Int
    /// The data set trained on (as given to `aerie train`), its splits and their sizes.
    public var dataset: String
    public var trainSplit: String
    public var validationSplit: String
    public var trainImages: Int
    public var validationImages: Int
    /// How an image's features are made outside training: the views whose encoder features are
    /// averaged (e.g. `["center", "hflip"]`). An index built with this head does the same.
    public var imageViews: [String]
    /// The views sampled while training, when they differ from ``imageViews`` (nil: the same).
    public var trainingViews: [String]?
    /// The reference queries shipped beside the weights (``QueryBank``), nil without a bank.
    public var queryBank: QueryBank.Record?
    public var configuration: TrainingConfiguration
    public var selectedEpoch: Int
    /// Validation metrics of the selected epoch (with ``TrainingConfiguration/hubness``).
    public var validation: RetrievalMetrics
    /// Validation metrics of the selected epoch under each similarity post-processing.
    public var validationByHubness: [String: RetrievalMetrics]
    public var history: [EpochRecord]
    /// The exact command that trained the head.
    public var command: String
    /// How the weights are stored: `f32` or `f16` (the validation figures are those of the stored
    /// weights); `nil` in cards written before it was recorded (those heads are `f32`).
    public var weightsPrecision: String?
    /// For an ensemble head: each member's seed, selected epoch and validation metrics (its
    /// `history` is the first member's; `validation` is the ensemble's).
    public var ensembleMembers: [MemberRecord]?

    public struct MemberRecord: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var selectedEpoch: Int
        public var validation: RetrievalMetrics

        public init(seed: UInt64, selectedEpoch: Int, validation: RetrievalMetrics) {
            self.seed = seed
            self.selectedEpoch = selectedEpoch
            self.validation = validation
        }
    }

    public init(imageEncoder: ModelIdentity, textEncoder: ModelIdentity, dimension: Int, dataset: String,
                trainSplit: String, validationSplit: String, trainImages: Int, validationImages: Int,
                imageViews: [String], configuration: TrainingConfiguration, selectedEpoch: Int,
                validation: RetrievalMetrics, validationByHubness: [String: RetrievalMetrics],
                history: [EpochRecord], command: String) {
        self.imageEncoder = imageEncoder
        self.textEncoder = textEncoder
        self.dimension = dimension
        self.dataset = dataset
        self.trainSplit = trainSplit
        self.validationSplit = validationSplit
        self.trainImages = trainImages
        self.validationImages = validationImages
        self.imageViews = imageViews
        self.configuration = configuration
        self.selectedEpoch = selectedEpoch
        self.validation = validation
        self.validationByHubness = validationByHubness
        self.history = history
        self.command = command
    }
}

extension HeadCard {
    /// Writes `card.json` into a head directory (sorted keys, pretty-printed, replaced atomically).
    public func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent(JointModel.cardFileName), options: .atomic)
    }
}

extension JointModel {
    /// The weights file's name inside a head directory.
    public static let weightsFileName = "head.safetensors"
    /// The card's name inside a head directory.
    public static let cardFileName = "card.json"
    static let formatName = "aerie-joint-head"
    static let formatVersion = 1

    /// What the weights file's metadata records so that it is self-sufficient.
    private struct Header: Codable {
        var imageEncoder: ModelIdentity
        var textEncoder: ModelIdentity
        var imageHead: HeadConfiguration
        var textHead: HeadConfiguration
        /// Ensemble members (absent: 1); members after the first are stored as `member<k>.image.*`
        /// and `member<k>.text.*`.
        var members: Int?
    }

    /// Writes `head.safetensors` (and `card.json` when given) into `directory`, creating it.
    ///
    /// Weights are float32 safetensors whose metadata holds a format name and version and the
    /// head configurations and encoders.
    ///
    /// - Parameter halfPrecision: store the weights as float16 (half the size; the model that
    ///   loads back is ``roundedToHalfPrecision()``).
    public func save(to directory: URL, card: HeadCard? = nil, halfPrecision: Bool = false) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = ["log_scale": Tensor(shape: [1], data: [logScale])]
        var heads = [("image", imageHead), ("text", textHead)]
        for (k, member) in extraMembers.enumerated() {
            heads += [("member\(k + 1).image", member.imageHead), ("member\(k + 1).text", member.textHead)]
        }
        for (prefix, head) in heads {
            let d = head.configuration.inputDimension
            tensors["\(prefix).input_mean"] = Tensor(shape: [d], data: head.inputMean)
            tensors["\(prefix).input_scale"] = Tensor(shape: [d], data: head.inputScale)
            for (name, shape) in head.configuration.parameterShapes {
                tensors["\(prefix).\(name)"] = Tensor(shape: shape, data: head.parameters[name] ?? [])
            }
        }
        let header = Header(imageEncoder: imageModelIdentity, textEncoder: textModelIdentity,
                            imageHead: imageHead.configuration, textHead: textHead.configuration,
                            members: extraMembers.isEmpty ? nil : memberCount)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // byte-identical files for identical heads
        let headerJSON = String(decoding: try encoder.encode(header), as: UTF8.self)
        try SafeTensorsWriter.write(
            tensors: tensors,
            metadata: ["format": Self.formatName, "version": String(Self.formatVersion), "head": headerJSON],
            dtype: halfPrecision ? .f16 : .f32,
            to: directory.appendingPathComponent(Self.weightsFileName))
        try card?.write(to: directory)
    }

    /// This model with every stored value rounded to float16, as a half-precision file loads.
    public func roundedToHalfPrecision() -> JointModel {
        func round(_ values: [Float]) -> [Float] { values.map { Float(Float16($0)) } }
        var copy = self
        func rounded(_ head: ProjectionHead) -> ProjectionHead {
            var head = head
            head.inputMean = round(head.inputMean)
            head.inputScale = round(head.inputScale)
            head.parameters = head.parameters.mapValues(round)
            return head
        }
        copy.imageHead = rounded(imageHead)
        copy.textHead = rounded(textHead)
        copy.extraMembers = extraMembers.map { Member(imageHead: rounded($0.imageHead), textHead: rounded($0.textHead)) }
        copy.logScale = Float(Float16(logScale))
        return copy
    }

    /// Reads a head directory written by ``save(to:card:halfPrecision:)``.
    ///
    /// - Throws: ``JointError/badFile(path:reason:)`` for a file of another format or version,
    ///   `SafeTensorsError` for a damaged file, ``JointError/parameterShape(name:expected:actual:)``.
    public static func load(from directory: URL) throws -> JointModel {
        let url = directory.appendingPathComponent(weightsFileName)
        let file = try SafeTensorsFile(contentsOf: url)
        guard file.metadata["format"] == formatName else {
            throw JointError.badFile(path: url.path, reason: "not an Aerie joint head (format \(file.metadata["format"] ?? "missing"))")
        }
        guard file.metadata["version"] == String(formatVersion) else {
            throw JointError.badFile(path: url.path, reason: "head format version \(file.metadata["version"] ?? "missing") is not supported (expected \(formatVersion))")
        }
        guard let headerJSON = file.metadata["head"],
              let header = try? JSONDecoder().decode(Header.self, from: Data(headerJSON.utf8)) else {
            throw JointError.badFile(path: url.path, reason: "head description is missing or malformed")
        }
        func head(_ prefix: String, _ configuration: HeadConfiguration) throws -> ProjectionHead {
            let d = configuration.inputDimension
            var parameters: [String: [Float]] = [:]
            for (name, shape) in configuration.parameterShapes {
                parameters[name] = try file.tensor("\(prefix).\(name)", shape: shape).data
            }
            return try ProjectionHead(
                configuration: configuration, inputMean: try file.tensor("\(prefix).input_mean", shape: [d]).data,
                inputScale: try file.tensor("\(prefix).input_scale", shape: [d]).data, parameters: parameters)
        }
        let image = try head("image", header.imageHead), text = try head("text", header.textHead)
        guard header.imageHead.outputDimension == header.textHead.outputDimension,
              header.imageHead.inputDimension == header.imageEncoder.dimension,
              header.textHead.inputDimension == header.textEncoder.dimension else {
            throw JointError.badFile(path: url.path, reason: "head dimensions do not agree with each other or their encoders")
        }
        let members = header.members ?? 1
        guard (1...64).contains(members) else {
            throw JointError.badFile(path: url.path, reason: "an ensemble of \(members) members is not plausible")
        }
        let logScale = try file.tensor("log_scale", shape: [1]).data[0]
        var model = JointModel(imageHead: image, textHead: text, imageEncoder: header.imageEncoder,
                               textEncoder: header.textEncoder, logScale: logScale)
        for k in 1..<members {
            model.extraMembers.append(Member(imageHead: try head("member\(k).image", header.imageHead),
                                             textHead: try head("member\(k).text", header.textHead)))
        }
        return model
    }

    /// Reads a head and refuses it unless it was trained on exactly these encoders.
    public static func load(from directory: URL, imageEncoder: ModelIdentity, textEncoder: ModelIdentity) throws -> JointModel {
        let model = try load(from: directory)
        try model.checkEncoders(image: imageEncoder, text: textEncoder)
        return model
    }

    /// Reads the card beside a head's weights.
    public static func loadCard(from directory: URL) throws -> HeadCard {
        let url = directory.appendingPathComponent(cardFileName)
        do {
            return try JSONDecoder().decode(HeadCard.self, from: Data(contentsOf: url))
        } catch {
            throw JointError.badFile(path: url.path, reason: "unreadable head card: \(error)")
        }
    }
}
