/// A bounded max-heap that keeps the `k` best candidates seen so far.
///
/// Candidates are ordered by a *key* where smaller is better (a distance, or a negated
/// similarity), ties broken by the lower id, so results never depend on thread scheduling.
/// The worst kept candidate sits at the root, so rejecting a candidate costs one comparison.
struct TopK {
    let k: Int
    private(set) var keys: [Float]
    private(set) var ids: [Int]

    init(k: Int) {
        precondition(k >= 0, "k must not be negative, got \(k)")
        self.k = k
        keys = []
        ids = []
        keys.reserveCapacity(k)
        ids.reserveCapacity(k)
    }

    /// True when `(keyA, idA)` ranks after `(keyB, idB)`.
    @inline(__always)
    static func worse(_ keyA: Float, _ idA: Int, than keyB: Float, _ idB: Int) -> Bool {
        keyA > keyB || (keyA == keyB && idA > idB)
    }

    /// The key a candidate must beat to enter once the heap is full (`+inf` before).
    @inline(__always)
    var threshold: Float { keys.count < k ? .infinity : keys[0] }

    /// Offers a candidate; keeps it when it ranks among the best `k`.
    @inline(__always)
    mutating func offer(key: Float, id: Int) {
        if keys.count < k {
            keys.append(key)
            ids.append(id)
            siftUp(keys.count - 1)
        } else if k > 0, TopK.worse(keys[0], ids[0], than: key, id) {
            keys[0] = key
            ids[0] = id
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard TopK.worse(keys[child], ids[child], than: keys[parent], ids[parent]) else { break }
            keys.swapAt(child, parent)
            ids.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let n = keys.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { break }
            var worst = left
            let right = left + 1
            if right < n, TopK.worse(keys[right], ids[right], than: keys[left], ids[left]) { worst = right }
            guard TopK.worse(keys[worst], ids[worst], than: keys[parent], ids[parent]) else { break }
            keys.swapAt(worst, parent)
            ids.swapAt(worst, parent)
            parent = worst
        }
    }

    /// The kept candidates, best first.
    func sorted() -> [(key: Float, id: Int)] {
        zip(keys, ids).map { (key: $0, id: $1) }.sorted { TopK.worse($1.key, $1.id, than: $0.key, $0.id) }
    }

    /// The best `k` of several heaps' candidates, best first.
    static func merge(_ heaps: [TopK], k: Int) -> [(key: Float, id: Int)] {
        var merged = TopK(k: k)
        for heap in heaps {
            for i in heap.keys.indices { merged.offer(key: heap.keys[i], id: heap.ids[i]) }
        }
        return merged.sorted()
    }
}
