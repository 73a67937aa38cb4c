import Testing
import AerieBrowser

@Test func AerieBrowserModuleLinks() {
    #expect(Bool(true))
}
