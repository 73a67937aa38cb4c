/// A relevance judgement: how relevant an image is to a query.
///
/// Grades follow TREC's graded qrels: 0 not relevant, 1 relevant, 2 highly relevant,
/// 3 perfect. "Relevant" in the browser is grade 1; "not relevant" is grade 0.
public struct Label: Hashable, Sendable {
    /// The query as typed (the TREC topic).
    public var query: String
    /// The image's corpus identifier (the TREC docno).
    public var imageID: String
    public var grade: Int

    public static let grades = 0...3

    /// - Precondition: `grade` is in 0...3.
    public init(query: String, imageID: String, grade: Int) {
        precondition(Label.grades.contains(grade), "a relevance grade is 0...3, got \(grade)")
        self.query = query
        self.imageID = imageID
        self.grade = grade
    }

    public var key: LabelKey { LabelKey(query: query, imageID: imageID) }
}

/// What a label belongs to: a (query, image) pair.
public struct LabelKey: Hashable, Sendable {
    public var query: String
    public var imageID: String
    public init(query: String, imageID: String) {
        self.query = query
        self.imageID = imageID
    }
}

/// A change to one label, as saved: the new grade, or `nil` to remove the label.
public struct LabelChange: Hashable, Sendable {
    public var key: LabelKey
    public var grade: Int?
    public init(key: LabelKey, grade: Int?) {
        self.key = key
        self.grade = grade
    }
}

/// Where relevance labels and the browser's query history are kept: what the browser's runtime
/// writes through. The SQLite implementation is `LabelStore` (AerieIndex), beside the index's
/// own persistence; tests use stores in memory.
///
/// Every method may be called from any thread. A label is saved when ``apply(_:)`` returns.
public protocol LabelRecording: Sendable {
    /// Sets a label (a grade) or removes it (`grade` nil).
    func apply(_ change: LabelChange) throws
    /// Every label, in a stable order.
    func allLabels() throws -> [Label]
    /// The most recent distinct queries, at most `limit`, oldest first.
    func history(limit: Int) throws -> [String]
    /// Records a query in the history.
    func appendHistory(_ query: String) throws
}
