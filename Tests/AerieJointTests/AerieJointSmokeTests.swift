import Testing
import AerieJoint

@Test func AerieJointModuleLinks() {
    #expect(Bool(true))
}
