import Testing
import AerieDatasets

@Test func AerieDatasetsModuleLinks() {
    #expect(Bool(true))
}
