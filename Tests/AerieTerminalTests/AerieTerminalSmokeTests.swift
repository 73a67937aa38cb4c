import Testing
import AerieTerminal

@Test func AerieTerminalModuleLinks() {
    #expect(Bool(true))
}
