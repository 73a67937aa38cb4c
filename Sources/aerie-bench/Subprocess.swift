import Foundation

/// Runs a program to completion and returns its standard output; shared by benchmarks that
/// drive a reference implementation (Python scripts, command-line tools).
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var standardError: String
        var description: String { "\(command) exited with status \(status): \(standardError)" }
    }

    /// Runs `executable` (looked up on `PATH` unless it is a path) with `arguments`.
    /// - Throws: ``Failure`` with the child's standard error when it exits with a non-zero status.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        // Standard error goes to a file so a chatty child (pip) cannot fill a pipe nobody reads.
        let errorFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("aerie-bench-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw Failure(command: ([executable] + arguments).joined(separator: " "),
                          status: process.terminationStatus, standardError: errors)
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
