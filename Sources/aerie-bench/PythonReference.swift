import ArgumentParser
import Foundation

/// The Python that runs a benchmark's reference implementation, and the scripts it runs.
///
/// Chosen in this order: an explicit path (a `--python` option), `$AERIE_BENCH_PYTHON`, or a
/// virtual environment under `${XDG_CACHE_HOME:-~/.cache}/aerie/bench-venv` that is created on
/// first use with `python3 -m venv` and `pip install` of the requirements (CPU PyTorch from PyPI).
enum PythonReference {
    /// The folder of reference scripts: `scripts/` of this checkout.
    static let scriptsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")

    static func script(_ relativePath: String) -> URL { scriptsFolder.appendingPathComponent(relativePath) }

    /// A Python interpreter with `requirements` importable, creating the benchmark venv if needed.
    static func interpreter(explicit: String?, requirements: [String]) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit { return explicit }
        if let fromEnvironment = environment["AERIE_BENCH_PYTHON"], !fromEnvironment.isEmpty { return fromEnvironment }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        let venv = URL(fileURLWithPath: cache).appendingPathComponent("aerie/bench-venv")
        let python = venv.appendingPathComponent("bin/python").path
        let marker = venv.appendingPathComponent("aerie-requirements.txt")
        let wanted = requirements.joined(separator: "\n")
        if (try? String(contentsOf: marker, encoding: .utf8)) == wanted, FileManager.default.isExecutableFile(atPath: python) {
            return python
        }
        print("creating the benchmark's Python environment in \(venv.path) (pip install \(requirements.joined(separator: " ")))")
        try ChildProcess.run("/usr/bin/env", ["python3", "-m", "venv", venv.path])
        try ChildProcess.run(python, ["-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        try ChildProcess.run(python, ["-m", "pip", "install", "--quiet"] + requirements)
        try wanted.write(to: marker, atomically: true, encoding: .utf8)
        return python
    }
}

/// Runs child processes for the benchmarks.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var output: String
        var description: String { "\(command) exited with status \(status):\n\(output)" }
    }

    /// Runs `executable arguments`, returning its standard output; its standard error is shown
    /// only when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a chatty child cannot fill a pipe and stall.
        let errorData = UncheckedBox()
        let reader = Thread { errorData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        guard process.terminationStatus == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus,
                          output: String(decoding: errorData.data, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs a child that prints one JSON object as its last line, and returns its numeric fields.
    static func json(_ executable: String, _ arguments: [String]) throws -> [String: Double] {
        let output = try run(executable, arguments)
        guard let line = output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw Failure(command: executable, status: 0, output: "no JSON result in: \(output)")
        }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    private final class UncheckedBox: @unchecked Sendable {
        var data = Data()
    }
}
