import AerieEvaluation
import AerieIndex
import AerieJoint
import ArgumentParser

/// The similarity post-processings against hubs that `--hubness` names.
enum HubnessName: String, ExpressibleByArgument, CaseIterable { case none, csls, isoftmax }

/// `--hubness`, `--csls-k` and `--beta`, shared by `search`, `neighbors` and `eval`.
struct HubnessOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Similarity post-processing against hubs (items near every query): none, csls (cross-domain "
            + "similarity local scaling) or isoftmax (inverted softmax). Learned from the index's items of the "
            + "other modality; cosine only.",
        valueName: "none|csls|isoftmax"))
    var hubness: HubnessName = .none
    @Option(name: .customLong("csls-k"), help: "Neighbours averaged by CSLS (1 to 1000).")
    var cslsK = 10
    @Option(help: "Inverse temperature β of the inverted softmax (0.001 to 1000).")
    var beta: Double = 20

    var correction: HubnessCorrection {
        switch hubness {
        case .none: .none
        case .csls: .csls(k: cslsK)
        case .isoftmax: .invertedSoftmax(beta: Float(beta))
        }
    }

    /// The title of a corrected score column (nil without a correction).
    var scoreName: String? { hubness == .none ? nil : hubness.rawValue }

    func validate() throws {
        try checkRange("csls-k", cslsK, 1...1000)
        try checkRange("beta", beta, 0.001...1000)
    }

    /// Checks that the correction fits the metric.
    func check(metric: Metric) throws {
        if hubness != .none && metric != .cosine {
            throw ValidationError("--hubness \(hubness.rawValue) corrects cosine similarities; drop --metric \(metric.rawValue)")
        }
    }
}
