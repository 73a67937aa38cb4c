import Foundation
import Testing
@testable import AerieModels

@Suite struct WordPieceTokenizerTests {
    /// A toy vocabulary: ids are line numbers.
    static let lines = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", ",", "!", "北", "京",
                        "hello", "world", "##s", "e", "-", "mail"]

    func make(maxLength: Int = 64) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyLines: Self.lines, maxLength: maxLength)
    }

    @Test func greedyLongestMatchWithContinuations() throws {
        let t = try make()
        #expect(t.encode("unaffable") == [2, 4, 5, 6, 3])
        #expect(t.encode("Hello, worlds!") == [2, 12, 8, 13, 14, 9, 3])
    }

    @Test func unmatchedRemainderMakesWholeWordUnknown() throws {
        let t = try make()
        #expect(t.encode("unaffablex hello") == [2, 1, 12, 3])
    }

    @Test func accentsCaseControlsAndCJK() throws {
        let t = try make()
        #expect(t.encode("CAFÉ") == [2, 7, 3])
        #expect(t.encode("Cafe\u{301}\u{0}\u{7}") == [2, 7, 3])
        #expect(t.encode("北京hello") == [2, 10, 11, 12, 3])
        #expect(t.encode("e-mail") == [2, 15, 16, 17, 3])
        #expect(t.encode("hello\u{2028}world\u{00A0}hello\tworld") == [2, 12, 13, 12, 13, 3])
    }

    @Test func longWordsAreUnknownAndSequencesTruncate() throws {
        let t = try make(maxLength: 5)
        #expect(t.encode(String(repeating: "e", count: 101)) == [2, 1, 3])
        #expect(t.encode("hello world hello world") == [2, 12, 13, 12, 3])
        #expect(t.encode("") == [2, 3])
    }

    /// The plain definition: basic tokens of the whole text, pieces, truncated.
    func referenceEncode(_ t: WordPieceTokenizer, _ text: String) -> [Int32] {
        let pieces = t.basicTokens(text).flatMap { t.wordPieces($0) }
        return [t.classID] + pieces.prefix(t.maxLength - 2) + [t.separatorID]
    }

    @Test func earlyTruncationGivesTheSameIDs() throws {
        let sentences = ["unaffable", "Hello, worlds!", "CAFÉ", "Cafe\u{301}\u{0}\u{7}", "北京hello", "e-mail",
                         "hello\u{2028}world\u{00A0}hello\tworld", "  hello   \n\n world ", "e\u{301}\u{302} cafe\u{301}!!",
                         "\u{301}hello", "hello\u{0}world", String(repeating: "e", count: 101), "un,aff,able,北,京"]
        for maxLength in [3, 5, 8, 64] {
            let t = try make(maxLength: maxLength)
            for sentence in sentences + [sentences.joined(separator: " ")] {
                #expect(t.encode(sentence) == referenceEncode(t, sentence), "\(sentence.debugDescription) at \(maxLength)")
            }
        }
    }

    /// A 10 MB caption used to take minutes (normalising the whole text before truncating).
    @Test(.timeLimit(.minutes(1))) func hugeCaptionsAreTokenizedInLinearTime() throws {
        let t = try make(maxLength: 256)
        let words = String(repeating: "hello worlds, cafe\u{301} ", count: 400_000)  // ~10 MB
        let start = Date()
        let ids = t.encode(words)
        #expect(ids.count == 256)
        #expect(Array(ids.prefix(8)) == [2, 12, 13, 14, 8, 7, 12, 13])
        // No whitespace at all, and nothing but whitespace: both bounded.
        #expect(t.encode(String(repeating: "e", count: 10_000_000)) == [2, 1, 3])
        #expect(t.encode(String(repeating: "e", count: 10_000) + " hello") == [2, 1, 12, 3])
        #expect(t.encode(String(repeating: "e", count: 5_000) + ",hello") == [2, 1, 8, 12, 3])
        #expect(t.encode(String(repeating: " ", count: 10_000_000) + "hello") == [2, 3])
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func missingSpecialTokenIsNamed() {
        #expect(throws: TokenizerError.missingSpecialToken(path: "vocab.txt", token: "[CLS]")) {
            try WordPieceTokenizer(vocabularyLines: ["[UNK]", "[SEP]"], maxLength: 8)
        }
    }

    /// Token ids exactly as the reference BertTokenizerFast, including the hostile sentences.
    @Test(.enabled(if: InstalledModels.has("minilm"), InstalledModels.missing("minilm")))
    func matchesReferenceTokenIDs() throws {
        let reference = try MiniLMReference.load()
        let tokenizer = try WordPieceTokenizer(
            vocabularyURL: InstalledModels.store.folder("minilm").appendingPathComponent("vocab.txt"),
            maxLength: reference.max_seq_length)
        for (sentence, expected) in zip(reference.sentences, reference.token_ids) {
            #expect(tokenizer.encode(sentence) == expected, "sentence \(sentence.debugDescription)")
        }
    }
}
