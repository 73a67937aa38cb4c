import Foundation

/// Writes a line to standard output at once (unbuffered, so tables show as rows are ready).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes a line to standard error (diagnostics, progress, warnings).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
