import Foundation
import Testing
import AerieTestSupport
@testable import AerieTensor

/// Crafted safetensors files are refused with an error naming the file and the tensor, never a
/// trap (issue 12, items 9 and 24).
@Suite struct SafeTensorsHostileTests {
    func file(_ json: String, payload: Int) -> Data { SafeTensorsFixture.data(header: json, payloadBytes: payload) }

    @Test func shapeWhoseProductOverflowsIsRefused() {
        // [2^62, 2^62] of F32: the element count and the byte count both overflow Int.
        let big = 1 << 62
        let data = file(#"{"w": {"dtype": "F32", "shape": [\#(big), \#(big)], "data_offsets": [0, 16]}}"#, payload: 16)
        #expect(throws: SafeTensorsError.impossibleShape(path: "m.safetensors", tensor: "w", shape: ["\(big)", "\(big)"])) {
            try SafeTensorsFile(data: data, path: "m.safetensors")
        }
        // Elements that fit but bytes that do not ([2^61, 2] × 4 bytes).
        let data2 = file(#"{"w": {"dtype": "F32", "shape": [\#(1 << 61), 2], "data_offsets": [0, 16]}}"#, payload: 16)
        #expect(throws: SafeTensorsError.impossibleShape(path: "m.safetensors", tensor: "w", shape: ["\(1 << 61)", "2"])) {
            try SafeTensorsFile(data: data2, path: "m.safetensors")
        }
    }

    @Test func nonIntegerShapesAreRefusedNotDropped() {
        // A string among the dimensions used to be dropped silently, making [x, 4] read as [4].
        let data = file(#"{"w": {"dtype": "F32", "shape": ["x", 4], "data_offsets": [0, 16]}}"#, payload: 16)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: data, path: "m.safetensors") }
        let negative = file(#"{"w": {"dtype": "F32", "shape": [-1, -4], "data_offsets": [0, 16]}}"#, payload: 16)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: negative, path: "m.safetensors") }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteWeightsAreRefused(bad: Float) throws {
        var values = [Float](repeating: 0.5, count: 40)
        values[17] = bad
        let data = try SafeTensorsWriter.data(tensors: ["w": Tensor(shape: [4, 10], data: values), "ok": Tensor(shape: [2], data: [1, 2])])
        let file = try SafeTensorsFile(data: data, path: "m.safetensors")
        #expect(throws: SafeTensorsError.nonFinite(path: "m.safetensors", tensor: "w", index: 17)) { try file.tensor("w") }
        #expect(try file.tensor("ok").data == [1, 2])
        // The same through half precision.
        let half = try SafeTensorsFile(data: SafeTensorsWriter.data(tensors: ["w": Tensor(shape: [4, 10], data: values)], dtype: .f16),
                                       path: "h.safetensors")
        #expect(throws: SafeTensorsError.nonFinite(path: "h.safetensors", tensor: "w", index: 17)) { try half.tensor("w") }
    }

    @Test func firstNonFiniteFindsTheFirst() {
        #expect(BLAS.firstNonFinite([1, 2, 3]) == nil)
        #expect(BLAS.firstNonFinite([]) == nil)
        #expect(BLAS.firstNonFinite([1, .nan, .infinity]) == 1)
        // Large finite values whose sum overflows are still finite.
        #expect(BLAS.firstNonFinite([Float](repeating: .greatestFiniteMagnitude, count: 4)) == nil)
    }
}
