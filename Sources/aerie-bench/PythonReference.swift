import ArgumentParser
import Foundation

/// The Python that runs a benchmark's reference implementation, and the scripts it runs.
///
/// Chosen in this order: an explicit path (a `--python` option), `$AERIE_BENCH_PYTHON`, or the
/// benchmarks' shared virtual environment `${XDG_CACHE_HOME:-~/.cache}/aerie/bench-venv`
/// (the one ``DecodeBenchmark`` also uses), created with `python3 -m venv` when missing, into
/// which the requirements are `pip install`ed when their modules do not import.
enum PythonReference {
    /// The folder of reference scripts: `scripts/` of this checkout.
    static let scriptsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")

    static func script(_ relativePath: String) -> URL { scriptsFolder.appendingPathComponent(relativePath) }

    /// A Python interpreter that can import `modules`, installing `requirements` into the
    /// benchmark venv when it cannot.
    static func interpreter(explicit: String?, modules: [String], requirements: [String]) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit { return explicit }
        if let fromEnvironment = environment["AERIE_BENCH_PYTHON"], !fromEnvironment.isEmpty { return fromEnvironment }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        let venv = URL(fileURLWithPath: cache).appendingPathComponent("aerie/bench-venv")
        let python = venv.appendingPathComponent("bin/python").path
        if !FileManager.default.isExecutableFile(atPath: python) {
            FileHandle.standardError.write(Data("creating \(venv.path) (python3 -m venv)\n".utf8))
            _ = try Subprocess.run("python3", ["-m", "venv", venv.path])
        }
        let probe = "import " + modules.joined(separator: ", ")
        if (try? Subprocess.run(python, ["-c", probe])) == nil {
            FileHandle.standardError.write(Data("installing \(requirements.joined(separator: " ")) into \(venv.path)\n".utf8))
            _ = try Subprocess.run(python, ["-m", "pip", "install", "--quiet"] + requirements)
        }
        return python
    }

    /// The numeric fields of the JSON object a child prints as its last line.
    static func jsonResult(_ output: String, from command: String) throws -> [String: Double] {
        guard let line = output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ValidationError("\(command) printed no JSON result: \(output)")
        }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
