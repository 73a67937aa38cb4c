import AerieEvaluation
import Foundation
import Testing

@Suite struct RelevanceMetricsTests {
    static let tolerance = 1e-12

    @Test func precisionAveragePrecisionAndNDCGByHand() {
        let grades = ["a": 3, "b": 0, "c": 1, "d": 2]
        let ranking = ["b", "a", "e", "c"]
        #expect(abs(RelevanceMetrics.precision(at: 2, ranking: ranking, grades: grades) - 0.5) < Self.tolerance)
        #expect(abs(RelevanceMetrics.precision(at: 10, ranking: ranking, grades: grades) - 0.2) < Self.tolerance)
        // Relevant: a, c, d. Hits at ranks 2 and 4: (1/2 + 2/4) / 3.
        #expect(abs(RelevanceMetrics.averagePrecision(ranking: ranking, grades: grades) - 1.0 / 3.0) < Self.tolerance)
        // DCG@3 = 0/log2(2) + 7/log2(3) + 0; ideal = 7 + 3/log2(3) + 1/2.
        let dcg = 7 / log2(3.0)
        let ideal = 7 + 3 / log2(3.0) + 1 / 2.0
        #expect(abs(RelevanceMetrics.ndcg(at: 3, ranking: ranking, grades: grades) - dcg / ideal) < Self.tolerance)
        #expect(abs(RelevanceMetrics.ndcg(at: 3, ranking: ["a", "d", "c"], grades: grades) - 1) < Self.tolerance)
        #expect(RelevanceMetrics.averagePrecision(ranking: ranking, grades: ["b": 0]) == 0)
    }

    @Test func summarySkipsTopicsWithoutRelevantLabels() {
        let labels = [
            Label(query: "q1", imageID: "a", grade: 1),
            Label(query: "q2", imageID: "b", grade: 0),
        ]
        let summary = RelevanceMetrics.summarize(labels: labels, rankings: ["q1": ["x", "a"]], k: 2)
        #expect(summary.topics == 1)
        #expect(summary.skipped == 1)
        #expect(abs(summary.precisionAtK - 0.5) < Self.tolerance)
        #expect(abs(summary.meanAveragePrecision - 0.5) < Self.tolerance)
    }
}
