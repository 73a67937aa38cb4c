import AerieCore
/// A search query as a weighted sum of text and image terms, in the style of rclip:
/// `"2:parking lot" + ./img.jpg - "cars"`.
///
/// Grammar (over the shell's arguments, or within one argument split at ` + ` and ` - `):
/// ```
/// query  := term (op term)*
/// op     := "+" | "-"
/// term   := [weight ":"] (image path | text)
/// ```
/// Consecutive words that are not operators form one text term (`aerie search parking lot`).
/// A term is an image when the caller's `isImage` predicate says so (the CLI checks the file
/// system); otherwise it is text, unless it looks like a path (``looksLikePath(_:)``): then the
/// file it names is missing, and that is an error rather than a text search for the path. The
/// weight is a decimal number; a `-` operator negates it.
public struct QueryExpression: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case text, image }

    public struct Term: Sendable, Equatable {
        public var kind: Kind
        /// The caption text, or the image path as written.
        public var value: String
        /// Signed weight.
        public var weight: Float
    }

    public var terms: [Term]

    /// Why a query could not be parsed or combined.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case danglingOperator(String)
        case emptyTerm(position: Int)
        /// A term that looks like a path (``looksLikePath(_:)``) names no image file.
        case noSuchImage(String)
        /// The weighted terms sum to (almost) nothing: `cars - cars`.
        case termsCancelOut

        public var description: String {
            switch self {
            case .empty: return "the query is empty"
            case let .danglingOperator(op): return "operator \(op) has no term after it"
            case let .emptyTerm(position): return "term \(position + 1) of the query is empty"
            case let .noSuchImage(path): return "no image file at \(path) (a query term that looks like a path must name an image file)"
            case .termsCancelOut: return "the query's terms cancel out: there is nothing left to search for"
            }
        }
    }

    /// The image file extensions that make a term look like a path.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "tif", "tiff"]

    /// True when a term is written as a path: it starts with `./`, `../`, `/` or `~`, or ends
    /// with an image extension (`.jpg`, `.jpeg`, `.png`, `.tif`, `.tiff`, any case).
    public static func looksLikePath(_ term: String) -> Bool {
        if ["./", "../", "/", "~"].contains(where: { term.hasPrefix($0) }) { return true }
        guard let dot = term.lastIndex(of: "."), !term[term.index(after: dot)...].contains(" ") else { return false }
        return imageExtensions.contains(term[term.index(after: dot)...].lowercased())
    }

    /// Parses shell arguments into terms.
    /// - Parameter isImage: whether a term (weight removed) names an image file.
    public static func parse(_ arguments: [String], isImage: (String) -> Bool) throws -> QueryExpression {
        // Split every argument into operator and word tokens.
        var tokens: [String] = []
        for argument in arguments {
            if argument == "+" || argument == "-" { tokens.append(argument); continue }
            var rest = Substring(argument)
            while let range = rest.range(of: " + ") ?? rest.range(of: " - ") {
                // Take whichever operator comes first.
                let plus = rest.range(of: " + "), minus = rest.range(of: " - ")
                let first = [plus, minus].compactMap { $0 }.min { $0.lowerBound < $1.lowerBound } ?? range
                tokens.append(String(rest[..<first.lowerBound]))
                tokens.append(String(rest[first].trimmingCharactersIn(" ")))
                rest = rest[first.upperBound...]
            }
            tokens.append(String(rest))
        }
        var terms: [Term] = []
        var sign: Float = 1
        var words: [String] = []
        var pendingOperator: String?
        func flush() throws {
            guard !words.isEmpty else { return }
            let raw = unquote(words.joined(separator: " ").trimmingCharactersIn(" "))
            words = []
            var weight: Float = 1
            var body = raw
            if let colon = raw.firstIndex(of: ":"), let w = Float(raw[..<colon]), w.isFinite {
                weight = w
                body = String(raw[raw.index(after: colon)...]).trimmingCharactersIn(" ")
                body = unquote(body)
            }
            guard !body.isEmpty else { throw ParseError.emptyTerm(position: terms.count) }
            let image = isImage(body)
            if !image && looksLikePath(body) { throw ParseError.noSuchImage(body) }
            terms.append(Term(kind: image ? .image : .text, value: body, weight: sign * weight))
            pendingOperator = nil
        }
        for token in tokens {
            if token == "+" || token == "-" {
                try flush()
                if terms.isEmpty && token == "+" { throw ParseError.danglingOperator(token) }
                sign = token == "-" ? -1 : 1
                pendingOperator = token
            } else if !token.trimmingCharactersIn(" ").isEmpty {
                words.append(token)
            }
        }
        try flush()
        if let pendingOperator { throw ParseError.danglingOperator(pendingOperator) }
        guard !terms.isEmpty else { throw ParseError.empty }
        return QueryExpression(terms: terms)
    }

    private static func unquote(_ text: String) -> String {
        for quote: Character in ["\"", "'"] where text.count >= 2 && text.first == quote && text.last == quote {
            return String(text.dropFirst().dropLast())
        }
        return text
    }

    /// The length of a sum of unit term vectors below which the terms are taken to cancel out:
    /// what is left is rounding, and ranking by it would be ranking by noise.
    public static let cancellationTolerance: Float = 1e-4

    /// `Σ weight·vector` of L2-normalised term vectors, normalised again.
    ///
    /// - Parameter vectors: one joint-space vector per term, in order.
    /// - Throws: ``ParseError/termsCancelOut`` when the sum is shorter than
    ///   ``cancellationTolerance`` (`cars - cars`, or every weight zero).
    public func combine(_ vectors: [[Float]]) throws -> [Float] {
        precondition(vectors.count == terms.count, "one vector per term expected")
        guard let dimension = vectors.first?.count else { return [] }
        var sum = [Float](repeating: 0, count: dimension)
        for (term, vector) in zip(terms, vectors) {
            let unit = L2.normalized(vector, dimension: dimension)
            for i in 0..<dimension { sum[i] += term.weight * unit[i] }
        }
        let length = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard length >= Self.cancellationTolerance else { throw ParseError.termsCancelOut }
        return L2.normalized(sum, dimension: dimension)
    }
}

extension StringProtocol {
    fileprivate func trimmingCharactersIn(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
