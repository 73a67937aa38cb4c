import CRowKernels

/// The engine's inner loops over raw rows: 16-wide SIMD accumulators that the optimiser keeps in
/// vector registers, a scalar tail for dimensions that are not multiples of 16.
///
/// Every kernel has a slow, obvious twin in the test target (`ReferenceScoring`). On CPUs with
/// AVX2, FMA, F16C and POPCNT the engine scores fp32 cosine and fp16 rows with the C
/// kernels of CRowKernels instead (see `ScoringEngine.scanAccelerated`); these Swift kernels are
/// then their twins in the tests, and the path everywhere else.
enum RowKernels {
    /// True when CRowKernels runs its AVX2/F16C/POPCNT code on this CPU (checked once).
    static let accelerated: Bool = aerie_kernels_accelerated() != 0

    typealias V = SIMD16<Float>
    static let width = 16
    /// Rescales a binary32 whose exponent field holds a binary16 exponent: 2^(127-15).
    static let halfRebias: Float = 0x1p112

    // MARK: float32

    /// `Σ a[i]·b[i]` over `n` float32 components.
    @inline(__always)
    static func dotF32(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Float {
        var acc0 = V(), acc1 = V()
        var i = 0
        while i + 2 * width <= n {
            acc0 += a.loadUnaligned(fromByteOffset: i * 4, as: V.self) * b.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            acc1 += a.loadUnaligned(fromByteOffset: (i + width) * 4, as: V.self)
                * b.loadUnaligned(fromByteOffset: (i + width) * 4, as: V.self)
            i += 2 * width
        }
        if i + width <= n {
            acc0 += a.loadUnaligned(fromByteOffset: i * 4, as: V.self) * b.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            i += width
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += a.load(fromByteOffset: i * 4, as: Float.self) * b.load(fromByteOffset: i * 4, as: Float.self)
            i += 1
        }
        return sum
    }

    /// `Σ (a[i]-b[i])²` over `n` float32 components.
    @inline(__always)
    static func squaredL2F32(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n {
            let d = a.loadUnaligned(fromByteOffset: i * 4, as: V.self) - b.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            acc += d * d
            i += width
        }
        var sum = acc.sum()
        while i < n {
            let d = a.load(fromByteOffset: i * 4, as: Float.self) - b.load(fromByteOffset: i * 4, as: Float.self)
            sum += d * d
            i += 1
        }
        return sum
    }

    /// `Σ |a[i]-b[i]|` over `n` float32 components.
    @inline(__always)
    static func l1F32(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n {
            acc += absolute(a.loadUnaligned(fromByteOffset: i * 4, as: V.self) - b.loadUnaligned(fromByteOffset: i * 4, as: V.self))
            i += width
        }
        var sum = acc.sum()
        while i < n {
            sum += abs(a.load(fromByteOffset: i * 4, as: Float.self) - b.load(fromByteOffset: i * 4, as: Float.self))
            i += 1
        }
        return sum
    }

    @inline(__always)
    static func absolute(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7fff_ffff, to: V.self)
    }

    // MARK: float16

    /// Widens `n` float16 values to float32.
    ///
    /// Shifting a half's exponent and mantissa into a single's place and multiplying by 2^112
    /// rebiases the exponent exactly for zeros, subnormals and normal numbers alike: a plain
    /// scalar loop that the optimiser vectorises (x86-64's baseline has no half-precision
    /// conversion instruction, and the library call per value is far slower). Infinities and
    /// NaNs (exponent all ones) do not survive the multiplication, so a row holding one is
    /// patched afterwards.
    @inline(__always)
    static func widenRow(_ h: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, _ n: Int) {
        let halves = h.assumingMemoryBound(to: UInt16.self)
        var special: UInt32 = 0
        for i in 0..<n {
            let x = UInt32(halves[i])
            let magnitude = x & 0x7fff
            special |= magnitude &+ 0x0400  // bit 15 set iff the exponent is all ones
            out[i] = Float(bitPattern: (magnitude << 13) | ((x & 0x8000) << 16)) * halfRebias
        }
        if special & 0x8000 != 0 {
            for i in 0..<n where halves[i] & 0x7c00 == 0x7c00 { out[i] = Float(Float16(bitPattern: halves[i])) }
        }
    }

    /// `Σ h[i]²` of a float16 row.
    static func squaredNormF16(_ h: UnsafeRawPointer, _ n: Int) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { scratch in
            guard let base = scratch.baseAddress else { return 0 }
            widenRow(h, into: base, n)
            return dotF32(base, base, n)
        }
    }

    // MARK: binary codes

    /// Number of differing bits between two codes of `words` 64-bit words: the twin of
    /// CRowKernels' `aerie_hamming_knn` in the tests (binary search always runs the C kernel).
    @inline(__always)
    static func hamming(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ words: Int) -> Int {
        var count = 0
        var i = 0
        while i + 4 <= words {
            let x = a.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<UInt64>.self) ^ b.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<UInt64>.self)
            count &+= x[0].nonzeroBitCount &+ x[1].nonzeroBitCount &+ x[2].nonzeroBitCount &+ x[3].nonzeroBitCount
            i += 4
        }
        while i < words {
            count &+= (a.load(fromByteOffset: i * 8, as: UInt64.self) ^ b.load(fromByteOffset: i * 8, as: UInt64.self)).nonzeroBitCount
            i += 1
        }
        return count
    }
}
