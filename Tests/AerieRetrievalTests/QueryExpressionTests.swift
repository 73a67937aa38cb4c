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
        let v = q.combine([[2, 0], [0, 1]])
        #expect(abs(v[0] - 0.70710677) < 1e-6 && abs(v[1] + 0.70710677) < 1e-6)
    }
}
