import AerieEvaluation
import AerieTerminal

/// Settings fixed for a browsing session.
public struct BrowserConfig: Hashable, Sendable {
    /// How long typing must pause before a search runs.
    public var debounceMilliseconds: Int = 120
    /// How many results a search asks for.
    public var resultLimit: Int = 200
    /// How many nearest images and captions the neighbours view shows.
    public var neighbourLimit: Int = 30
    public var rocchio = RocchioWeights()
    /// Whether the terminal can show sixel graphics (then `p` cycles through sixel too).
    public var sixelAvailable = false
    /// `NO_COLOR` is set: draw without colours.
    public var noColor = false
    /// Below this the browser shows a short message instead of its layout.
    public static let minimumSize = Size(width: 60, height: 15)

    public init(debounceMilliseconds: Int = 120, resultLimit: Int = 200, neighbourLimit: Int = 30,
                rocchio: RocchioWeights = RocchioWeights(), sixelAvailable: Bool = false, noColor: Bool = false) {
        self.debounceMilliseconds = debounceMilliseconds
        self.resultLimit = resultLimit
        self.neighbourLimit = neighbourLimit
        self.rocchio = rocchio
        self.sixelAvailable = sixelAvailable
        self.noColor = noColor
    }
}

/// Which part of the browser takes the keys.
public enum Focus: Hashable, Sendable { case query, results }

/// How results are laid out.
public enum ResultsLayout: Hashable, Sendable { case list, grid }

/// One page of the neighbours view: an image and its neighbourhood.
public struct NeighbourPage: Hashable, Sendable {
    public enum Section: Hashable, Sendable { case images, captions }
    public var imageID: String
    /// Matches the `.neighboursLoaded` answer to this page.
    public var token: Int
    public var content: Neighbours?
    public var error: String?
    public var section: Section = .images
    public var selectedImage = 0
    public var selectedCaption = 0

    public init(imageID: String, token: Int) {
        self.imageID = imageID
        self.token = token
    }
}

/// The whole state of the browser, one value.
public struct BrowserState: Hashable, Sendable {
    public var config: BrowserConfig
    public var info: CorpusInfo
    public var size: Size

    public var query = LineEditor()
    public var focus: Focus = .query
    /// Past queries, oldest first.
    public var history: [String] = []
    /// While walking the history with Up/Down: the index shown, and the text typed before.
    public var historyIndex: Int?
    public var historyDraft = ""

    /// Bumped by every change that makes shown results stale; answers of older generations
    /// are dropped.
    public var generation = 0
    public var searching = false
    /// The results shown and the query they answer (labels attach to that query).
    public var results: [ResultItem] = []
    public var resultsQuery = ""
    public var searchMilliseconds: Double?
    public var selected = 0
    public var listScroll = 0
    public var gridScroll = 0
    public var layout: ResultsLayout = .list

    public var previewMode: PreviewMode
    public var previews: [PreviewKey: PreviewImage] = [:]
    public var pendingPreviews: Set<PreviewKey> = []

    /// Every label known, by (query, image).
    public var labels: [LabelKey: Int] = [:]
    /// Changes to undo, newest last: each holds the value to restore.
    public var undoStack: [LabelChange] = []
    /// Changes sent to the store whose write has not yet returned, oldest first. A label with a
    /// change here is shown as pending, never as saved.
    public var unconfirmed: [LabelChange] = []
    /// Labels whose latest write failed, with the reason: shown as failed until written again.
    public var failedLabels: [LabelKey: String] = [:]

    /// Results re-ranked with relevance feedback.
    public var feedback = false

    /// The neighbours view's pages; empty when it is closed.
    public var neighbourStack: [NeighbourPage] = []
    public var nextToken = 0

    public var showHelp = false
    /// A one-line notice (an error, "label saved", …).
    public var notice: String?
    public var quitting = false

    public init(config: BrowserConfig = BrowserConfig(), info: CorpusInfo, size: Size, previewMode: PreviewMode) {
        self.config = config
        self.info = info
        self.size = size
        self.previewMode = (previewMode == .auto || (previewMode == .sixel && !config.sixelAvailable)) ? .symbols : previewMode
    }

    /// The trimmed query text, as searched and labelled.
    public var trimmedQuery: String { query.text.trimmingWhitespace() }

    /// The label grade of `imageID` for the shown results' query.
    public func grade(of imageID: String) -> Int? {
        labels[LabelKey(query: resultsQuery, imageID: imageID)]
    }

    /// What the browser shows for `imageID`'s label under the shown results' query: saved only
    /// once the store's write has returned.
    public func labelMark(of imageID: String) -> LabelMark {
        let key = LabelKey(query: resultsQuery, imageID: imageID)
        if unconfirmed.contains(where: { $0.key == key }) { return .pending }
        if failedLabels[key] != nil { return .failed }
        return labels[key].map(LabelMark.saved) ?? .none
    }

    /// The labels of the shown results' query.
    public var currentLabels: [(imageID: String, grade: Int)] {
        labels.filter { $0.key.query == resultsQuery }
            .map { (imageID: $0.key.imageID, grade: $0.value) }
            .sorted { $0.imageID < $1.imageID }
    }

    public var isTooSmall: Bool {
        size.width < BrowserConfig.minimumSize.width || size.height < BrowserConfig.minimumSize.height
    }
}

/// A label as the browser shows it.
public enum LabelMark: Hashable, Sendable {
    /// No label.
    case none
    /// Written to the store: durable (its grade).
    case saved(Int)
    /// Sent to the store, not yet written.
    case pending
    /// The store refused or failed the write: not saved.
    case failed
}
