import Foundation

/// `count` vectors of `dimension` components in one row-major block of memory: the engine's input.
///
/// The memory is either owned (allocated from Swift arrays, 64-byte aligned) or borrowed from a
/// memory-mapped vector file kept alive by `owner`. Rows are immutable once built, so a matrix is
/// safe to share between threads.
///
/// For cosine and euclidean scoring the matrix keeps each row's norm, computed once on creation,
/// so rows need not be normalised.
public final class VectorMatrix: @unchecked Sendable {
    /// How components are stored.
    public let type: VectorType
    /// Number of rows.
    public let count: Int
    /// Components per row (bits per row for binary codes).
    public let dimension: Int
    /// Bytes from one row to the next.
    public let rowBytes: Int
    /// The first row.
    let base: UnsafeRawPointer
    /// Keeps borrowed memory alive; `nil` when `base` is owned and freed on deinit.
    private let owner: AnyObject?
    /// `1 / ‖row‖` (0 for a zero row), float types only.
    let inverseNorms: [Float]
    /// `‖row‖²`, float types only.
    let squaredNorms: [Float]

    /// Takes ownership of an aligned block of rows allocated by ``allocateBlock(_:)``.
    private init(type: VectorType, count: Int, dimension: Int, owning block: UnsafeMutableRawPointer) {
        self.type = type
        self.count = count
        self.dimension = dimension
        self.rowBytes = type.rowBytes(dimension: dimension)
        self.base = UnsafeRawPointer(block)
        self.owner = nil
        (inverseNorms, squaredNorms) = VectorMatrix.norms(type: type, base: UnsafeRawPointer(block), count: count, dimension: dimension)
    }

    /// Copies `array`'s bytes into a new 64-byte aligned block.
    private static func copyBlock<T>(_ array: [T]) -> UnsafeMutableRawPointer {
        array.withUnsafeBytes { bytes in
            let block = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
            if let source = bytes.baseAddress, bytes.count > 0 { block.copyMemory(from: source, byteCount: bytes.count) }
            return block
        }
    }

    /// Wraps rows that live in memory owned by `owner` (a mapped file), without copying.
    ///
    /// - Precondition: `base` points to `count * type.rowBytes(dimension:)` readable bytes that stay
    ///   valid and unchanged while `owner` lives.
    public init(type: VectorType, count: Int, dimension: Int, borrowing base: UnsafeRawPointer, owner: AnyObject) {
        precondition(count >= 0 && dimension > 0, "bad matrix shape \(count)x\(dimension)")
        self.type = type
        self.count = count
        self.dimension = dimension
        self.rowBytes = type.rowBytes(dimension: dimension)
        self.base = base
        self.owner = owner
        (inverseNorms, squaredNorms) = VectorMatrix.norms(type: type, base: base, count: count, dimension: dimension)
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    // MARK: Half-precision shadow

    /// A float16 copy of a float32 matrix's rows and, per row, how far a cosine key computed on
    /// the copy can be from the key computed on the float32 row: what lets a single cosine
    /// query read half the bytes and still return exactly the float32 result (see
    /// `ScoringEngine.prefilteredCosine`).
    final class HalfShadow: @unchecked Sendable {
        /// Rows of `dimension` float16 values, `2 * dimension` bytes apart.
        let base: UnsafeMutableRawPointer
        /// `|key₃₂ − key₁₆| ≤ keySlack[row]` for any unit query, float rounding of both kernels included.
        let keySlack: [Float]

        init(base: UnsafeMutableRawPointer, keySlack: [Float]) {
            self.base = base
            self.keySlack = keySlack
        }

        deinit { base.deallocate() }
    }

    private let shadowLock = NSLock()
    nonisolated(unsafe) private var shadowStorage: HalfShadow?

    /// The shadow when ``prepareHalfShadow()`` has built it.
    var halfShadow: HalfShadow? {
        shadowLock.lock()
        defer { shadowLock.unlock() }
        return shadowStorage
    }

    /// Builds a float16 copy of a float32 matrix (half its size again in memory) so that single
    /// cosine queries scan half the bytes, with results identical to the float32 scan. Worth it
    /// for interactive search (the browser); a no-op for other storage types or when built.
    public func prepareHalfShadow() {
        guard type == .float32, count > 0 else { return }
        shadowLock.lock()
        defer { shadowLock.unlock() }
        guard shadowStorage == nil else { return }
        let d = dimension
        let halves = UnsafeMutableRawPointer.allocate(byteCount: count * d * 2, alignment: 64)
        let out = halves.assumingMemoryBound(to: Float16.self)
        // Rounding error of a float32 dot product of d terms (with or without FMA), as a
        // multiple of Σ|qᵢxᵢ| ≤ ‖q‖‖x‖; doubled for the query's own norm rounding.
        let gamma = 2 * Double(d + 2) * 0x1p-24 * 2
        var slack = [Float](repeating: 0, count: count)
        for row in 0..<count {
            let x = (base + row * rowBytes).assumingMemoryBound(to: Float.self)
            var error2 = 0.0, norm2H = 0.0
            for j in 0..<d {
                let h = Float16(x[j])
                out[row * d + j] = h
                let e = Double(x[j]) - Double(Float(h))
                error2 += e * e
                norm2H += Double(Float(h)) * Double(Float(h))
            }
            let normX = Double(squaredNorms[row]).squareRoot()
            let inv = Double(inverseNorms[row])
            // |dot₃₂ − dot₁₆| ≤ ‖x − h‖ + γ(‖x‖ + ‖h‖) for ‖q‖ ≤ 1 + γ; keys scale by 1/‖x‖,
            // and each key's own product rounding adds a few ulps of |key| ≤ 1 + γ.
            let bound = (error2.squareRoot() * (1 + gamma) + gamma * (normX + norm2H.squareRoot())) * inv + 8 * 0x1p-24
            // A component beyond float16's range makes the bound infinite: the row is always rescored.
            slack[row] = bound.isFinite ? Float(bound * 1.01) : .infinity
        }
        shadowStorage = HalfShadow(base: halves, keySlack: slack)
    }

    /// A float32 matrix from `values.count / dimension` rows.
    public convenience init(float32 values: [Float], dimension: Int) {
        precondition(dimension > 0 && values.count % dimension == 0,
                     "\(values.count) values do not make rows of \(dimension)")
        self.init(type: .float32, count: values.count / dimension, dimension: dimension,
                  owning: VectorMatrix.copyBlock(values))
    }

    /// A float16 matrix from float32 values, rounded to the nearest `Float16`.
    public convenience init(float16From values: [Float], dimension: Int) {
        precondition(dimension > 0 && values.count % dimension == 0,
                     "\(values.count) values do not make rows of \(dimension)")
        let halves = values.map { Float16($0) }
        self.init(type: .float16, count: values.count / dimension, dimension: dimension,
                  owning: VectorMatrix.copyBlock(halves))
    }

    /// A binary matrix of the sign bits of float32 rows (see ``VectorType/binary``).
    public convenience init(binaryFrom values: [Float], dimension: Int) {
        precondition(dimension > 0 && values.count % dimension == 0,
                     "\(values.count) values do not make rows of \(dimension)")
        let codes = BinaryCodes.encode(values, dimension: dimension)
        self.init(type: .binary, count: values.count / dimension, dimension: dimension,
                  owning: VectorMatrix.copyBlock(codes))
    }

    /// A matrix of the given type from float32 rows.
    public convenience init(_ type: VectorType, from values: [Float], dimension: Int) {
        switch type {
        case .float32: self.init(float32: values, dimension: dimension)
        case .float16: self.init(float16From: values, dimension: dimension)
        case .binary: self.init(binaryFrom: values, dimension: dimension)
        }
    }

    /// The raw bytes of all rows (what a vector file stores).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: rowBytes * count) }

    /// Row `index` widened to float32 (binary codes become ±1).
    public func row(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < count, "row \(index) out of 0..<\(count)")
        let rowBase = base + index * rowBytes
        switch type {
        case .float32:
            return Array(UnsafeBufferPointer(start: rowBase.assumingMemoryBound(to: Float.self), count: dimension))
        case .float16:
            let halves = rowBase.assumingMemoryBound(to: Float16.self)
            return (0..<dimension).map { Float(halves[$0]) }
        case .binary:
            let words = rowBase.assumingMemoryBound(to: UInt64.self)
            return (0..<dimension).map { (words[$0 / 64] >> UInt64($0 % 64)) & 1 == 1 ? 1 : -1 }
        }
    }

    private static func norms(type: VectorType, base: UnsafeRawPointer, count: Int, dimension: Int) -> ([Float], [Float]) {
        guard type != .binary, count > 0 else { return ([], []) }
        var squared = [Float](repeating: 0, count: count)
        let rowBytes = type.rowBytes(dimension: dimension)
        squared.withUnsafeMutableBufferPointer { out in
            for row in 0..<count {
                let pointer = base + row * rowBytes
                out[row] = type == .float32
                    ? RowKernels.dotF32(pointer, pointer, dimension)
                    : RowKernels.squaredNormF16(pointer, dimension)
            }
        }
        let inverse = squared.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        return (inverse, squared)
    }
}

/// Sign-bit codes: bit `j` of a row is 1 when component `j` is positive.
public enum BinaryCodes {
    /// Packs the sign bits of `values` (rows of `dimension`) into `UInt64` words, row by row.
    public static func encode(_ values: [Float], dimension: Int) -> [UInt64] {
        precondition(dimension > 0 && values.count % dimension == 0, "values do not make rows of \(dimension)")
        let words = VectorType.binaryWords(dimension: dimension)
        let rows = values.count / dimension
        var codes = [UInt64](repeating: 0, count: rows * words)
        for row in 0..<rows {
            for j in 0..<dimension where values[row * dimension + j] > 0 {
                codes[row * words + j / 64] |= 1 << UInt64(j % 64)
            }
        }
        return codes
    }
}
