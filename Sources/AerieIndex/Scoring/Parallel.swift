import AerieCore
import Dispatch
import Foundation

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

/// Runs `body(piece)` for every piece in `0..<pieces` on at most `workers` threads, each worker
/// taking the next piece as soon as it has finished one.
///
/// On a shared machine a thread that another process slows down then takes fewer pieces, where a
/// fixed share per thread would hold the whole call up until the slowest share is done.
func parallelPieces(_ pieces: Int, workers: Int, _ body: (Int) -> Void) {
    let next = Locked(0)  // the next piece to hand out
    parallelFor(max(1, min(workers, pieces))) { _ in
        while true {
            let piece = next.update { value -> Int in
                value += 1
                return value - 1
            }
            guard piece < pieces else { return }
            body(piece)
        }
    }
}

/// Carries a value whose thread safety the caller guarantees across a `@Sendable` boundary.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
