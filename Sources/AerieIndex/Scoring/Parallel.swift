import Dispatch

/// Runs `body(0..<iterations)` on the global concurrent queue and waits for all of them.
///
/// The scoring kernels hand each iteration its own disjoint slice of output memory, which the
/// compiler cannot see through raw pointers; this is the one place that vouches for it.
func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    guard iterations > 1 else {
        if iterations == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(value: escapable)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

/// Carries a value whose thread safety the caller guarantees across a `@Sendable` boundary.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
