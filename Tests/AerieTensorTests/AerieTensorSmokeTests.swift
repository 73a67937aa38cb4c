import Testing
import AerieTensor

@Test func AerieTensorModuleLinks() {
    #expect(Bool(true))
}
