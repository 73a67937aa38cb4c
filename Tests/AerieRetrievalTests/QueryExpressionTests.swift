import Foundation
import Testing
@testable import AerieRetrieval

@Suite struct QueryExpressionTests {
    let isImage: (String) -> Bool = { $0.hasSuffix(".jpg") }

    @Test func rclipStyleArguments() throws {
        let q = try QueryExpression.parse(["2:parking lot", "+", "./img.jpg", "-", "cars"], isImage: isImage)
        #expect(q.terms == [
            .init(kind: .text, value: "parking lot", weight: 2),
            .init(kind: .image, value: "./img.jpg", weight: 1),
            .init(kind: .text, value: "cars", weight: -1),
        ])
    }

    @Test func oneArgumentWithOperatorsAndQuotes() throws {
        let q = try QueryExpression.parse(["\"2:parking lot\" + ./img.jpg - \"cars\""], isImage: isImage)
        #expect(q.terms.map(\.value) == ["parking lot", "./img.jpg", "cars"])
        #expect(q.terms.map(\.weight) == [2, 1, -1])
    }

    @Test func plainWordsAreOneTextTerm() throws {
        let q = try QueryExpression.parse(["many", "green", "trees"], isImage: isImage)
        #expect(q.terms == [.init(kind: .text, value: "many green trees", weight: 1)])
        // A hyphen inside a word is not an operator.
        #expect(try QueryExpression.parse(["well-kept lawn"], isImage: isImage).terms.count == 1)
        // A colon that is not a weight stays in the text.
        #expect(try QueryExpression.parse(["ratio: high"], isImage: isImage).terms[0].value == "ratio: high")
        // A leading minus negates the first term.
        #expect(try QueryExpression.parse(["-", "cars"], isImage: isImage).terms[0].weight == -1)
    }

    @Test func malformedQueries() {
        #expect(throws: QueryExpression.ParseError.empty) { try QueryExpression.parse([], isImage: isImage) }
        #expect(throws: QueryExpression.ParseError.danglingOperator("+")) { try QueryExpression.parse(["cars", "+"], isImage: isImage) }
        #expect(throws: QueryExpression.ParseError.emptyTerm(position: 0)) { try QueryExpression.parse(["2:"], isImage: isImage) }
    }

    @Test func combineIsWeightedAndNormalised() throws {
        let q = try QueryExpression.parse(["a", "-", "b"], isImage: isImage)
        let v = try q.combine([[2, 0], [0, 1]])
        #expect(abs(v[0] - 0.70710677) < 1e-6 && abs(v[1] + 0.70710677) < 1e-6)
    }

    /// Issue 12, item 24: `cars - cars` used to rank by an all-zero vector.
    @Test func termsThatCancelOutAreRefused() throws {
        let q = try QueryExpression.parse(["cars - cars"], isImage: isImage)
        #expect(throws: QueryExpression.ParseError.termsCancelOut) { try q.combine([[0.6, 0.8], [3, 4]]) }
        let zeroWeight = try QueryExpression.parse(["0:cars"], isImage: isImage)
        #expect(throws: QueryExpression.ParseError.termsCancelOut) { try zeroWeight.combine([[1, 0]]) }
    }

    /// Issue 12, item 20: a term written as a path whose file is missing used to become text.
    @Test func aPathLikeTermMustNameAnImageFile() throws {
        let noFiles: (String) -> Bool = { _ in false }
        for term in ["./missing.jpg", "../up/x", "/nonexistent", "~/photo", "field.PNG", "scan.tiff", "2:tile.jpeg"] {
            let body = term.hasPrefix("2:") ? String(term.dropFirst(2)) : term
            #expect(throws: QueryExpression.ParseError.noSuchImage(body)) { try QueryExpression.parse([term], isImage: noFiles) }
        }
        #expect(throws: QueryExpression.ParseError.noSuchImage("/tmp/gone.png")) {
            try QueryExpression.parse(["cars + /tmp/gone.png"], isImage: noFiles)
        }
        // Text that merely mentions a dot or a slash stays text.
        for text in ["parking lot", "a/b roads", "version 2.0", "ratio: high", "jpg files"] {
            #expect(try QueryExpression.parse([text], isImage: noFiles).terms.allSatisfy { $0.kind == .text })
        }
        // A folder named like an image is not an image file (RetrievalSession.isImagePath).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-q-\(UUID().uuidString).png")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: QueryExpression.ParseError.noSuchImage(folder.path)) {
            try QueryExpression.parse([folder.path], isImage: RetrievalSession.isImagePath)
        }
    }
}
