/// Errors of the joint space: heads that do not fit their encoders or their files, bad training data.
public enum JointError: Error, Equatable, CustomStringConvertible {
    /// A head was asked to project features of encoders other than those it was trained on.
    case encoderMismatch(side: String, expectedName: String, expectedSHA256: String, actualName: String, actualSHA256: String)
    /// Features of the wrong width.
    case featureDimension(side: String, expected: Int, actual: Int)
    case missingParameter(name: String)
    case parameterShape(name: String, expected: [Int], actual: [Int])
    /// A head or feature-cache file that is not one, or of an unknown version.
    case badFile(path: String, reason: String)
    /// Training data that cannot be trained on.
    case invalidData(reason: String)
    /// A training configuration value out of its range (NaN, infinite, negative, too large).
    case invalidConfiguration(parameter: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case let .encoderMismatch(side, expectedName, expectedSHA, actualName, actualSHA):
            "the head's \(side) encoder is \(expectedName) (weights \(expectedSHA.prefix(12))), but the features come from \(actualName) (weights \(actualSHA.prefix(12))): train a head for these encoders with `aerie train`"
        case let .featureDimension(side, expected, actual):
            "\(side) features have \(actual) values per row, the head takes \(expected)"
        case let .missingParameter(name): "head parameter \(name) is missing"
        case let .parameterShape(name, expected, actual): "head parameter \(name) has shape \(actual), expected \(expected)"
        case let .badFile(path, reason): "\(path): \(reason)"
        case let .invalidData(reason): "cannot train: \(reason)"
        case let .invalidConfiguration(parameter, value, allowed): "cannot train: \(parameter) is \(value), it must be \(allowed)"
        }
    }
}
