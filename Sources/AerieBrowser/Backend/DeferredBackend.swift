import AerieTerminal
import Dispatch
import Foundation

/// The browser's backend while the models load in the background.
///
/// Loading the encoders takes longer than the first frame may (target < 0.5 s), so `aerie browse`
/// draws its first frame from the open index alone (corpus size, model names recorded in the
/// index) and builds the real backend on a background queue. Requests made meanwhile (a search
/// typed at once) wait on the runtime's worker queues, never on the keyboard; a load failure
/// becomes each request's failure, shown in the status line.
public final class DeferredBackend: BrowserBackend, @unchecked Sendable {
    /// The notice the browser shows until the models are ready.
    public static let loadingNotice = "loading models…"

    private let info: CorpusInfo
    private let condition = NSCondition()
    private var result: Result<any BrowserBackend, BackendFailure>?
    private var waiting: [@Sendable () -> Void] = []

    /// Starts `load` on a background queue at once.
    public init(info: CorpusInfo, load: @escaping @Sendable () throws -> any BrowserBackend) {
        self.info = info
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let loaded = Result { try load() }.mapError { BackendFailure($0) }
            condition.lock()
            result = loaded
            let callbacks = waiting
            waiting = []
            condition.broadcast()
            condition.unlock()
            for callback in callbacks { callback() }
        }
    }

    /// Calls `body` once the load has finished (at once when it already has), on any thread.
    public func whenLoaded(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        if result == nil {
            waiting.append(body)
            condition.unlock()
        } else {
            condition.unlock()
            body()
        }
    }

    /// The real backend, waiting for the load to finish.
    private func loaded() throws -> any BrowserBackend {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return try result.get() }
            condition.wait()
        }
    }

    public func corpusInfo() -> CorpusInfo { info }

    public func search(_ request: SearchRequest) throws -> SearchResponse { try loaded().search(request) }

    public func neighbours(of imageID: String, limit: Int) throws -> Neighbours { try loaded().neighbours(of: imageID, limit: limit) }

    public func preview(of imageID: String, size: Size, mode: PreviewMode) throws -> PreviewImage {
        try loaded().preview(of: imageID, size: size, mode: mode)
    }
}
