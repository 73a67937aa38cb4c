import AerieBrowser
import Testing

@Suite struct LineEditorTests {
    @Test func insertsAtTheCursorAndMovesByGraphemes() {
        var e = LineEditor()
        e.insert("planes")
        e.moveLeft()
        e.moveLeft()
        e.insert("X")
        #expect(e.text == "planXes")
        #expect(e.cursor == 5)
        e.moveHome()
        e.deleteForward()
        #expect(e.text == "lanXes")
        e.moveEnd()
        e.deleteBackward()
        #expect(e.text == "lanXe")
    }

    @Test func readlineKills() {
        var e = LineEditor("planes parked beside  the terminal")
        e.killWordBackward()
        #expect(e.text == "planes parked beside  the ")
        e.killWordBackward()
        #expect(e.text == "planes parked beside  ")
        e.moveHome()
        e.wordRight()
        e.killToEnd()
        #expect(e.text == "planes")
        e.moveLeft()
        e.killToStart()
        #expect(e.text == "s")
        #expect(e.cursor == 0)
    }

    @Test func combiningMarksAndWideCharactersAreSingleSteps() {
        var e = LineEditor("e")
        e.insert("\u{301}")  // combining acute joins the e
        #expect(e.graphemes.count == 1)
        e.insert("東京")
        #expect(e.graphemes.count == 3)
        e.moveLeft()
        #expect(e.visible(width: 20).cursorColumn == 3)  // é (1) + 東 (2)
        e.deleteBackward()
        #expect(e.text == "e\u{301}京")
    }

    @Test func pastedControlCharactersNeverReachTheQuery() {
        var e = LineEditor()
        e.insert("a\u{1B}[2Jb\nc\td\u{7}")
        #expect(e.text == "a[2Jb c d")
    }

    @Test func longLinesScrollToKeepTheCursorVisible() {
        var e = LineEditor(String(repeating: "abcdefghij", count: 5))
        let end = e.visible(width: 10)
        #expect(end.cursorColumn == 9)
        #expect(end.text == "bcdefghij")
        e.moveHome()
        let start = e.visible(width: 10)
        #expect(start.cursorColumn == 0)
        #expect(start.text == "abcdefghij")
        var wide = LineEditor(String(repeating: "東", count: 10))
        let w = wide.visible(width: 9)
        #expect(w.cursorColumn == 8)
        #expect(w.text == "東東東東")
        wide.moveHome()
        #expect(wide.visible(width: 9).text == "東東東東")
    }
}
