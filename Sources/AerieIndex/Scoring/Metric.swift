/// How the engine compares a query with a stored vector.
///
/// Cosine is a similarity (higher is better, the dot product of L2-normalised vectors); the other
/// three are distances (lower is better). Hamming compares sign-bit codes and needs a binary matrix.
public enum Metric: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case cosine
    case euclidean
    case cityblock
    case hamming

    /// True when a higher score ranks first.
    public var higherIsBetter: Bool { self == .cosine }

    public var description: String { rawValue }
}

/// How a matrix stores its vectors.
public enum VectorType: UInt32, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// IEEE binary32, four bytes per component.
    case float32 = 1
    /// IEEE binary16 (`Float16`), two bytes per component, widened to `Float` in the kernels.
    case float16 = 2
    /// One sign bit per component (1 when the component is positive), packed into `UInt64` words,
    /// least significant bit first; compared with Hamming distance.
    case binary = 3

    /// Bytes one row of `dimension` components takes.
    public func rowBytes(dimension: Int) -> Int {
        switch self {
        case .float32: return dimension * 4
        case .float16: return dimension * 2
        case .binary: return VectorType.binaryWords(dimension: dimension) * 8
        }
    }

    /// `UInt64` words holding `dimension` sign bits.
    public static func binaryWords(dimension: Int) -> Int { (dimension + 63) / 64 }

    public var description: String {
        switch self {
        case .float32: return "fp32"
        case .float16: return "fp16"
        case .binary: return "binary"
        }
    }

    /// Parses `fp32`, `fp16` or `binary`.
    public init?(name: String) {
        guard let match = VectorType.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}

/// One search result: the row's position in the matrix and its score under the metric.
public struct Hit: Sendable, Hashable, Codable {
    /// Row index in the matrix searched.
    public var id: Int
    /// Cosine similarity, or euclidean / cityblock / Hamming distance.
    public var score: Float

    public init(id: Int, score: Float) {
        self.id = id
        self.score = score
    }
}

/// Why the scoring engine refused a request.
public enum ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metric cannot be computed on this storage (Hamming needs binary codes; binary codes
    /// support only Hamming).
    case metricNotSupported(Metric, VectorType)
    /// A query's length differs from the matrix's dimension.
    case dimensionMismatch(query: Int, matrix: Int)

    public var description: String {
        switch self {
        case let .metricNotSupported(metric, type):
            return type == .binary
                ? "metric \(metric) is not available on binary codes (use hamming)"
                : "metric \(metric) needs binary codes, but the vectors are \(type)"
        case let .dimensionMismatch(query, matrix):
            return "query has \(query) components but the vectors have \(matrix)"
        }
    }
}
