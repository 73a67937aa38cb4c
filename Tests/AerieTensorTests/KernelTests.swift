import AerieCore
import Foundation
import Testing
@testable import AerieTensor
import AerieTestSupport

/// Each fast kernel against its slow twin in ReferenceKernels, on seeded random shapes.
@Suite struct KernelTests {
    @Test(arguments: 0..<6 as Range<UInt64>)
    func linearMatchesReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let rows = Int.random(in: 1...9, using: &rng), k = Int.random(in: 1...70, using: &rng), n = Int.random(in: 1...40, using: &rng)
        let x = rng.floats(rows * k), w = rng.floats(n * k), b = rng.floats(n)
        for bias in [b, nil] {
            var y = [Float](repeating: .nan, count: rows * n)
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
                if let bias {
                    bias.withUnsafeBufferPointer { bp in
                        Kernels.linear(xp.baseAddress!, rows: rows, inFeatures: k, weight: wp.baseAddress!, bias: bp.baseAddress!, outFeatures: n, into: yp.baseAddress!)
                    }
                } else {
                    Kernels.linear(xp.baseAddress!, rows: rows, inFeatures: k, weight: wp.baseAddress!, bias: nil, outFeatures: n, into: yp.baseAddress!)
                }
            } } }
            let expected = ReferenceKernels.linear(x, rows: rows, inFeatures: k, weight: w, bias: bias, outFeatures: n)
            #expect(maxAbsDifference(y, expected) < Tolerance.product, "rows \(rows) k \(k) n \(n) bias \(bias != nil)")
        }
    }

    @Test(arguments: 0..<6 as Range<UInt64>)
    func layerNormMatchesReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let rows = Int.random(in: 1...7, using: &rng), width = Int.random(in: 1...50, using: &rng)
        let x = rng.floats(rows * width, scale: 3), residual = rng.floats(rows * width)
        let gamma = rng.floats(width), beta = rng.floats(width)
        for useResidual in [false, true] {
            var y = x
            y.withUnsafeMutableBufferPointer { yp in
                residual.withUnsafeBufferPointer { rp in
                    gamma.withUnsafeBufferPointer { g in beta.withUnsafeBufferPointer { b in
                        Kernels.addLayerNorm(yp.baseAddress!, residual: useResidual ? rp.baseAddress! : nil, rows: rows, width: width,
                                             gamma: g.baseAddress!, beta: b.baseAddress!, epsilon: 1e-12)
                    } }
                }
            }
            let expected = ReferenceKernels.layerNorm(x, residual: useResidual ? residual : nil, rows: rows, width: width,
                                                      gamma: gamma, beta: beta, epsilon: 1e-12)
            #expect(maxAbsDifference(y, expected) < Tolerance.normalisation, "rows \(rows) width \(width)")
        }
    }

    @Test func geluMatchesErfFormAcrossItsRange() {
        // A dense sweep over where GELU bends, plus the tails where erf saturates; the count is
        // not a multiple of 8, to exercise the scalar remainder.
        var x = stride(from: Float(-9), through: 9, by: 0.0137).map { $0 }
        x += [0, -0, 1e-30, -1e-30, 40, -40, 3]
        var y = x
        y.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count) }
        #expect(x.count % 8 != 0)
        #expect(maxAbsDifference(y, ReferenceKernels.gelu(x)) < Tolerance.elementwise)
    }

    @Test(arguments: 0..<4 as Range<UInt64>)
    func softmaxRowsMatchesReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let rows = Int.random(in: 1...5, using: &rng), width = Int.random(in: 1...30, using: &rng)
        let ld = width + Int.random(in: 0...3, using: &rng)
        let x = rng.floats(rows * ld, scale: 20)
        var y = x
        y.withUnsafeMutableBufferPointer { Kernels.softmaxRows($0.baseAddress!, rows: rows, width: width, ld: ld) }
        for r in 0..<rows {
            let got = Array(y[r * ld ..< r * ld + width])
            #expect(maxAbsDifference(got, ReferenceKernels.softmax(Array(x[r * ld ..< r * ld + width]))) < Tolerance.elementwise)
            #expect(Array(y[r * ld + width ..< r * ld + ld]) == Array(x[r * ld + width ..< r * ld + ld]), "columns past width untouched")
        }
    }

    /// The packed, unpadded attention equals the reference's padded attention with a key mask.
    @Test(arguments: 0..<5 as Range<UInt64>)
    func packedAttentionMatchesMaskedReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let heads = Int.random(in: 1...4, using: &rng), headDim = Int.random(in: 1...9, using: &rng)
        let hidden = heads * headDim
        let lengths = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Int.random(in: 1...11, using: &rng) }
        let maxLength = lengths.max()!
        let q = rng.floats(lengths.count * maxLength * hidden, scale: 2)
        let k = rng.floats(q.count, scale: 2), v = rng.floats(q.count)
        // Pack the valid rows as the encoder does: one (3·hidden) row per token.
        var qkv: [Float] = []
        for (b, length) in lengths.enumerated() {
            for i in 0..<length {
                let row = (b * maxLength + i) * hidden
                qkv += q[row ..< row + hidden] + k[row ..< row + hidden] + v[row ..< row + hidden]
            }
        }
        let total = lengths.reduce(0, +)
        var out = [Float](repeating: .nan, count: total * hidden)
        var scores = [Float](repeating: 0, count: maxLength * maxLength)
        qkv.withUnsafeBufferPointer { qp in out.withUnsafeMutableBufferPointer { op in scores.withUnsafeMutableBufferPointer { sp in
            var offset = 0
            for length in lengths {
                Kernels.attention(qkv: qp.baseAddress! + offset * 3 * hidden, length: length, heads: heads, headDim: headDim,
                                  output: op.baseAddress! + offset * hidden, ldOutput: hidden, scores: sp.baseAddress!)
                offset += length
            }
        } } }
        let expected = ReferenceKernels.maskedAttention(q: q, k: k, v: v, lengths: lengths, maxLength: maxLength, heads: heads, headDim: headDim)
        var packedExpected: [Float] = []
        for (b, length) in lengths.enumerated() {
            packedExpected += expected[(b * maxLength) * hidden ..< (b * maxLength + length) * hidden]
        }
        #expect(maxAbsDifference(out, packedExpected) < Tolerance.product, "lengths \(lengths) heads \(heads)×\(headDim)")
    }

    @Test func embeddingLookupSumsRows() {
        var rng = SplitMix64(seed: 7)
        let table = rng.floats(5 * 3)
        let ids: [Int32] = [4, 0, 4, 2]
        var out = [Float](repeating: 1, count: ids.count * 3)
        ids.withUnsafeBufferPointer { idp in table.withUnsafeBufferPointer { tp in out.withUnsafeMutableBufferPointer { op in
            Kernels.embeddingLookup(table: tp.baseAddress!, tableRows: 5, width: 3, ids: idp, into: op.baseAddress!, accumulate: true)
        } } }
        let expected = ids.flatMap { id in (0..<3).map { 1 + table[Int(id) * 3 + $0] } }
        #expect(maxAbsDifference(out, expected) == 0)
    }

    @Test func meanThenNormalise() {
        var x: [Float] = [1, 2, 3, 5, 6, 7]
        var mean = [Float](repeating: 0, count: 3)
        x.withUnsafeMutableBufferPointer { xp in mean.withUnsafeMutableBufferPointer { mp in
            Kernels.meanRows(xp.baseAddress!, rows: 2, width: 3, into: mp.baseAddress!)
            L2.normalize(mp.baseAddress!, count: 3, floor: 1e-12, scaling: .reciprocal)
        } }
        let norm = (9.0 + 16 + 25).squareRoot()
        #expect(maxAbsDifference(mean, [Float(3 / norm), Float(4 / norm), Float(5 / norm)]) < Tolerance.elementwise)
    }

    @Test func npyRoundTripAndHeader() throws {
        let tensor = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, .pi, -0])
        let data = NPY.encode(tensor)
        #expect(Array(data.prefix(8)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: data[10 ..< 10 + headerLength], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(header.hasSuffix("\n"))
        #expect(try NPY.decode(data, path: "t.npy") == tensor)
        let vector = Tensor(shape: [4], data: [1, 2, 3, 4])
        #expect(String(decoding: NPY.encode(vector)[10..<70], as: UTF8.self).contains("'shape': (4,)"))
        #expect(throws: NPYError.self) { try NPY.decode(Data("not npy".utf8), path: "x") }
    }
}
