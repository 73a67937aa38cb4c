import Testing
import AerieIndex

@Test func AerieIndexModuleLinks() {
    #expect(Bool(true))
}
