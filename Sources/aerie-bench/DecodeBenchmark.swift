import AerieImage
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `aerie-bench decode`: image decoding throughput of AerieImage against Python's Pillow.
///
/// Both sides decode the same files, already read into memory, to RGBA8 on one thread. Rounds
/// alternate (AerieImage, then Pillow, then AerieImage...) so both see the same load on a
/// shared machine; the best round of each counts. Wall-clock and CPU time are both reported:
/// on a busy machine the CPU-time ratio is the steadier of the two. Pillow runs in the
/// benchmarks' shared virtual environment (``PythonReference``, `~/.cache/aerie/bench-venv`,
/// `pip install pillow` on first use). A sanity check compares the two decoders' per-image mean levels.
struct DecodeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode throughput (images/s, MB/s) of AerieImage versus Pillow on the same files."
    )

    @Option(help: "Folder of images to decode (default: ../shared/data/rsicd-aid/images).")
    var images: String?

    @Option(help: "Decode at most this many files (sorted by name).")
    var limit: Int = 3000

    @Option(help: "Rounds per decoder, alternating; the fastest of each counts.")
    var rounds: Int = 3

    @Option(help: "Python interpreter with Pillow (default: $AERIE_BENCH_PYTHON, else the shared bench venv).")
    var python: String?

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
        print("decode: \(files.count) files, \(String(format: "%.1f", Double(totalBytes) / 1e6)) MB encoded, "
              + "\(rounds) alternating rounds, from \(folder.path)")

        let pillow = try PillowDecodeRun(python: python, files: files)
        defer { pillow.removeFiles() }
        var aerieBest = Timing.worst, pillowBest = Timing.worst
        var aeriePixels = 0, aerieFailures = 0
        var pillowResult: PillowDecodeRun.Result?
        for _ in 0..<rounds {
            var pixels = 0, failures = 0
            let timing = Timing.measure {
                for (file, data) in zip(files, encoded) {
                    do {
                        let image = try ImageDecoder.decode(data: data, name: file.path)
                        pixels += image.width * image.height
                    } catch {
                        failures += 1
                    }
                }
            }
            aerieBest = aerieBest.best(timing)
            aeriePixels = pixels
            aerieFailures = failures
            let result = try pillow.round()
            pillowBest = pillowBest.best(Timing(wall: result.wall, cpu: result.cpu))
            pillowResult = result
        }
        guard let pillowResult else { return }

        func line(_ label: String, _ timing: Timing, pixels: Int, failures: Int) -> String {
            let seconds = timing.wall
            return "  \(label.padding(toLength: 16, withPad: " ", startingAt: 0))"
                + String(format: "%8.1f images/s %7.1f MB/s %7.1f Mpx/s   wall %.3f s, cpu %.3f s, %d failed",
                         Double(files.count) / seconds, Double(totalBytes) / 1e6 / seconds,
                         Double(pixels) / 1e6 / seconds, timing.wall, timing.cpu, failures)
        }
        print(line("AerieImage", aerieBest, pixels: aeriePixels, failures: aerieFailures))
        print(line("Pillow \(pillowResult.version)", pillowBest, pixels: pillowResult.pixels, failures: pillowResult.failures))
        print(String(format: "  ratio AerieImage/Pillow throughput: %.2fx wall-clock, %.2fx CPU time",
                     pillowBest.wall / aerieBest.wall, pillowBest.cpu / aerieBest.cpu))
        if aeriePixels != pillowResult.pixels {
            print("  warning: the decoders disagree on total pixels (\(aeriePixels) vs \(pillowResult.pixels))")
        }

        // Sanity: the same files decode to the same pictures (both sit on libjpeg-turbo, with
        // possibly different versions and IDCT settings, so means agree closely, not exactly).
        var largest = 0.0
        for (index, mean) in pillowResult.means.enumerated() {
            guard let image = try? ImageDecoder.decode(data: encoded[index], name: files[index].path) else { continue }
            let aerieMean = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
            largest = max(largest, abs(aerieMean - mean))
        }
        print(String(format: "  agreement: largest per-image mean-level difference over the first %d images: %.3f (of 255)",
                     pillowResult.means.count, largest))
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

/// Wall-clock and CPU time of one run.
struct Timing {
    var wall: Double
    var cpu: Double

    static let worst = Timing(wall: .infinity, cpu: .infinity)

    /// The faster of two runs, on each measure separately.
    func best(_ other: Timing) -> Timing { Timing(wall: min(wall, other.wall), cpu: min(cpu, other.cpu)) }

    /// Times `body` on the calling thread.
    static func measure(_ body: () -> Void) -> Timing {
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        body()
        let wall = (clock.now - start).seconds
        return Timing(wall: wall, cpu: threadCPUSeconds() - cpuStart)
    }

    /// CPU time consumed by the calling thread.
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}

/// Runs Pillow in a private virtual environment, one timed round per call.
struct PillowDecodeRun {
    struct Result {
        var version: String
        var wall: Double
        var cpu: Double
        var pixels: Int
        var failures: Int
        /// Mean byte level of the RGBA pixels of the first images, for the agreement check.
        var means: [Double]
    }

    let interpreter: String
    let work: URL
    let list: URL
    let scriptFile: URL

    /// Pillow decodes each file from memory, like AerieImage, and converts to RGBA.
    static let script = #"""
import io, json, sys, time
import PIL
from PIL import Image, ImageStat
paths = [line.rstrip("\n") for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
blobs = [open(p, "rb").read() for p in paths]
pixels = failures = 0
cpu_start, start = time.thread_time(), time.perf_counter()
for blob in blobs:
    try:
        image = Image.open(io.BytesIO(blob)).convert("RGBA")
        pixels += image.width * image.height
    except Exception:
        failures += 1
wall, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
means = []
for blob in blobs[:200]:
    try:
        stat = ImageStat.Stat(Image.open(io.BytesIO(blob)).convert("RGBA"))
        means.append(sum(stat.mean) / 4)
    except Exception:
        means.append(-1000.0)
print(json.dumps({"version": PIL.__version__, "wall": wall, "cpu": cpu, "pixels": pixels,
                  "failures": failures, "means": means}))
"""#

    /// Prepares the virtual environment and the script's input files.
    init(python: String?, files: [URL]) throws {
        interpreter = try PythonReference.interpreter(explicit: python, modules: ["PIL"], requirements: ["pillow"])
        work = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        list = work.appendingPathComponent("files.txt")
        scriptFile = work.appendingPathComponent("pillow_decode.py")
        try files.map(\.path).joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
    }

    /// Deletes the script and file list.
    func removeFiles() { try? FileManager.default.removeItem(at: work) }

    /// One timed pass of Pillow over every file.
    func round() throws -> Result {
        let output = try Subprocess.run(interpreter, [scriptFile.path, list.path])
        guard let lastLine = output.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any],
              let wall = json["wall"] as? Double, let cpu = json["cpu"] as? Double,
              let pixels = json["pixels"] as? Int, let failures = json["failures"] as? Int,
              let version = json["version"] as? String, let means = json["means"] as? [Double] else {
            throw ValidationError("cannot parse the Pillow script's output: \(output)")
        }
        return Result(version: version, wall: wall, cpu: cpu, pixels: pixels, failures: failures, means: means)
    }
}
