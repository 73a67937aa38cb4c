import Foundation

/// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.
///
/// Decay applies to weight matrices only (parameters whose name starts with `w`), not to biases.
public struct AdamW: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    private var step = 0
    private var firstMoment: [String: [Float]] = [:]
    private var secondMoment: [String: [Float]] = [:]

    public init(weightDecay: Float = 1e-4) {
        self.weightDecay = weightDecay
    }

    /// Advances the step count; call once per optimisation step, before the ``update(_:name:gradient:learningRate:)`` calls.
    public mutating func beginStep() { step += 1 }

    /// Updates `values` in place from `gradient` with the given learning rate.
    public mutating func update(_ values: inout [Float], name: String, gradient: [Float], learningRate: Float) {
        precondition(values.count == gradient.count, "AdamW: gradient of \(name) has the wrong size")
        precondition(step > 0, "AdamW: call beginStep() first")
        // Taken out of the dictionaries while updated, so the arrays are not copied.
        var m = firstMoment.removeValue(forKey: name) ?? [Float](repeating: 0, count: values.count)
        var v = secondMoment.removeValue(forKey: name) ?? [Float](repeating: 0, count: values.count)
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        let decay = name.hasPrefix("w") ? 1 - learningRate * weightDecay : 1
        for i in values.indices {
            let g = gradient[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            values[i] = values[i] * decay - learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
        firstMoment[name] = m
        secondMoment[name] = v
    }
}

/// Linear warm-up to the base learning rate, then cosine decay to `floor × base`.
public struct LearningRateSchedule: Sendable, Equatable {
    public var base: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var floor: Float

    public init(base: Float, warmupSteps: Int, totalSteps: Int, floor: Float = 0.01) {
        self.base = base
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.floor = floor
    }

    /// The learning rate of step `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Float(step - warmupSteps) / Float(span))
        let cosine = 0.5 * (1 + cos(Float.pi * progress))
        return base * (floor + (1 - floor) * cosine)
    }
}
