import Foundation

/// Errors loading a WordPiece vocabulary.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case unreadableVocabulary(path: String, reason: String)
    case missingSpecialToken(path: String, token: String)

    public var description: String {
        switch self {
        case let .unreadableVocabulary(path, reason): "\(path): cannot read the vocabulary: \(reason)"
        case let .missingSpecialToken(path, token): "\(path): the vocabulary lacks \(token)"
        }
    }
}

/// BERT's tokenizer: basic tokenization then WordPiece, as the reference `BertTokenizerFast`
/// that sentence-transformers runs for all-MiniLM-L6-v2.
///
/// Basic tokenization (the `BertNormalizer` and `BertPreTokenizer`):
/// 1. clean: drop U+0000, U+FFFD and control/format characters (category C*, except tab,
///    newline and carriage return); turn whitespace (those three, space, category Zs) into spaces;
/// 2. put spaces around CJK ideographs, so each becomes its own word;
/// 3. strip accents: canonical decomposition (NFD), then drop non-spacing marks (Mn);
/// 4. lower-case, one character at a time (full Unicode mappings, no context);
/// 5. split on whitespace, and split off every punctuation character (ASCII punctuation or
///    Unicode category P*) as its own word.
///
/// WordPiece: each word longer than 100 characters is `[UNK]`; otherwise greedy longest-match
/// first against the vocabulary, continuation pieces prefixed with `##`; a word with any
/// unmatched remainder becomes one `[UNK]`. The sequence is `[CLS] pieces [SEP]`, the pieces
/// truncated so the whole is at most `maxLength` tokens.
public struct WordPieceTokenizer: Sendable {
    /// Token id of each vocabulary entry.
    public let vocabulary: [String: Int32]
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    public let lowercase: Bool
    /// The longest sequence produced, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    /// Words with more characters than this become `[UNK]`.
    public let maxCharactersPerWord = 100

    /// Builds a tokenizer from vocabulary lines (token `i` is line `i`).
    public init(vocabularyLines: [String], lowercase: Bool = true, maxLength: Int, path: String = "vocab.txt") throws {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(vocabularyLines.count)
        for (i, line) in vocabularyLines.enumerated() where vocabulary[line] == nil {
            vocabulary[line] = Int32(i)
        }
        func special(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else { throw TokenizerError.missingSpecialToken(path: path, token: token) }
            return id
        }
        self.vocabulary = vocabulary
        self.unknownID = try special("[UNK]")
        self.classID = try special("[CLS]")
        self.separatorID = try special("[SEP]")
        _ = try special("[PAD]")
        self.lowercase = lowercase
        self.maxLength = maxLength
    }

    /// Reads `vocab.txt` (one token per line, UTF-8).
    public init(vocabularyURL url: URL, lowercase: Bool = true, maxLength: Int) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TokenizerError.unreadableVocabulary(path: url.path, reason: error.localizedDescription)
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        lines = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        try self.init(vocabularyLines: lines, lowercase: lowercase, maxLength: maxLength, path: url.path)
    }

    /// Scalars of a run without whitespace or punctuation after which the run is cut (see
    /// ``encode(_:)``): far beyond ``maxCharactersPerWord``, so such a word is `[UNK]` either way
    /// unless nearly all of it is accents that stripping removes.
    static let maxRunScalars = 4096

    /// How many scalars of a text ``encode(_:)`` examines at most: `maxLength × 512`, room for
    /// every token to be a longest word with generous spacing. Beyond it, a text that has not yet
    /// filled the sequence (runs of spaces or control characters) is truncated.
    public var maxScalarsExamined: Int { maxLength * 512 }

    /// The token ids of `text`: `[CLS]`, the WordPiece ids, `[SEP]`, truncated to ``maxLength``.
    ///
    /// The text is tokenized a whitespace-separated run at a time and reading stops as soon as the
    /// sequence is full, so a caption of megabytes costs what its first few hundred words cost.
    /// Normalisation (NFD, accent stripping) never crosses whitespace, so this gives the ids of
    /// ``basicTokens(_:)`` over the whole text. Runs without whitespace longer than
    /// ``maxRunScalars`` scalars are cut at the next punctuation (exact), or, with none for twice
    /// that length, end in a word that is `[UNK]` and is skipped to its end (exact unless nearly
    /// all of its thousands of scalars are accents that stripping removes).
    /// - Complexity: O(n) in the scalars examined, at most ``maxScalarsExamined``.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [classID]
        let budget = maxLength - 2
        var run = String.UnicodeScalarView()
        var runLength = 0
        /// Tokenizes the pending run; false once the sequence is full.
        func flush() -> Bool {
            defer { run = String.UnicodeScalarView(); runLength = 0 }
            guard runLength > 0 else { return ids.count - 1 < budget }
            for word in basicTokens(String(run)) {
                for id in wordPieces(word) {
                    if ids.count - 1 == budget { return false }
                    ids.append(id)
                }
            }
            return ids.count - 1 < budget
        }
        var examined = 0
        // Inside a word already longer than any vocabulary entry, already tokenized as [UNK].
        var skipping = false
        scan: for s in text.unicodeScalars {
            examined += 1
            if examined > maxScalarsExamined || ids.count - 1 == budget { break }
            if skipping {
                if Self.isWhitespace(s) || Self.isPunctuation(s) || Self.isCJK(s) { skipping = false } else { continue }
            }
            if Self.isWhitespace(s) {
                if !flush() { break scan }
            } else if Self.isCJK(s) {
                if !flush() { break scan }
                run.append(s); runLength += 1
                if !flush() { break scan }
            } else {
                run.append(s); runLength += 1
                if runLength >= Self.maxRunScalars, Self.isPunctuation(s) {
                    if !flush() { break scan }
                } else if runLength >= 2 * Self.maxRunScalars {
                    // The run ends in a word of thousands of scalars: [UNK] whatever follows.
                    if !flush() { break scan }
                    skipping = true
                }
            }
        }
        _ = flush()
        ids.append(separatorID)
        return ids
    }

    /// The words of `text` after basic tokenization (steps 1–5 above), each as Unicode scalars.
    public func basicTokens(_ text: String) -> [[Unicode.Scalar]] {
        // 1–2: clean and space out CJK ideographs.
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                cleaned.append(" ")
            } else if Self.isCJK(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
        }
        var normalised = String(cleaned)
        if lowercase {
            // 3: strip accents; 4: lower-case.
            var stripped = String.UnicodeScalarView()
            for s in normalised.decomposedStringWithCanonicalMapping.unicodeScalars
            where s.properties.generalCategory != .nonspacingMark {
                stripped.append(s)
            }
            var lowered = String.UnicodeScalarView()
            for s in stripped { lowered.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
            normalised = String(lowered)
        }
        // 5: split on whitespace and around punctuation.
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in normalised.unicodeScalars {
            if s.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current = [] }
            } else if Self.isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The WordPiece ids of one word.
    public func wordPieces(_ word: [Unicode.Scalar]) -> [Int32] {
        if word.count > maxCharactersPerWord { return [unknownID] }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var candidate = String(String.UnicodeScalarView(word[start..<end]))
                if start > 0 { candidate = "##" + candidate }
                if let id = vocabulary[candidate] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    // MARK: Character classes, as the reference defines them.

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "\t", "\n", "\r": true
        default: s.properties.generalCategory == .spaceSeparator
        }
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "\t", "\n", "\r": return false
        default:
            switch s.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as single-character words (not Hangul,
    /// Hiragana or Katakana, which are split on whitespace like any other script).
    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default:
            false
        }
    }
}
