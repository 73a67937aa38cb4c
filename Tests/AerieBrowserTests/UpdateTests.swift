import AerieEvaluation
import AerieBrowser
import AerieTerminal
import Testing

@Suite struct UpdateTests {
    @Test func typingDebouncesAndOnlyTheLatestGenerationSearches() throws {
        var s = try Session()
        s.type("plane")
        let debounces = s.effects.compactMap { effect -> Int? in
            if case let .debounce(g, ms) = effect { #expect(ms == 120); return g }
            return nil
        }
        #expect(debounces.count == 5)
        #expect(debounces == debounces.sorted())
        #expect(!s.effects.contains { if case .search = $0 { return true } else { return false } })
        s.effects = []
        s.fireTimers()
        let searches = s.effects.compactMap { effect -> SearchRequest? in
            if case let .search(r, _) = effect { return r } else { return nil }
        }
        #expect(searches == [SearchRequest(query: "plane", limit: 200)])
    }

    @Test func anExpiredStartNoticeIsClearedButANewerNoticeStays() throws {
        var s = try Session()
        s.state.notice = "loading models…"
        s.send(.noticeExpired("loading models…"))
        #expect(s.state.notice == nil)
        s.state.notice = "label saved"
        s.send(.noticeExpired("loading models…"))
        #expect(s.state.notice == "label saved")
    }

    @Test func staleSearchResultsAreDropped() throws {
        var s = try Session()
        s.type("planes")
        let old = s.state.generation
        s.type(" x")
        let stale = SearchResponse(results: [ResultItem(id: "stale", name: "stale.jpg", score: 1, caption: "")], milliseconds: 1)
        s.send(.searchFinished(generation: old, .success(stale)))
        #expect(s.state.results.isEmpty)
        #expect(s.state.searching)
        s.fireTimers()
        #expect(s.state.resultsQuery == "planes x")
        #expect(s.state.results.first?.id == "airport_1")
        #expect(!s.state.searching)
    }

    @Test func enterSearchesAtOnceAndRemembersTheQuery() throws {
        var s = try Session()
        s.type("parking lot")
        s.effects = []
        s.press(.enter)
        #expect(s.state.focus == .results)
        #expect(s.effects.contains(.appendHistory("parking lot")))
        #expect(s.state.results.map(\.id).prefix(2) == ["parking_1", "parking_2"])
        #expect(try s.store.history(limit: 500) == ["parking lot"])
    }

    @Test func historyWalksBackAndRestoresTheDraft() throws {
        var s = try Session()
        s.send(.historyLoaded(["beach", "forest"]))
        s.type("riv")
        s.press(.up)
        #expect(s.state.query.text == "forest")
        s.press(.up, .up)
        #expect(s.state.query.text == "beach")
        s.press(.down)
        #expect(s.state.query.text == "forest")
        s.press(.down)
        #expect(s.state.query.text == "riv")
        #expect(s.state.historyIndex == nil)
    }

    @Test func editingKeysOnTheQueryLine() throws {
        var s = try Session()
        s.type("planes parked")
        s.press(.control("w"))
        #expect(s.state.query.text == "planes ")
        s.press(.control("a"))
        s.type("two ")
        #expect(s.state.query.text == "two planes ")
        s.press(.control("e"), .backspace, .control("u"))
        #expect(s.state.query.text == "")
        #expect(s.state.results.isEmpty)
        s.send(.paste("beach\nsand"))
        #expect(s.state.query.text == "beach sand")
    }

    @Test func labelsAreSavedAtOnceAndUndone() throws {
        var s = try Session()
        s.type("planes")
        s.press(.enter)
        #expect(s.state.selected == 0)
        s.effects = []
        s.type("r")
        let first = LabelKey(query: "planes", imageID: "airport_1")
        #expect(s.effects.contains(.saveLabel(LabelChange(key: first, grade: 1))))
        #expect(s.state.labels[first] == 1)
        #expect(s.state.selected == 1)  // moves on, to label quickly
        s.type("n")
        let second = LabelKey(query: "planes", imageID: "airport_2")
        #expect(s.state.labels[second] == 0)
        #expect(s.state.selected == 1)  // the last result: the selection stays
        s.type("3")
        #expect(s.state.labels[second] == 3)
        #expect(try s.store.allLabels().sorted { $0.imageID < $1.imageID } == [
            Label(query: "planes", imageID: "airport_1", grade: 1),
            Label(query: "planes", imageID: "airport_2", grade: 3),
        ])
        s.type("u")
        #expect(s.state.labels[second] == 0)
        s.type("u")
        #expect(s.state.labels[second] == nil)
        s.type("u")
        #expect(s.state.labels[first] == nil)
        #expect(try s.store.allLabels().isEmpty)
        #expect(s.state.unconfirmed.isEmpty)
        #expect(s.state.notice == "label saved")
    }

    /// Issue 12, item 2: a burst of labels is shown pending (…) until each write returns, and
    /// "label saved" appears only when the last write of the burst has landed.
    @Test func labelsArePendingUntilTheirWriteReturns() throws {
        var s = try Session()
        s.type("planes beside the terminal")
        s.fireTimers()
        s.press(.tab)
        s.holdLabelWrites = true
        s.type("r")
        s.type("n")
        #expect(s.state.labelMark(of: "airport_1") == .pending)
        #expect(s.state.labelMark(of: "port_1") == .pending)
        #expect(s.state.notice == "2 labels pending")
        #expect(try s.store.allLabels().isEmpty)
        Golden.check(s.screen, "results-pending-80x24")
        let pendingScreen = Golden.text(s.screen)
        #expect(!pendingScreen.contains("✓") && !pendingScreen.contains("✗") && !pendingScreen.contains("saved"))

        s.landWrites(1)
        #expect(s.state.labelMark(of: "airport_1") == .saved(1))
        #expect(s.state.labelMark(of: "port_1") == .pending)
        #expect(s.state.notice == "1 label pending")
        s.landWrites()
        #expect(s.state.labelMark(of: "port_1") == .saved(0))
        #expect(s.state.notice == "label saved")
        #expect(s.state.unconfirmed.isEmpty)
        #expect(Golden.text(s.screen).contains("✓  airport_1.jpg"))
    }

    /// A label changed twice in a burst stays pending until its last write returns.
    @Test func aRelabelStaysPendingUntilItsLastWrite() throws {
        var s = try Session()
        s.type("planes")
        s.press(.enter)
        s.holdLabelWrites = true
        s.press(.down)
        s.type("r")
        s.type("n")
        s.type("r")
        #expect(s.state.unconfirmed.count == 3)
        s.landWrites(1)
        #expect(s.state.labelMark(of: "airport_2") == .pending)
        s.landWrites()
        #expect(s.state.labelMark(of: "airport_2") == .saved(1))
    }

    /// Issue 12, item 3: a failed write leaves no saved mark; the status line names the image;
    /// the same key again retries it.
    @Test func aFailedLabelWriteIsShownAsFailedNeverSaved() throws {
        var s = try Session()
        s.type("planes")
        s.press(.enter)
        s.holdLabelWrites = true
        s.type("r")
        s.type("3")
        s.landWrites(1, failing: "cannot write label store /tmp/l.sqlite: database is locked")
        #expect(s.state.labelMark(of: "airport_1") == .failed)
        #expect(s.state.notice == "label for airport_1.jpg NOT saved: cannot write label store /tmp/l.sqlite: database is locked")
        s.landWrites()
        // A later write landing does not hide the failure.
        #expect(s.state.labelMark(of: "airport_1") == .failed)
        #expect(s.state.labelMark(of: "airport_2") == .saved(3))
        #expect(s.state.notice?.contains("NOT saved") == true)
        let screen = Golden.text(s.screen)
        #expect(screen.contains("!  airport_1.jpg"))
        #expect(!screen.contains("✓  airport_1.jpg"))
        #expect(try s.store.allLabels().map(\.imageID) == ["airport_2"])

        s.press(.up)
        s.type("r")
        #expect(s.state.labelMark(of: "airport_1") == .pending)
        s.landWrites()
        #expect(s.state.labelMark(of: "airport_1") == .saved(1))
        #expect(s.state.notice == "label saved")
    }

    @Test func labelsNeedAQuery() throws {
        var s = try Session()
        s.press(.tab)
        s.type("r")
        #expect(s.state.labels.isEmpty)
    }

    @Test func feedbackSendsTheLabelsAndPlainReturns() throws {
        var config = BrowserConfig()
        config.rocchio = RocchioWeights(alpha: 1, beta: 0.5, gamma: 0.25)
        var s = try Session(config: config)
        s.type("terminal")
        s.press(.enter)
        s.type("f")
        #expect(!s.state.feedback)
        #expect(s.state.notice?.contains("relevant") == true)
        // Mark port_1 relevant (it is second for "terminal"), airport_1 not relevant.
        #expect(s.state.results.map(\.id).prefix(3) == ["airport_1", "airport_2", "port_1"])
        s.type("n")
        s.press(.down)
        s.type("2")
        s.effects = []
        s.type("f")
        #expect(s.state.feedback)
        let request = s.effects.compactMap { e -> SearchRequest? in if case let .search(r, _) = e { return r } else { return nil } }.first
        #expect(request?.feedback == FeedbackRequest(
            relevant: [.init(id: "port_1", weight: 2)], nonRelevant: ["airport_1"],
            weights: RocchioWeights(alpha: 1, beta: 0.5, gamma: 0.25)))
        #expect(s.state.results.first?.id == "port_1")
        #expect(Golden.text(s.screen).contains("feedback ON"))
        s.type("F")
        #expect(!s.state.feedback)
        #expect(s.state.results.first?.id == "airport_1")
    }

    @Test func neighboursStackOpensGoesBackAndSearchesCaptions() throws {
        var s = try Session()
        s.type("planes")
        s.press(.enter, .enter)
        #expect(s.state.neighbourStack.map(\.imageID) == ["airport_1"])
        #expect(s.state.neighbourStack.last?.content?.captions.first == "many planes parked beside the terminal")
        s.press(.down, .enter)
        #expect(s.state.neighbourStack.count == 2)
        s.press(.escape)
        #expect(s.state.neighbourStack.count == 1)
        s.press(.tab, .enter)
        #expect(s.state.neighbourStack.isEmpty)
        let caption = try #require(s.state.query.text.isEmpty ? nil : s.state.query.text)
        #expect(s.state.resultsQuery == caption)
        #expect(s.state.focus == .results)
        s.press(.enter)
        s.press(.backspace)
        #expect(s.state.neighbourStack.isEmpty)
    }

    @Test func backendFailuresShowAsNotices() throws {
        var s = try Session()
        s.type("fail")
        s.press(.enter)
        #expect(s.state.notice == "search failed: the index is on fire")
        #expect(Golden.text(s.screen).contains("search failed"))
    }

    @Test func mouseClickSelectsAndWheelScrolls() throws {
        var s = try Session()
        s.type("a")
        s.press(.enter)
        #expect(s.state.results.count >= 5)
        let layout = BrowserLayout(size: s.state.size)
        s.send(.mouse(MouseEvent(x: 5, y: layout.listRows.y + 3, kind: .click)))
        #expect(s.state.selected == 3)
        s.send(.mouse(MouseEvent(x: 5, y: 10, kind: .wheelUp)))
        #expect(s.state.selected == 0)
        s.send(.mouse(MouseEvent(x: 5, y: 10, kind: .wheelDown)))
        #expect(s.state.selected == 3)
        s.send(.mouse(MouseEvent(x: 20, y: 0, kind: .click)))
        #expect(s.state.focus == .query)
    }

    @Test func quitFromEveryState() throws {
        for setup in [[Key](), [.tab], [.function(1)], [.enter, .enter]] {
            var s = try Session()
            s.type("planes")
            s.press(.enter)
            for k in setup { s.press(k) }
            s.effects = []
            s.press(.control("c"))
            #expect(s.effects.contains(.quit))
            #expect(s.state.quitting)
        }
        var s = try Session()
        s.send(.interrupt)
        #expect(s.effects.contains(.quit))
    }

    @Test func previewModeCyclesAndAsksForNewPreviews() throws {
        var s = try Session(config: BrowserConfig(sixelAvailable: false))
        s.type("beach")
        s.press(.enter)
        #expect(s.state.previewMode == .symbols)
        s.effects = []
        s.type("p")
        #expect(s.state.previewMode == .ascii)
        #expect(s.effects.contains { if case let .loadPreview(k) = $0 { return k.mode == .ascii && k.imageID == "beach_1" } else { return false } })
        s.type("p")
        #expect(s.state.previewMode == .symbols)
        var sixel = try Session(config: BrowserConfig(sixelAvailable: true))
        sixel.type("beach")
        sixel.press(.enter)
        sixel.type("pp")
        #expect(sixel.state.previewMode == .sixel)
    }

    @Test func resizeKeepsTheSelectionVisible() throws {
        var s = try Session(size: Size(width: 80, height: 40))
        s.type("a")
        s.press(.enter, .end)
        let last = s.state.results.count - 1
        #expect(s.state.selected == last)
        s.send(.resize(Size(width: 60, height: 15)))
        let rows = BrowserLayout(size: s.state.size).listRows.height
        #expect(s.state.listScroll <= last && last < s.state.listScroll + rows)
    }
}
