import Testing
import AerieModels

@Test func AerieModelsModuleLinks() {
    #expect(Bool(true))
}
