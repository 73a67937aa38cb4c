import AerieImage
import ArgumentParser
import Foundation

/// `aerie-bench decode`: image decoding throughput of AerieImage against Python's Pillow.
///
/// Both sides decode the same files, already read into memory, to RGBA8 on one thread, three
/// rounds each; the best round counts (the machine is shared, so the least disturbed run is the
/// fairest). Pillow runs in a virtual environment the benchmark creates on first use under
/// `~/.cache/aerie/bench-venv` (`pip install pillow`).
struct DecodeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode throughput (images/s, MB/s) of AerieImage versus Pillow on the same files."
    )

    @Option(help: "Folder of images to decode (default: ../shared/data/rsicd-aid/images).")
    var images: String?

    @Option(help: "Decode at most this many files (sorted by name).")
    var limit: Int = 3000

    @Option(help: "Rounds per decoder; the fastest counts.")
    var rounds: Int = 3

    @Option(help: "Python interpreter used to create the Pillow virtual environment.")
    var python: String = "python3"

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: images ?? Self.defaultImagesFolder().path)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .prefix(limit)
        let files = names.map { folder.appendingPathComponent($0) }
        guard !files.isEmpty else { throw ValidationError("no files in \(folder.path)") }

        let encoded = try files.map { try Data(contentsOf: $0) }
        let totalBytes = encoded.reduce(0) { $0 + $1.count }
        print("decode: \(files.count) files, \(String(format: "%.1f", Double(totalBytes) / 1e6)) MB encoded, from \(folder.path)")

        // AerieImage.
        var aerieBest = Double.infinity
        var decodedPixels = 0, failures = 0
        for _ in 0..<rounds {
            decodedPixels = 0; failures = 0
            let clock = ContinuousClock()
            let start = clock.now
            for (file, data) in zip(files, encoded) {
                do {
                    let image = try ImageDecoder.decode(data: data, name: file.path)
                    decodedPixels += image.width * image.height
                } catch {
                    failures += 1
                }
            }
            aerieBest = min(aerieBest, (clock.now - start).seconds)
        }

        // Pillow, on the same files.
        let pillow = try PillowDecodeRun(python: python).run(files: files, rounds: rounds)

        func line(_ label: String, seconds: Double, images: Int, pixels: Int, failures: Int) -> String {
            let perSecond = Double(images) / seconds
            let megabytes = Double(totalBytes) / 1e6 / seconds
            let megapixels = Double(pixels) / 1e6 / seconds
            return "  \(label.padding(toLength: 22, withPad: " ", startingAt: 0))"
                + String(format: "%9.1f images/s %8.1f MB/s %8.1f Mpx/s  (%.3f s, %d failed)",
                         perSecond, megabytes, megapixels, seconds, failures)
        }
        print(line("AerieImage", seconds: aerieBest, images: files.count, pixels: decodedPixels, failures: failures))
        print(line("Pillow \(pillow.version)", seconds: pillow.seconds, images: files.count,
                   pixels: pillow.pixels, failures: pillow.failures))
        print(String(format: "  ratio (AerieImage throughput / Pillow throughput): %.2fx", pillow.seconds / aerieBest))
        if decodedPixels != pillow.pixels {
            print("  warning: the decoders disagree on total pixels (\(decodedPixels) vs \(pillow.pixels))")
        }
    }

    /// `$AERIE_SHARED_DATA/rsicd-aid/images`, else `../shared/data/rsicd-aid/images` beside the
    /// repository this benchmark was built from.
    static func defaultImagesFolder() -> URL {
        if let root = ProcessInfo.processInfo.environment["AERIE_SHARED_DATA"], !root.isEmpty {
            return URL(fileURLWithPath: root).appendingPathComponent("rsicd-aid/images")
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // aerie-bench
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // repository root
            .deletingLastPathComponent()
            .appendingPathComponent("shared/data/rsicd-aid/images")
    }
}

/// Runs Pillow in a private virtual environment and reads back its timing.
struct PillowDecodeRun {
    var python: String

    struct Result {
        var version: String
        var seconds: Double
        var pixels: Int
        var failures: Int
    }

    /// Pillow decodes each file from memory, like AerieImage, and converts to RGBA.
    static let script = #"""
import io, json, sys, time
import PIL
from PIL import Image
paths = [line.rstrip("\n") for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
rounds = int(sys.argv[2])
blobs = [open(p, "rb").read() for p in paths]
best = float("inf")
for _ in range(rounds):
    pixels = failures = 0
    start = time.perf_counter()
    for blob in blobs:
        try:
            image = Image.open(io.BytesIO(blob)).convert("RGBA")
            pixels += image.width * image.height
        except Exception:
            failures += 1
    best = min(best, time.perf_counter() - start)
print(json.dumps({"version": PIL.__version__, "seconds": best, "pixels": pixels, "failures": failures}))
"""#

    func run(files: [URL], rounds: Int) throws -> Result {
        let interpreter = try ensureVirtualEnvironment()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let list = work.appendingPathComponent("files.txt")
        let scriptFile = work.appendingPathComponent("pillow_decode.py")
        try files.map(\.path).joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)

        let output = try Subprocess.run(interpreter, [scriptFile.path, list.path, String(rounds)])
        guard let lastLine = output.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any],
              let seconds = json["seconds"] as? Double, let pixels = json["pixels"] as? Int,
              let failures = json["failures"] as? Int, let version = json["version"] as? String else {
            throw ValidationError("cannot parse the Pillow script's output: \(output)")
        }
        return Result(version: version, seconds: seconds, pixels: pixels, failures: failures)
    }

    /// `~/.cache/aerie/bench-venv/bin/python` with Pillow installed, created when missing.
    func ensureVirtualEnvironment() throws -> String {
        let cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/aerie/bench-venv")
        let interpreter = cache.appendingPathComponent("bin/python").path
        if !FileManager.default.isExecutableFile(atPath: interpreter) {
            FileHandle.standardError.write(Data("creating \(cache.path) (python -m venv)\n".utf8))
            _ = try Subprocess.run(python, ["-m", "venv", cache.path])
        }
        if (try? Subprocess.run(interpreter, ["-c", "import PIL"])) == nil {
            FileHandle.standardError.write(Data("installing Pillow into \(cache.path)\n".utf8))
            _ = try Subprocess.run(interpreter, ["-m", "pip", "install", "--quiet", "pillow"])
        }
        return interpreter
    }
}
