import Testing
import AerieTerminal

private func environment(_ variables: [String: String], stdin: Bool = true, stdout: Bool = true) -> TerminalEnvironment {
    TerminalEnvironment(environment: variables, stdinIsTerminal: stdin, stdoutIsTerminal: stdout)
}

private let utf8 = ["LANG": "en_US.UTF-8"]

@Suite("Capabilities")
struct CapabilityTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var variables: [String: String]
        var stdout: Bool = true
        var colors: ColorMode
        var sixel: Bool
        var unicode: Bool
        var testDescription: String { name }
    }

    static let table: [Row] = [
        Row(name: "xterm-256color", variables: ["TERM": "xterm-256color"].merging(utf8) { a, _ in a },
            colors: .palette256, sixel: false, unicode: true),
        Row(name: "COLORTERM=truecolor", variables: ["TERM": "xterm-256color", "COLORTERM": "truecolor"],
            colors: .truecolor, sixel: false, unicode: false),
        Row(name: "COLORTERM=24bit", variables: ["TERM": "xterm", "COLORTERM": "24bit"],
            colors: .truecolor, sixel: false, unicode: false),
        Row(name: "plain xterm", variables: ["TERM": "xterm"], colors: .palette16, sixel: false, unicode: false),
        Row(name: "linux console", variables: ["TERM": "linux", "LANG": "C.UTF-8"],
            colors: .palette16, sixel: false, unicode: false),
        Row(name: "dumb", variables: ["TERM": "dumb", "LANG": "C.UTF-8"], colors: .none, sixel: false, unicode: false),
        Row(name: "no TERM", variables: [:], colors: .none, sixel: false, unicode: false),
        Row(name: "NO_COLOR", variables: ["TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"],
            colors: .none, sixel: false, unicode: false),
        Row(name: "empty NO_COLOR is ignored", variables: ["TERM": "xterm-256color", "NO_COLOR": ""],
            colors: .palette256, sixel: false, unicode: false),
        Row(name: "mlterm has sixel", variables: ["TERM": "mlterm", "LC_ALL": "en_GB.utf8"],
            colors: .palette16, sixel: true, unicode: true),
        Row(name: "WezTerm", variables: ["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"],
            colors: .truecolor, sixel: true, unicode: false),
        Row(name: "foot", variables: ["TERM": "foot"], colors: .truecolor, sixel: true, unicode: false),
        Row(name: "kitty", variables: ["TERM": "xterm-kitty"], colors: .truecolor, sixel: false, unicode: false),
        Row(name: "inside tmux: no sixel", variables: ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0",
                                                       "TERM_PROGRAM": "WezTerm"],
            colors: .truecolor, sixel: false, unicode: false),
        Row(name: "screen: no sixel", variables: ["TERM": "screen.mlterm"], colors: .palette16, sixel: false, unicode: false),
        Row(name: "piped output: nothing", variables: ["TERM": "mlterm", "COLORTERM": "truecolor", "LANG": "C.UTF-8"],
            stdout: false, colors: .none, sixel: false, unicode: true),
        Row(name: "LC_ALL wins over LANG", variables: ["TERM": "xterm", "LC_ALL": "C", "LANG": "en_US.UTF-8"],
            colors: .palette16, sixel: false, unicode: false),
    ]

    @Test("environment decision table", arguments: table)
    func decisionTable(_ row: Row) {
        let env = environment(row.variables, stdout: row.stdout)
        let guess = CapabilityDetection.guess(from: env)
        #expect(guess.colors == row.colors)
        #expect(guess.sixel == row.sixel)
        #expect(guess.unicode == row.unicode)
        #expect(guess.isTerminal == row.stdout)
    }

    @Test("queries are only allowed when stdin and stdout are both terminals")
    func mayQuery() {
        #expect(environment([:], stdin: true, stdout: true).mayQuery)
        #expect(!environment([:], stdin: false, stdout: true).mayQuery)
        #expect(!environment([:], stdin: true, stdout: false).mayQuery)
    }

    @Test("DA1 and XTWINOPS replies are parsed; noise is ignored")
    func parseReplies() {
        let bytes = Array("x\u{1B}[6;20;10t\u{1B}[4;480;800t\u{1B}[?62;4;22c".utf8)
        let replies = CapabilityDetection.parseReplies(bytes)
        #expect(replies.deviceAttributes == [62, 4, 22])
        #expect(replies.reportsSixel)
        #expect(replies.isComplete)
        #expect(replies.cellPixelSize == PixelSize(width: 10, height: 20))
        #expect(replies.windowPixelSize == PixelSize(width: 800, height: 480))

        let noSixel = CapabilityDetection.parseReplies(Array("\u{1B}[?1;2c".utf8))
        #expect(noSixel.deviceAttributes == [1, 2])
        #expect(!noSixel.reportsSixel)

        // 8-bit CSI, zero sizes rejected, truncated reply incomplete.
        let eightBit = CapabilityDetection.parseReplies([0x9B] + Array("?64;4c".utf8))
        #expect(eightBit.reportsSixel)
        #expect(CapabilityDetection.parseReplies(Array("\u{1B}[6;0;0t".utf8)).cellPixelSize == nil)
        let truncated = CapabilityDetection.parseReplies(Array("\u{1B}[6;20;10t\u{1B}[?62;4".utf8))
        #expect(!truncated.isComplete)
        #expect(truncated.cellPixelSize == PixelSize(width: 10, height: 20))
        #expect(CapabilityDetection.parseReplies([]) == CapabilityDetection.Replies())
        // A DA1 without '?' is a request echo, not a reply; other finals are skipped.
        #expect(CapabilityDetection.parseReplies(Array("\u{1B}[c\u{1B}[12;5R".utf8)).deviceAttributes == nil)
    }

    @Test("replies refine the guess; tmux never gets sixel; window size gives a cell size")
    func refine() {
        let plain = environment(["TERM": "xterm-256color"])
        let guess = CapabilityDetection.guess(from: plain)
        let sixelReply = CapabilityDetection.Replies(deviceAttributes: [62, 4])
        let refined = CapabilityDetection.refine(guess, with: sixelReply, windowCells: (80, 24), environment: plain)
        #expect(refined.sixel)
        #expect(refined.columns == 80)

        let tmux = environment(["TERM": "tmux-256color", "TMUX": "/tmp/x,1,0"])
        let inTmux = CapabilityDetection.refine(CapabilityDetection.guess(from: tmux), with: sixelReply,
                                                windowCells: nil, environment: tmux)
        #expect(!inTmux.sixel)

        let window = CapabilityDetection.Replies(deviceAttributes: [1], windowPixelSize: PixelSize(width: 800, height: 480))
        let fromWindow = CapabilityDetection.refine(guess, with: window, windowCells: (80, 24), environment: plain)
        #expect(fromWindow.cellPixelSize == PixelSize(width: 10, height: 20))
        #expect(!fromWindow.sixel)
    }

    @Test("overrides replace every guess")
    func overrides() {
        let guess = CapabilityDetection.guess(from: environment(["TERM": "xterm"], stdout: false))
        let forced = guess.applying(.init(colors: .truecolor, sixel: true, unicode: true,
                                          cellPixelSize: PixelSize(width: 8, height: 16), columns: 132))
        #expect(forced.colors == .truecolor)
        #expect(forced.sixel)
        #expect(forced.unicode)
        #expect(forced.cellPixelSize == PixelSize(width: 8, height: 16))
        #expect(forced.columns == 132)
        #expect(guess.applying(.init()) == guess)
    }

    @Test("canvas decisions: explicit choices win, auto follows the terminal, piped output stays plain")
    func canvasDecisions() {
        let image = PixelSize(width: 200, height: 100)
        let sixelTerminal = TerminalCapabilities(colors: .truecolor, sixel: true, unicode: true,
                                                 cellPixelSize: PixelSize(width: 8, height: 16), columns: 120,
                                                 isTerminal: true)
        let piped = TerminalCapabilities(colors: .none, sixel: false, unicode: true, cellPixelSize: nil,
                                         columns: nil, isTerminal: false)
        let plain = TerminalCapabilities(colors: .palette16, sixel: false, unicode: false, cellPixelSize: nil,
                                         columns: 100, isTerminal: true)

        let auto = CanvasConfiguration.decide(request: .init(), capabilities: sixelTerminal, imageSize: image)
        #expect(auto.backend == .sixel)
        #expect(auto.columns == 80)
        #expect(auto.rows == 20)  // 80 columns × (100/200) × (8/16)
        #expect(auto.pixelSize == PixelSize(width: 640, height: 320))

        let pipedAuto = CanvasConfiguration.decide(request: .init(), capabilities: piped, imageSize: image)
        #expect(pipedAuto.backend == .symbols(.ascii))
        #expect(pipedAuto.colors == .none)

        let pipedAsked = CanvasConfiguration.decide(request: .init(mode: .symbols, colors: .truecolor),
                                                    capabilities: piped, imageSize: image)
        #expect(pipedAsked.backend == .symbols(.half))
        #expect(pipedAsked.colors == .truecolor)

        let plainAuto = CanvasConfiguration.decide(request: .init(columns: 40), capabilities: plain, imageSize: image)
        #expect(plainAuto.backend == .symbols(.ascii))
        #expect(plainAuto.colors == .palette16)
        #expect(plainAuto.columns == 40)
        #expect(plainAuto.rows == 10)

        let chosen = CanvasConfiguration.decide(request: .init(symbols: .braille, dither: .ordered),
                                                capabilities: sixelTerminal, imageSize: image)
        #expect(chosen.backend == .symbols(.braille))
        #expect(chosen.dither == .ordered)
    }

    @Test("widths beyond the preview limits are refused with the range, and every canvas is clamped to them")
    func previewLimits() {
        let cell = PixelSize(width: 10, height: 20)
        for columns in [0, -3, 1001, 8000, 16000, Int.max] {
            #expect(throws: PreviewLimits.Violation.columns(columns)) {
                try PreviewLimits.validate(columns: columns, mode: .symbols, cell: cell)
            }
        }
        #expect(throws: PreviewLimits.Violation.sixelWidth(columns: 1000, cell: cell, maximumColumns: 409)) {
            try PreviewLimits.validate(columns: 1000, mode: .sixel, cell: cell)
        }
        #expect(throws: PreviewLimits.Violation.sixelWidth(columns: 410, cell: cell, maximumColumns: 409)) {
            try PreviewLimits.validate(columns: 410, mode: .sixel, cell: cell)
        }
        #expect(throws: Never.self) { try PreviewLimits.validate(columns: 409, mode: .sixel, cell: cell) }
        #expect(throws: Never.self) { try PreviewLimits.validate(columns: 1000, mode: .symbols, cell: cell) }
        #expect(PreviewLimits.Violation.columns(16000).description.contains("1 to 1000 columns"))

        // What reaches the renderer (the browser's panes included) is clamped.
        let sixelTerminal = TerminalCapabilities(colors: .truecolor, sixel: true, unicode: true, cellPixelSize: cell,
                                                 columns: 120, isTerminal: true)
        let wide = CanvasConfiguration.decide(request: .init(mode: .sixel, columns: Int.max), capabilities: sixelTerminal,
                                              imageSize: PixelSize(width: 100, height: 100))
        #expect(wide.pixelSize.width <= PreviewLimits.sixelPixels && wide.pixelSize.height <= PreviewLimits.sixelPixels)
        let tall = CanvasConfiguration.decide(request: .init(mode: .symbols, columns: 1000, maximumRows: Int.max),
                                              capabilities: sixelTerminal, imageSize: PixelSize(width: 1, height: 5000))
        #expect(tall.columns <= 1000 && tall.rows <= 1000)
    }

    @Test("cell geometry keeps the aspect ratio and honours a row limit")
    func geometry() {
        let cell = PixelSize(width: 10, height: 20)
        #expect(CanvasConfiguration.cellGeometry(imageSize: PixelSize(width: 100, height: 100), maximumColumns: 40,
                                                 maximumRows: nil, cell: cell) == (40, 20))
        #expect(CanvasConfiguration.cellGeometry(imageSize: PixelSize(width: 100, height: 400), maximumColumns: 40,
                                                 maximumRows: 20, cell: cell) == (10, 20))
        #expect(CanvasConfiguration.cellGeometry(imageSize: PixelSize(width: 1000, height: 1), maximumColumns: 40,
                                                 maximumRows: nil, cell: cell) == (40, 1))
    }
}
