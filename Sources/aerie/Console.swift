import AerieCore
import AerieTerminal
import Foundation

/// Writes a line of results to standard output at once (unbuffered, so tables show as rows are
/// ready).
/// - Throws: ``OutputError`` when the line cannot be written (a full disk, a closed stream, a
///   pipe whose reader has gone): results must not be lost with exit status 0.
func printLine(_ line: String) throws {
    try StandardStream.standardOutput.write(line + "\n")
}

/// Writes a line to standard error (diagnostics, progress, warnings). A failed write is ignored:
/// there is nowhere left to report it, and the results on standard output still count.
func printError(_ line: String) {
    writeDiagnostic(line + "\n")
}

/// Writes raw diagnostic text (a progress bar's redraw) to standard error, ignoring failures.
func writeDiagnostic(_ text: String) {
    try? StandardStream.standardError.write(text)
}

/// Writes an error as one sanitised line per line of its message to standard error.
func printFailure(_ message: String) {
    for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
        printError(TerminalText.sanitize(String(line)))
    }
}
