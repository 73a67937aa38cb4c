import AerieCore
import AerieJoint
import AerieTensor
import AerieTestSupport
import Foundation
import Testing

@Suite struct QueryBankTests {
    static func bank() -> QueryBank {
        var g = SplitMix64(seed: 5)
        return QueryBank(vectors: Tensor(shape: [7, 4], data: L2.normalized(g.floats(28), dimension: 4)))
    }

    @Test func roundTripsThroughItsRecord() throws {
        let folder = try TemporaryDirectory()
        let bank = Self.bank()
        let record = try bank.save(to: folder.url, source: "test")
        #expect(record.count == 7 && record.source == "test")
        let loaded = try QueryBank.load(from: folder.url, record: record, dimension: 4)
        // Stored as float16.
        #expect(zip(loaded.vectors.data, bank.vectors.data).allSatisfy { abs($0 - $1) < 1e-3 })
    }

    @Test func aMissingTruncatedOrForeignBankNamesTheFile() throws {
        let folder = try TemporaryDirectory()
        let record = try Self.bank().save(to: folder.url, source: "test")
        let url = folder.url.appendingPathComponent(QueryBank.fileName)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 3).write(to: url)
        #expect(throws: JointError.badFile(path: url.path, reason: "the query bank does not match the head's card (truncated or altered)")) {
            try QueryBank.load(from: folder.url, record: record, dimension: 4)
        }
        try FileManager.default.removeItem(at: url)
        #expect(throws: JointError.self) { try QueryBank.load(from: folder.url, record: record, dimension: 4) }
        // The right file read with another head's dimension is refused too.
        _ = try Self.bank().save(to: folder.url, source: "test")
        #expect(throws: (any Error).self) { try QueryBank.load(from: folder.url, record: record, dimension: 5) }
    }

    @Test func spreadTakesEvenlySpacedRows() {
        #expect(QueryBank.spread(3, over: 9) == [0, 3, 6])
        #expect(QueryBank.spread(5, over: 3) == [0, 1, 2])
        #expect(QueryBank.spread(0, over: 3).isEmpty)
    }
}
