import Testing
import AerieTestSupport

extension Trait where Self == ConditionTrait {
    /// Runs the test only when `path` exists under the shared data root, else skips it with the
    /// standard message naming the missing path.
    static func requiresSharedData(_ path: String) -> Self {
        .enabled(if: SharedData.url(path) != nil, Comment(rawValue: SharedData.missingMessage(path)))
    }
}
