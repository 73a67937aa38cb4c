import Foundation

/// Ranked-retrieval metrics from graded relevance labels: precision at K, average precision and
/// normalised discounted cumulative gain at K (Järvelin & Kekäläinen, with gain `2^g − 1`).
///
/// Unlabelled images count as not relevant, as `trec_eval` does.
public enum RelevanceMetrics {
    /// The fraction of the first `k` results with grade ≥ 1 (divided by `k`, as TREC does, even
    /// when fewer than `k` were returned).
    public static func precision(at k: Int, ranking: [String], grades: [String: Int]) -> Double {
        precondition(k > 0, "P@K needs K > 0")
        let hits = ranking.prefix(k).filter { (grades[$0] ?? 0) >= 1 }.count
        return Double(hits) / Double(k)
    }

    /// Average precision: the mean over relevant images of the precision at each one's rank;
    /// relevant images never retrieved contribute 0. Zero when nothing is relevant.
    public static func averagePrecision(ranking: [String], grades: [String: Int]) -> Double {
        let relevantCount = grades.values.filter { $0 >= 1 }.count
        guard relevantCount > 0 else { return 0 }
        var hits = 0
        var sum = 0.0
        for (i, id) in ranking.enumerated() where (grades[id] ?? 0) >= 1 {
            hits += 1
            sum += Double(hits) / Double(i + 1)
        }
        return sum / Double(relevantCount)
    }

    /// nDCG@K: DCG of the first `k` results over the DCG of the ideal ordering of all labels.
    /// Zero when no label is above 0.
    public static func ndcg(at k: Int, ranking: [String], grades: [String: Int]) -> Double {
        precondition(k > 0, "nDCG@K needs K > 0")
        func dcg(_ gs: [Int]) -> Double {
            gs.prefix(k).enumerated().reduce(0.0) { acc, e in
                acc + (pow(2.0, Double(e.element)) - 1) / log2(Double(e.offset) + 2)
            }
        }
        let ideal = dcg(grades.values.sorted(by: >))
        guard ideal > 0 else { return 0 }
        return dcg(ranking.map { grades[$0] ?? 0 }) / ideal
    }

    /// The three metrics averaged over topics; topics without a relevant label are skipped
    /// (their AP and nDCG are undefined) and counted in `skipped`.
    public struct Summary: Hashable, Sendable {
        public var k: Int
        public var topics: Int
        public var skipped: Int
        public var precisionAtK: Double
        public var meanAveragePrecision: Double
        public var ndcgAtK: Double
    }

    /// Averages over topics. `rankings[query]` is the ranked image ids the system returns.
    public static func summarize(labels: [Label], rankings: [String: [String]], k: Int) -> Summary {
        var byQuery: [String: [String: Int]] = [:]
        for label in labels { byQuery[label.query, default: [:]][label.imageID] = label.grade }
        var p = 0.0, ap = 0.0, nd = 0.0
        var counted = 0, skipped = 0
        for (query, grades) in byQuery.sorted(by: { $0.key < $1.key }) {
            guard grades.values.contains(where: { $0 >= 1 }) else {
                skipped += 1
                continue
            }
            let ranking = rankings[query] ?? []
            p += precision(at: k, ranking: ranking, grades: grades)
            ap += averagePrecision(ranking: ranking, grades: grades)
            nd += ndcg(at: k, ranking: ranking, grades: grades)
            counted += 1
        }
        let n = Double(max(1, counted))
        return Summary(k: k, topics: counted, skipped: skipped, precisionAtK: p / n,
                       meanAveragePrecision: ap / n, ndcgAtK: nd / n)
    }
}
