import AerieImage
import Dispatch
import Foundation

/// What the image files of a data set really are, sniffed from their bytes, not their names.
public struct FormatReport: Sendable, Codable, Equatable {
    /// A file that could not be read or whose header could not be parsed.
    public struct Failure: Sendable, Codable, Equatable {
        public let filename: String
        public let reason: String
    }

    /// How many files were examined (present images only).
    public let examined: Int
    /// Files per format (`png`, `jpeg`, `tiff`).
    public let formats: [String: Int]
    /// Files per pixel size, keyed `"WxH"`.
    public let sizes: [String: Int]
    /// Files whose extension names another format than their bytes (`a.tif` holding a JPEG).
    public let mislabelled: Int
    /// Files that could not be probed, in data set order.
    public let failures: [Failure]
}

extension CaptionDataset {
    /// Reads the header of every present image (at most `limit`) and counts formats and sizes.
    ///
    /// Headers are parsed by AerieImage's ``ImageDecoder/probe(data:name:)`` from the file's
    /// magic bytes, on all cores; the result is in data set order whatever the scheduling.
    ///
    /// - Parameter limit: Examine only the first `limit` present images (`nil`: all).
    public func formatReport(limit: Int? = nil) -> FormatReport {
        let present = presentImages
        let entries = limit.map { Array(present.prefix(max(0, $0))) } ?? present
        let results = ProbeResults(count: entries.count)
        DispatchQueue.concurrentPerform(iterations: entries.count) { i in
            let entry = entries[i]
            do {
                let data = try Data(contentsOf: entry.url, options: .mappedIfSafe)
                let header = try ImageDecoder.probe(data: data, name: entry.filename)
                results.set(i, .success((header.format, header.width, header.height)))
            } catch {
                results.set(i, .failure(String(describing: error)))
            }
        }
        var formats: [String: Int] = [:]
        var sizes: [String: Int] = [:]
        var mislabelled = 0
        var failures: [FormatReport.Failure] = []
        for (entry, result) in zip(entries, results.values) {
            switch result {
            case .success(let (format, width, height)):
                formats[format.rawValue, default: 0] += 1
                sizes["\(width)x\(height)", default: 0] += 1
                if Self.format(ofExtension: entry.url.pathExtension) != format { mislabelled += 1 }
            case .failure(let reason):
                failures.append(FormatReport.Failure(filename: entry.filename, reason: reason))
            case nil:
                failures.append(FormatReport.Failure(filename: entry.filename, reason: "not examined"))
            }
        }
        return FormatReport(examined: entries.count, formats: formats, sizes: sizes,
                            mislabelled: mislabelled, failures: failures)
    }

    static func format(ofExtension ext: String) -> ImageFormat? {
        switch ext.lowercased() {
        case "png": .png
        case "jpg", "jpeg": .jpeg
        case "tif", "tiff": .tiff
        default: nil
        }
    }
}

private enum ProbeResult: Sendable {
    case success((ImageFormat, Int, Int))
    case failure(String)
}

/// One slot per image, written once each from concurrent workers under a lock.
private final class ProbeResults: @unchecked Sendable {
    private var storage: [ProbeResult?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: ProbeResult) {
        lock.lock(); defer { lock.unlock() }
        storage[index] = value
    }

    var values: [ProbeResult?] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
