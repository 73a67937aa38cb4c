import Testing
import AerieImage

@Test func AerieImageModuleLinks() {
    #expect(Bool(true))
}
