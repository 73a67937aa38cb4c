import AerieBrowser
import AerieDatasets
import Foundation

/// Opens what `aerie browse` searches: a data set and its index, as a `BrowserBackend`.
enum BrowseCorpus {
    /// Loads `dataset` (default: the bundled corpus) and its index (`index`, or the data set's
    /// own), indexing first when there is none, reporting progress through `progress`.
    ///
    /// - Throws: `BrowseCorpusError` or the loaders' errors.
    static func open(dataset: String?, index: String?, previewer: BrowsePreviewer,
                     progress: (String) -> Void) throws -> any BrowserBackend {
        // The search side (a persisted index with text/image encoders and the joint head) is
        // AerieIndex's; this adapter is completed when that API is merged (see the browser
        // branch's report for the exact wiring).
        throw BrowseCorpusError.searchIndexNotAvailable
    }
}

/// Why the browser's corpus could not be opened.
enum BrowseCorpusError: Error, CustomStringConvertible {
    case searchIndexNotAvailable

    var description: String {
        switch self {
        case .searchIndexNotAvailable:
            return "this build of aerie has no search index engine wired into the browser yet"
        }
    }
}
