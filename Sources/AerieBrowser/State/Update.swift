import AerieEvaluation
import AerieTerminal
/// The browser's logic: pure functions from state and message to new state and effects.
public enum Browser {
    /// The effects to run when the browser starts: load labels and history.
    public static func start(_ state: inout BrowserState) -> [Effect] {
        var effects: [Effect] = [.loadLabels, .loadHistory]
        if !state.trimmedQuery.isEmpty { effects += searchNow(&state) }
        return effects
    }

    /// Applies `message` to `state` and returns the effects to run. Never blocks, never
    /// touches the terminal.
    public static func update(_ state: inout BrowserState, _ message: Message) -> [Effect] {
        var effects = handle(&state, message)
        if state.quitting {
            return effects.contains(.quit) ? effects : effects + [.quit]
        }
        effects += requestPreviews(&state)
        return effects
    }

    private static func handle(_ state: inout BrowserState, _ message: Message) -> [Effect] {
        switch message {
        case .interrupt:
            state.quitting = true
            return [.quit]
        case let .resize(size):
            state.size = size
            clampSelection(&state)
            return []
        case let .key(key):
            return handleKey(&state, key)
        case let .paste(text):
            guard !state.showHelp else { return [] }
            if state.focus != .query || !state.neighbourStack.isEmpty {
                state.neighbourStack = []
                state.focus = .query
            }
            state.query.insert(text)
            return queryEdited(&state)
        case let .mouse(event):
            return handleMouse(&state, event)
        case let .debounceElapsed(generation):
            guard generation == state.generation, !state.trimmedQuery.isEmpty else { return [] }
            return [.search(searchRequest(state), generation: generation)]
        case let .searchFinished(generation, result):
            guard generation == state.generation else { return [] }
            state.searching = false
            switch result {
            case let .success(response):
                let previousID = state.results.indices.contains(state.selected) ? state.results[state.selected].id : nil
                state.results = response.results
                state.resultsQuery = state.trimmedQuery
                state.searchMilliseconds = response.milliseconds
                state.selected = state.feedback ? (response.results.firstIndex { $0.id == previousID } ?? 0) : 0
                state.listScroll = 0
                state.gridScroll = 0
                clampSelection(&state)
                state.notice = nil
            case let .failure(failure):
                state.notice = "search failed: \(failure.message)"
            }
            return []
        case let .neighboursLoaded(token, result):
            guard let index = state.neighbourStack.firstIndex(where: { $0.token == token }) else { return [] }
            switch result {
            case let .success(content): state.neighbourStack[index].content = content
            case let .failure(failure): state.neighbourStack[index].error = failure.message
            }
            return []
        case let .previewLoaded(key, image):
            state.pendingPreviews.remove(key)
            state.previews[key] = image
            prunePreviews(&state)
            return []
        case let .previewDropped(key):
            state.pendingPreviews.remove(key)
            return []
        case let .labelsLoaded(result):
            switch result {
            case let .success(labels):
                for label in labels where state.labels[label.key] == nil {
                    state.labels[label.key] = label.grade
                }
            case let .failure(failure):
                state.notice = "cannot load labels: \(failure.message)"
            }
            return []
        case let .historyLoaded(history):
            state.history = history + state.history
            return []
        case let .labelSaved(change):
            confirm(&state, change)
            // Only a write that landed says "saved"; a failure stays on screen until read.
            if state.notice.map(isLabelProgressNotice) ?? true {
                state.notice = state.unconfirmed.isEmpty ? "label saved" : pendingNotice(state)
            }
            return []
        case let .labelFailed(change, reason):
            confirm(&state, change)
            state.failedLabels[change.key] = reason
            state.notice = "label for \(imageName(state, change.key.imageID)) NOT saved: \(reason)"
            return []
        case let .noticeExpired(text):
            if state.notice == text { state.notice = nil }
            return []
        }
    }

    // MARK: Keys

    private static func handleKey(_ state: inout BrowserState, _ key: Key) -> [Effect] {
        if key == .control("c") {
            state.quitting = true
            return [.quit]
        }
        if state.showHelp {
            switch key {
            case .character("q"):
                state.quitting = true
                return [.quit]
            default:
                state.showHelp = false
                return []
            }
        }
        if key == .function(1) {
            state.showHelp = true
            return []
        }
        if !state.neighbourStack.isEmpty {
            return neighboursKey(&state, key)
        }
        switch state.focus {
        case .query: return queryKey(&state, key)
        case .results: return resultsKey(&state, key)
        }
    }

    private static func queryKey(_ state: inout BrowserState, _ key: Key) -> [Effect] {
        var edited = true
        switch key {
        case let .character(c): state.query.insert(String(c))
        case .backspace: state.query.deleteBackward()
        case .delete, .control("d"): state.query.deleteForward()
        case .control("u"): state.query.killToStart()
        case .control("k"): state.query.killToEnd()
        case .control("w"): state.query.killWordBackward()
        case .left, .control("b"):
            state.query.moveLeft(); edited = false
        case .right, .control("f"):
            state.query.moveRight(); edited = false
        case .home, .control("a"):
            state.query.moveHome(); edited = false
        case .end, .control("e"):
            state.query.moveEnd(); edited = false
        case .up:
            return historyStep(&state, by: -1)
        case .down:
            return historyStep(&state, by: 1)
        case .enter:
            guard !state.trimmedQuery.isEmpty else { return [] }
            state.focus = .results
            var effects = rememberQuery(&state)
            if state.resultsQuery != state.trimmedQuery || state.searching {
                effects += searchNow(&state)
            }
            return effects
        case .tab, .pageDown:
            if !state.results.isEmpty { state.focus = .results }
            return []
        case .escape:
            if !state.results.isEmpty { state.focus = .results }
            return []
        default:
            return []
        }
        return edited ? queryEdited(&state) : []
    }

    private static func resultsKey(_ state: inout BrowserState, _ key: Key) -> [Effect] {
        let grid = state.layout == .grid
        let columns = BrowserLayout(size: state.size).gridColumns
        switch key {
        case .up, .character("k"): moveSelection(&state, by: grid ? -columns : -1)
        case .down, .character("j"): moveSelection(&state, by: grid ? columns : 1)
        case .left, .character("h"):
            if grid { moveSelection(&state, by: -1) } else { state.focus = .query }
        case .right, .character("l"):
            if grid { moveSelection(&state, by: 1) } else { return openNeighbours(&state) }
        case .pageUp: moveSelection(&state, by: -pageSize(state))
        case .pageDown: moveSelection(&state, by: pageSize(state))
        case .home: moveSelection(&state, by: -state.selected)
        case .end: moveSelection(&state, by: state.results.count)
        case .enter: return openNeighbours(&state)
        case .tab, .backTab, .escape, .character("/"), .character("i"): state.focus = .query
        case .character("q"):
            state.quitting = true
            return [.quit]
        case .character("?"): state.showHelp = true
        case .character("g"): state.layout = grid ? .list : .grid
        case .character("p"): cyclePreview(&state)
        case .character("r"), .character("+"): return label(&state, grade: 1)
        case .character("n"), .character("-"), .character("x"): return label(&state, grade: 0)
        case let .character(c) where c.isASCII && c.isNumber:
            if let g = c.wholeNumberValue, Label.grades.contains(g) { return label(&state, grade: g) }
        case .character("u"): return undo(&state)
        case .character("f"): return feedbackOn(&state)
        case .character("F"): return feedbackOff(&state)
        case let .character(c):
            // Typing starts a new edit of the query, as in a search box.
            state.focus = .query
            state.query.moveEnd()
            state.query.insert(String(c))
            return queryEdited(&state)
        case .backspace:
            state.focus = .query
            state.query.moveEnd()
            state.query.deleteBackward()
            return queryEdited(&state)
        default: break
        }
        return []
    }

    private static func neighboursKey(_ state: inout BrowserState, _ key: Key) -> [Effect] {
        let top = state.neighbourStack.count - 1
        var page = state.neighbourStack[top]
        let imageCount = page.content?.nearestImages.count ?? 0
        let captionCount = page.content?.nearestCaptions.count ?? 0
        let effects: [Effect] = []
        switch key {
        case .escape, .backspace, .left, .character("h"):
            state.neighbourStack.removeLast()
            return []
        case .character("q"):
            state.quitting = true
            return [.quit]
        case .character("?"):
            state.showHelp = true
        case .character("p"):
            cyclePreview(&state)
        case .tab, .backTab, .right, .character("l"):
            page.section = page.section == .images ? .captions : .images
        case .up, .character("k"):
            if page.section == .images { page.selectedImage = max(0, page.selectedImage - 1) }
            else { page.selectedCaption = max(0, page.selectedCaption - 1) }
        case .down, .character("j"):
            if page.section == .images { page.selectedImage = max(0, min(imageCount - 1, page.selectedImage + 1)) }
            else { page.selectedCaption = max(0, min(captionCount - 1, page.selectedCaption + 1)) }
        case .enter:
            guard let content = page.content else { return [] }
            switch page.section {
            case .images:
                guard content.nearestImages.indices.contains(page.selectedImage) else { return [] }
                state.neighbourStack[top] = page
                return pushNeighbours(&state, imageID: content.nearestImages[page.selectedImage].id)
            case .captions:
                guard content.nearestCaptions.indices.contains(page.selectedCaption) else { return [] }
                let caption = TerminalText.sanitize(content.nearestCaptions[page.selectedCaption].text)
                state.neighbourStack = []
                state.query.setText(caption)
                state.focus = .results
                state.feedback = false
                state.historyIndex = nil
                return rememberQuery(&state) + searchNow(&state)
            }
        case .character("r"), .character("+"):
            state.neighbourStack[top] = page
            return label(&state, grade: 1)
        case .character("n"), .character("-"), .character("x"):
            state.neighbourStack[top] = page
            return label(&state, grade: 0)
        case let .character(c) where c.isASCII && c.isNumber:
            state.neighbourStack[top] = page
            if let g = c.wholeNumberValue, Label.grades.contains(g) { return label(&state, grade: g) }
            return []
        case .character("u"):
            state.neighbourStack[top] = page
            return undo(&state)
        default:
            break
        }
        state.neighbourStack[top] = page
        return effects
    }

    // MARK: Mouse

    private static func handleMouse(_ state: inout BrowserState, _ event: MouseEvent) -> [Effect] {
        guard !state.isTooSmall else { return [] }
        if state.showHelp {
            if event.kind == .click { state.showHelp = false }
            return []
        }
        let layout = BrowserLayout(size: state.size)
        switch event.kind {
        case .wheelUp, .wheelDown:
            let step = event.kind == .wheelUp ? -3 : 3
            if var page = state.neighbourStack.last {
                let top = state.neighbourStack.count - 1
                if layout.nearestCaptions.contains(x: event.x, y: event.y) {
                    page.selectedCaption = max(0, min((page.content?.nearestCaptions.count ?? 1) - 1, page.selectedCaption + step))
                } else {
                    page.selectedImage = max(0, min((page.content?.nearestImages.count ?? 1) - 1, page.selectedImage + step))
                }
                state.neighbourStack[top] = page
            } else {
                moveSelection(&state, by: state.layout == .grid ? step / 3 * layout.gridColumns : step)
            }
            return []
        case .click:
            if layout.queryRow.contains(x: event.x, y: event.y) {
                state.neighbourStack = []
                state.focus = .query
                return []
            }
            if var page = state.neighbourStack.last {
                let top = state.neighbourStack.count - 1
                if layout.nearestImages.contains(x: event.x, y: event.y) {
                    let i = event.y - layout.nearestImages.y - 1 + scrollOffset(selected: page.selectedImage, rows: layout.nearestImages.height - 1)
                    if i >= 0, i < (page.content?.nearestImages.count ?? 0) {
                        page.section = .images
                        page.selectedImage = i
                    }
                } else if layout.nearestCaptions.contains(x: event.x, y: event.y) {
                    let i = event.y - layout.nearestCaptions.y - 1 + scrollOffset(selected: page.selectedCaption, rows: layout.nearestCaptions.height - 1)
                    if i >= 0, i < (page.content?.nearestCaptions.count ?? 0) {
                        page.section = .captions
                        page.selectedCaption = i
                    }
                }
                state.neighbourStack[top] = page
                return []
            }
            switch state.layout {
            case .list:
                let rows = layout.listRows
                if rows.contains(x: event.x, y: event.y) {
                    let i = state.listScroll + (event.y - rows.y)
                    if i < state.results.count {
                        state.selected = i
                        state.focus = .results
                    }
                }
            case .grid:
                if layout.body.contains(x: event.x, y: event.y) {
                    let column = (event.x - layout.body.x) / layout.tileSize.width
                    let row = (event.y - layout.body.y) / layout.tileSize.height
                    if column < layout.gridColumns, row < layout.gridRows {
                        let i = (state.gridScroll + row) * layout.gridColumns + column
                        if i < state.results.count {
                            state.selected = i
                            state.focus = .results
                        }
                    }
                }
            }
            return []
        }
    }

    // MARK: Searching

    private static func queryEdited(_ state: inout BrowserState) -> [Effect] {
        state.generation += 1
        state.historyIndex = nil
        state.feedback = false
        if state.trimmedQuery.isEmpty {
            state.searching = false
            state.results = []
            state.resultsQuery = ""
            state.selected = 0
            state.listScroll = 0
            state.searchMilliseconds = nil
            return []
        }
        state.searching = true
        return [.debounce(generation: state.generation, milliseconds: state.config.debounceMilliseconds)]
    }

    private static func searchNow(_ state: inout BrowserState) -> [Effect] {
        state.generation += 1
        guard !state.trimmedQuery.isEmpty else { return [] }
        state.searching = true
        return [.search(searchRequest(state), generation: state.generation)]
    }

    static func searchRequest(_ state: BrowserState) -> SearchRequest {
        var request = SearchRequest(query: state.trimmedQuery, limit: state.config.resultLimit)
        if state.feedback {
            let labels = state.currentLabels
            request.feedback = FeedbackRequest(
                relevant: labels.filter { $0.grade > 0 }.map { .init(id: $0.imageID, weight: Double($0.grade)) },
                nonRelevant: labels.filter { $0.grade == 0 }.map(\.imageID),
                weights: state.config.rocchio)
        }
        return request
    }

    private static func rememberQuery(_ state: inout BrowserState) -> [Effect] {
        let q = state.trimmedQuery
        guard !q.isEmpty, state.history.last != q else { return [] }
        state.history.append(q)
        return [.appendHistory(q)]
    }

    private static func historyStep(_ state: inout BrowserState, by step: Int) -> [Effect] {
        guard !state.history.isEmpty else { return [] }
        let current = state.historyIndex ?? state.history.count
        let next = max(0, min(state.history.count, current + step))
        guard next != current else { return [] }
        if state.historyIndex == nil { state.historyDraft = state.query.text }
        let text = next == state.history.count ? state.historyDraft : state.history[next]
        state.query.setText(text)
        let effects = queryEdited(&state)
        state.historyIndex = next == state.history.count ? nil : next
        return effects
    }

    private static func feedbackOn(_ state: inout BrowserState) -> [Effect] {
        guard !state.resultsQuery.isEmpty else { return [] }
        guard state.currentLabels.contains(where: { $0.grade > 0 }) else {
            state.notice = "feedback needs at least one result marked relevant (r or 1–3)"
            return []
        }
        state.feedback = true
        state.notice = nil
        return searchNow(&state)
    }

    private static func feedbackOff(_ state: inout BrowserState) -> [Effect] {
        guard state.feedback else { return [] }
        state.feedback = false
        return searchNow(&state)
    }

    // MARK: Labels

    /// The image a label key applies to in the current view.
    static func selectedImageID(_ state: BrowserState) -> String? {
        if let page = state.neighbourStack.last {
            if page.section == .images, let images = page.content?.nearestImages, images.indices.contains(page.selectedImage) {
                return images[page.selectedImage].id
            }
            return page.imageID
        }
        return state.results.indices.contains(state.selected) ? state.results[state.selected].id : nil
    }

    private static func label(_ state: inout BrowserState, grade: Int) -> [Effect] {
        guard !state.resultsQuery.isEmpty, let id = selectedImageID(state) else {
            state.notice = "labels belong to a query: search first"
            return []
        }
        let key = LabelKey(query: state.resultsQuery, imageID: id)
        // The same grade again is nothing to do, unless its write failed: then it is a retry.
        guard state.labels[key] != grade || state.failedLabels[key] != nil else { return [] }
        if state.labels[key] != grade {
            state.undoStack.append(LabelChange(key: key, grade: state.labels[key]))
        }
        state.labels[key] = grade
        let change = LabelChange(key: key, grade: grade)
        send(&state, change)
        if state.neighbourStack.isEmpty, state.results.indices.contains(state.selected + 1) {
            state.selected += 1
            clampSelection(&state)
        }
        var effects: [Effect] = [.saveLabel(change)]
        if state.history.last != state.resultsQuery {
            state.history.append(state.resultsQuery)
            effects.append(.appendHistory(state.resultsQuery))
        }
        return effects
    }

    private static func undo(_ state: inout BrowserState) -> [Effect] {
        guard let previous = state.undoStack.popLast() else {
            state.notice = "nothing to undo"
            return []
        }
        state.labels[previous.key] = previous.grade
        send(&state, previous)
        return [.saveLabel(previous)]
    }

    /// Records a change as sent to the store: pending until its write returns.
    private static func send(_ state: inout BrowserState, _ change: LabelChange) {
        state.unconfirmed.append(change)
        state.failedLabels[change.key] = nil
        state.notice = pendingNotice(state)
    }

    /// Removes the oldest write of `change` from those in flight (the store answers in order).
    private static func confirm(_ state: inout BrowserState, _ change: LabelChange) {
        if let i = state.unconfirmed.firstIndex(of: change) { state.unconfirmed.remove(at: i) }
    }

    static func pendingNotice(_ state: BrowserState) -> String {
        state.unconfirmed.count == 1 ? "1 label pending" : "\(state.unconfirmed.count) labels pending"
    }

    /// Whether `notice` only reports label writes in progress (and may be replaced by the next).
    private static func isLabelProgressNotice(_ notice: String) -> Bool {
        notice == "label saved" || notice.hasSuffix(" pending")
    }

    /// The name shown for an image: its result's name when it is listed, else its identifier.
    private static func imageName(_ state: BrowserState, _ imageID: String) -> String {
        state.results.first { $0.id == imageID }?.name ?? imageID
    }

    // MARK: Neighbours

    private static func openNeighbours(_ state: inout BrowserState) -> [Effect] {
        guard state.results.indices.contains(state.selected) else { return [] }
        return pushNeighbours(&state, imageID: state.results[state.selected].id)
    }

    private static func pushNeighbours(_ state: inout BrowserState, imageID: String) -> [Effect] {
        state.nextToken += 1
        state.neighbourStack.append(NeighbourPage(imageID: imageID, token: state.nextToken))
        return [.loadNeighbours(imageID: imageID, limit: state.config.neighbourLimit, token: state.nextToken)]
    }

    // MARK: Selection and previews

    private static func pageSize(_ state: BrowserState) -> Int {
        let layout = BrowserLayout(size: state.size)
        return state.layout == .grid ? layout.gridColumns * layout.gridRows : max(1, layout.listRows.height - 1)
    }

    private static func moveSelection(_ state: inout BrowserState, by step: Int) {
        guard !state.results.isEmpty else { return }
        state.selected = max(0, min(state.results.count - 1, state.selected + step))
        clampSelection(&state)
    }

    /// Keeps the selection in range and visible (adjusts list and grid scroll).
    static func clampSelection(_ state: inout BrowserState) {
        state.selected = max(0, min(state.results.count - 1, state.selected))
        let layout = BrowserLayout(size: state.size)
        let rows = max(1, layout.listRows.height)
        if state.selected < state.listScroll { state.listScroll = state.selected }
        if state.selected >= state.listScroll + rows { state.listScroll = state.selected - rows + 1 }
        let row = state.selected / layout.gridColumns
        if row < state.gridScroll { state.gridScroll = row }
        if row >= state.gridScroll + layout.gridRows { state.gridScroll = row - layout.gridRows + 1 }
    }

    private static func cyclePreview(_ state: inout BrowserState) {
        state.previewMode = state.previewMode.next(sixelAvailable: state.config.sixelAvailable)
        state.notice = "preview: \(state.previewMode.rawValue)"
    }

    /// The previews the current view shows.
    static func neededPreviews(_ state: BrowserState) -> [PreviewKey] {
        guard !state.isTooSmall, !state.showHelp else { return [] }
        let layout = BrowserLayout(size: state.size)
        if let page = state.neighbourStack.last {
            let area = layout.neighbourImage
            guard !area.isEmpty else { return [] }
            return [PreviewKey(imageID: page.imageID, size: Size(width: area.width, height: area.height), mode: state.previewMode)]
        }
        switch state.layout {
        case .list:
            guard state.results.indices.contains(state.selected), !layout.previewImage.isEmpty else { return [] }
            let area = layout.previewImage
            return [PreviewKey(imageID: state.results[state.selected].id, size: Size(width: area.width, height: area.height), mode: state.previewMode)]
        case .grid:
            var keys: [PreviewKey] = []
            let tile = layout.tileImage(column: 0, row: 0)
            for row in 0..<layout.gridRows {
                for column in 0..<layout.gridColumns {
                    let i = (state.gridScroll + row) * layout.gridColumns + column
                    guard i < state.results.count else { continue }
                    keys.append(PreviewKey(imageID: state.results[i].id, size: Size(width: tile.width, height: tile.height), mode: state.previewMode))
                }
            }
            return keys
        }
    }

    private static func requestPreviews(_ state: inout BrowserState) -> [Effect] {
        var effects: [Effect] = []
        for key in neededPreviews(state) where state.previews[key] == nil && !state.pendingPreviews.contains(key) {
            state.pendingPreviews.insert(key)
            effects.append(.loadPreview(key))
        }
        return effects
    }

    /// Keeps the preview cache bounded: past 256 entries, only what is on screen stays.
    private static func prunePreviews(_ state: inout BrowserState) {
        guard state.previews.count > 256 else { return }
        let keep = Set(neededPreviews(state))
        state.previews = state.previews.filter { keep.contains($0.key) }
    }

    /// The first visible row of a list of which `selected` must be visible in `rows` rows.
    static func scrollOffset(selected: Int, rows: Int) -> Int {
        max(0, selected - max(1, rows) + 1)
    }
}
