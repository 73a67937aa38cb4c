import Foundation

/// A value behind a lock: the project's one lock wrapper.
///
/// For small shared state read and written from several threads (the last encoded query, the
/// runtime's latest search generation). Each call holds the lock only for its own body.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func get() -> Value {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    public func set(_ newValue: Value) {
        lock.lock()
        value = newValue
        lock.unlock()
    }

    /// Runs `body` on the value with the lock held and returns its result.
    public func update<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
