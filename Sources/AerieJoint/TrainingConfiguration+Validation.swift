/// The ranges a ``TrainingConfiguration`` must keep: checked by ``Trainer/train(data:configuration:imageEncoder:textEncoder:onEvent:)``
/// before anything is allocated, and by `aerie train` when it parses its options, so that a bad
/// value is refused at once rather than trapping, aborting, or training a whole run to NaN.
extension TrainingConfiguration {
    /// A configuration value, as the error names it.
    public enum Parameter: String, Sendable, CaseIterable {
        case dimension, hiddenDimension, weightsPerLayer, dropout, imageInputDropout, textInputDropout
        case margin, temperature, epochs, batchSize, learningRate, weightDecay, warmupEpochs, patience
    }

    /// Limits of the sizes. The weights of one layer (`dimension × hiddenDimension`, or input ×
    /// hidden) take 16 bytes each while training (value, gradient, two AdamW moments): at most
    /// 2²⁷ weights is 2 GiB per layer.
    public static let maximumDimension = 16_384
    public static let maximumHiddenDimension = 65_536
    public static let maximumWeightsPerLayer = 1 << 27
    public static let maximumEpochs = 100_000
    public static let maximumBatchSize = 65_536

    /// The allowed range of `parameter`, as the error states it.
    public static func allowedRange(_ parameter: Parameter) -> String {
        switch parameter {
        case .dimension: "1 to \(maximumDimension)"
        case .hiddenDimension: "1 to \(maximumHiddenDimension)"
        case .weightsPerLayer: "at most \(maximumWeightsPerLayer) (2 GiB of training state per layer)"
        case .dropout, .imageInputDropout, .textInputDropout: "[0, 1)"
        case .margin: "a finite number in [0, 10]"
        case .temperature: "a finite number in (0, 10]"
        case .epochs: "1 to \(maximumEpochs)"
        case .batchSize: "2 to \(maximumBatchSize)"
        case .learningRate: "a finite number in (0, 10]"
        case .weightDecay: "a finite number in [0, 10]"
        case .warmupEpochs: "a finite number in [0, \(maximumEpochs)]"
        case .patience: "0 to \(maximumEpochs)"
        }
    }

    /// The first value out of range, or nil when every value is in range.
    public func violation() -> (parameter: Parameter, value: String)? {
        func inside(_ value: Float, _ range: ClosedRange<Float>, open lower: Bool = false) -> Bool {
            value.isFinite && range.contains(value) && !(lower && value == range.lowerBound)
        }
        if !(1...Self.maximumDimension).contains(dimension) { return (.dimension, "\(dimension)") }
        if !(1...Self.maximumHiddenDimension).contains(hiddenDimension) { return (.hiddenDimension, "\(hiddenDimension)") }
        let (weights, overflow) = dimension.multipliedReportingOverflow(by: head == .mlp ? hiddenDimension : 1)
        if overflow || weights > Self.maximumWeightsPerLayer { return (.weightsPerLayer, "\(dimension) × \(hiddenDimension)") }
        if !(dropout.isFinite && dropout >= 0 && dropout < 1) { return (.dropout, "\(dropout)") }
        for (parameter, value) in [(Parameter.imageInputDropout, imageInputDropout), (.textInputDropout, textInputDropout)] {
            if let value, !(value.isFinite && value >= 0 && value < 1) { return (parameter, "\(value)") }
        }
        switch loss {
        case let .triplet(margin), let .hardest(margin):
            if !inside(margin, 0...10) { return (.margin, "\(margin)") }
        case let .infoNCE(temperature, _):
            if !inside(temperature, 0...10, open: true) { return (.temperature, "\(temperature)") }
        }
        if !(1...Self.maximumEpochs).contains(epochs) { return (.epochs, "\(epochs)") }
        if !(2...Self.maximumBatchSize).contains(batchSize) { return (.batchSize, "\(batchSize)") }
        if !inside(learningRate, 0...10, open: true) { return (.learningRate, "\(learningRate)") }
        if !inside(weightDecay, 0...10) { return (.weightDecay, "\(weightDecay)") }
        if !inside(warmupEpochs, 0...Float(Self.maximumEpochs)) { return (.warmupEpochs, "\(warmupEpochs)") }
        if !(0...Self.maximumEpochs).contains(patience) { return (.patience, "\(patience)") }
        return nil
    }

    /// Checks every value against its range.
    /// - Throws: ``JointError/invalidConfiguration(parameter:value:allowed:)`` for the first value out of range.
    public func validate() throws {
        if let bad = violation() {
            throw JointError.invalidConfiguration(parameter: bad.parameter.rawValue, value: bad.value, allowed: Self.allowedRange(bad.parameter))
        }
    }
}
