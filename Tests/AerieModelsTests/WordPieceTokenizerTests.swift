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
