/// The engine's inner loops over raw rows: 16-wide SIMD accumulators that the optimiser keeps in
/// vector registers, a scalar tail for dimensions that are not multiples of 16.
///
/// Every kernel has a slow, obvious twin in the test target (`ReferenceScoring`).
enum Kernels {
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

    // MARK: float16 rows against a float32 query

    /// Widens 16 binary16 values to binary32.
    ///
    /// Shifting the half's exponent and mantissa into a single's place and multiplying by 2^112
    /// rebiases the exponent exactly for zeros, subnormals and normal numbers alike; infinities
    /// and NaNs (exponent all ones) do not survive that, so a chunk holding one takes the scalar
    /// conversion instead.
    @inline(__always)
    static func widen(_ raw: UnsafeRawPointer, byteOffset: Int) -> V {
        let halves = raw.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<UInt16>.self)
        let x = SIMD16<UInt32>(truncatingIfNeeded: halves)
        let magnitude = x & 0x7fff
        if any(magnitude .>= 0x7c00) {
            var out = V()
            for lane in 0..<width { out[lane] = Float(Float16(bitPattern: halves[lane])) }
            return out
        }
        let bits = (magnitude &<< 13) | ((x & 0x8000) &<< 16)
        return unsafeBitCast(bits, to: V.self) * halfRebias
    }

    @inline(__always)
    static func half(_ raw: UnsafeRawPointer, _ index: Int) -> Float {
        Float(Float16(bitPattern: raw.load(fromByteOffset: index * 2, as: UInt16.self)))
    }

    /// `Σ q[i]·h[i]`, `q` float32, `h` float16.
    @inline(__always)
    static func dotF16(_ q: UnsafeRawPointer, _ h: UnsafeRawPointer, _ n: Int) -> Float {
        var acc0 = V(), acc1 = V()
        var i = 0
        while i + 2 * width <= n {
            acc0 += q.loadUnaligned(fromByteOffset: i * 4, as: V.self) * widen(h, byteOffset: i * 2)
            acc1 += q.loadUnaligned(fromByteOffset: (i + width) * 4, as: V.self) * widen(h, byteOffset: (i + width) * 2)
            i += 2 * width
        }
        if i + width <= n {
            acc0 += q.loadUnaligned(fromByteOffset: i * 4, as: V.self) * widen(h, byteOffset: i * 2)
            i += width
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += q.load(fromByteOffset: i * 4, as: Float.self) * half(h, i)
            i += 1
        }
        return sum
    }

    /// `Σ (q[i]-h[i])²`, `q` float32, `h` float16.
    @inline(__always)
    static func squaredL2F16(_ q: UnsafeRawPointer, _ h: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n {
            let d = q.loadUnaligned(fromByteOffset: i * 4, as: V.self) - widen(h, byteOffset: i * 2)
            acc += d * d
            i += width
        }
        var sum = acc.sum()
        while i < n {
            let d = q.load(fromByteOffset: i * 4, as: Float.self) - half(h, i)
            sum += d * d
            i += 1
        }
        return sum
    }

    /// `Σ |q[i]-h[i]|`, `q` float32, `h` float16.
    @inline(__always)
    static func l1F16(_ q: UnsafeRawPointer, _ h: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n {
            acc += absolute(q.loadUnaligned(fromByteOffset: i * 4, as: V.self) - widen(h, byteOffset: i * 2))
            i += width
        }
        var sum = acc.sum()
        while i < n {
            sum += abs(q.load(fromByteOffset: i * 4, as: Float.self) - half(h, i))
            i += 1
        }
        return sum
    }

    /// `Σ h[i]²` of a float16 row.
    static func squaredNormF16(_ h: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n {
            let v = widen(h, byteOffset: i * 2)
            acc += v * v
            i += width
        }
        var sum = acc.sum()
        while i < n {
            let v = half(h, i)
            sum += v * v
            i += 1
        }
        return sum
    }

    /// Widens `n` float16 values to float32.
    static func widenRow(_ h: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + width <= n {
            UnsafeMutableRawPointer(out + i).storeBytes(of: widen(h, byteOffset: i * 2), as: V.self)
            i += width
        }
        while i < n {
            out[i] = half(h, i)
            i += 1
        }
    }

    // MARK: binary codes

    /// Number of differing bits between two codes of `words` 64-bit words.
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
