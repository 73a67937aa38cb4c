import AerieBrowser
import AerieImage
import AerieTerminal
import Testing

/// Rendered screens compared with golden text files (`AERIE_RECORD_GOLDEN=1` re-records).
@Suite struct ScreenTests {
    @Test func startScreen() throws {
        let s = try Session()
        Golden.check(s.screen, "start-80x24")
    }

    @Test func resultsWithPreviewAndLabels() throws {
        var s = try Session()
        s.type("planes beside the terminal")
        s.fireTimers()
        s.press(.tab)
        s.type("r")
        s.type("n")
        #expect(s.state.selected == 2)
        Golden.check(s.screen, "results-80x24")
    }

    @Test func wideQueryAndCursor() throws {
        var s = try Session(size: Size(width: 60, height: 15))
        s.type("東京の空港 planes")
        s.press(.left, .left, .left, .left, .left, .left, .left)
        Golden.check(s.screen, "wide-query-60x15")
        #expect(s.screen.cursor?.x == "Search › ".count + 10)
    }

    @Test func gridView() throws {
        var s = try Session(size: Size(width: 80, height: 24))
        s.type("a")
        s.press(.enter)
        s.type("g")
        s.press(.right, .down)
        Golden.check(s.screen, "grid-80x24")
    }

    @Test func neighboursView() throws {
        var s = try Session(size: Size(width: 100, height: 30))
        s.type("planes")
        s.press(.enter, .enter)
        Golden.check(s.screen, "neighbours-100x30")
    }

    @Test func helpOverlay() throws {
        var s = try Session()
        s.type("beach")
        s.press(.enter)
        s.type("?")
        Golden.check(s.screen, "help-80x24")
        s.press(.escape)
        #expect(!s.state.showHelp)
    }

    @Test func tooSmall() throws {
        var s = try Session(size: Size(width: 30, height: 6))
        s.type("planes")
        Golden.check(s.screen, "too-small-30x6")
        #expect(s.screen.lines.count == 6)
        s.send(.resize(Size(width: 2, height: 1)))
        #expect(s.screen.lines == ["Te"])
        s.send(.resize(Size(width: 0, height: 0)))
        #expect(s.screen.lines.isEmpty)
    }

    @Test func hostileNamesAndCaptionsAreSanitized() throws {
        let hostile = InMemoryBackend(images: [
            .init(id: "evil\u{1B}]0;pwned\u{7}", name: "evil\u{1B}[2J\u{1B}]0;title\u{7}.jpg", captions: ["planes \u{1B}[31mred\u{9B}1m \u{202E}txt.exe"]),
            .init(id: "wide", name: "飛行機😀\u{200B}.jpg", captions: ["planes ok"]),
        ])
        var s = try Session(backend: hostile)
        s.type("planes")
        s.press(.enter)
        let screen = s.screen
        for cell in screen.cells {
            for scalar in cell.glyph.unicodeScalars {
                #expect(!TerminalText.isNeutralised(scalar), "cell holds \(scalar.value)")
            }
        }
        Golden.check(screen, "hostile-80x24")
    }

    @Test func noColorDropsEveryColour() throws {
        var s = try Session(config: BrowserConfig(noColor: true))
        s.type("beach")
        s.press(.enter)
        #expect(s.screen.cells.allSatisfy { $0.style.foreground == .none && $0.style.background == .none })
        var colored = try Session()
        colored.type("beach")
        colored.press(.enter)
        #expect(colored.screen.cells.contains { $0.style.foreground != .none })
    }

    @Test func sixelPreviewsAreOverlaysOnBlankCells() throws {
        var s = try Session(config: BrowserConfig(sixelAvailable: true))
        s.type("beach")
        s.press(.enter)
        let key = try #require(s.state.previews.keys.first)
        let configuration = CanvasConfiguration(backend: .sixel, columns: 6, rows: 2, cellPixelSize: .defaultCell,
                                                colors: .truecolor, dither: .none)
        let sixel = try PreviewRenderer.renderSixel(RGBAImage(width: 30, height: 20, fill: (200, 40, 40, 255)),
                                                    configuration: configuration)
        var state = s.state
        state.previews = [PreviewKey(imageID: key.imageID, size: key.size, mode: .sixel): .rendered(.sixel(sixel))]
        state.previewMode = .sixel
        let screen = Browser.view(state, size: state.size)
        #expect(screen.sixels.count == 1)
        let area = try #require(screen.sixels.first?.area)
        #expect(area.width == 6 && area.height == 2)
        for y in area.y..<area.maxY { for x in area.x..<area.maxX { #expect(screen[x, y].glyph == " ") } }
        state.showHelp = true
        #expect(Browser.view(state, size: state.size).sixels.isEmpty)
    }

    @Test func everySizeRendersWithinBounds() throws {
        var s = try Session()
        s.type("planes terminal")
        s.press(.enter)
        for w in stride(from: 1, through: 130, by: 7) {
            for h in stride(from: 1, through: 50, by: 5) {
                s.send(.resize(Size(width: w, height: h)))
                let screen = s.screen
                #expect(screen.lines.count == h)
                #expect(screen.lines.allSatisfy { TerminalText.displayWidth($0) == w })
            }
        }
    }
}
