import AerieEvaluation
import AerieTerminal

/// A key the user pressed, as the runtime decodes it.
public enum Key: Hashable, Sendable {
    /// A printable grapheme.
    case character(Character)
    /// Ctrl and a letter (`.control("a")` is Ctrl-A); Ctrl-C is `.control("c")`.
    case control(Character)
    case enter, tab, backTab, escape, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    /// A function key F1…F12.
    case function(Int)
}

/// A mouse event at a cell.
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case click, wheelUp, wheelDown }
    public var x: Int
    public var y: Int
    public var kind: Kind
    public init(x: Int, y: Int, kind: Kind) {
        self.x = x
        self.y = y
        self.kind = kind
    }
}

/// What a preview was asked for: an image, a size in cells and a mode.
public struct PreviewKey: Hashable, Sendable {
    public var imageID: String
    public var size: Size
    public var mode: PreviewMode
    public init(imageID: String, size: Size, mode: PreviewMode) {
        self.imageID = imageID
        self.size = size
        self.mode = mode
    }
}

/// Everything that can happen to the browser: input from the user and answers to effects.
public enum Message: Hashable, Sendable {
    case key(Key)
    /// Several characters at once (a paste, or fast typing the runtime read in one go).
    case paste(String)
    case mouse(MouseEvent)
    case resize(Size)
    /// A debounce timer set by `Effect.debounce` has run out.
    case debounceElapsed(generation: Int)
    case searchFinished(generation: Int, Result<SearchResponse, BackendFailure>)
    case neighboursLoaded(token: Int, Result<Neighbours, BackendFailure>)
    case previewLoaded(PreviewKey, PreviewImage)
    /// The runtime skipped a preview that was superseded before it was rendered.
    case previewDropped(PreviewKey)
    case labelsLoaded(Result<[Label], BackendFailure>)
    case historyLoaded([String])
    case labelSaved(LabelChange)
    case labelFailed(LabelChange, String)
    /// Ctrl-C, SIGINT/SIGTERM/SIGHUP: leave now.
    case interrupt
    /// A notice the runtime set at start (e.g. "loading models…") no longer holds: cleared when
    /// it is still the one shown.
    case noticeExpired(String)
}

/// Work the browser asks the runtime to do. Plain data; the runtime answers with messages.
public enum Effect: Hashable, Sendable {
    /// Send `.debounceElapsed(generation)` after `milliseconds`.
    case debounce(generation: Int, milliseconds: Int)
    /// Run a search; answer `.searchFinished(generation, …)`.
    case search(SearchRequest, generation: Int)
    /// Load an image's neighbourhood; answer `.neighboursLoaded(token, …)`.
    case loadNeighbours(imageID: String, limit: Int, token: Int)
    /// Render a preview; answer `.previewLoaded`.
    case loadPreview(PreviewKey)
    /// Write a label change to the store at once; answer `.labelSaved` or `.labelFailed`.
    case saveLabel(LabelChange)
    /// Load every label; answer `.labelsLoaded`.
    case loadLabels
    /// Load the query history; answer `.historyLoaded`.
    case loadHistory
    /// Append a query to the persisted history (no answer).
    case appendHistory(String)
    /// Restore the terminal and exit.
    case quit
}
