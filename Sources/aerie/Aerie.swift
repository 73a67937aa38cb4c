import AerieCore
import ArgumentParser
import Foundation

/// The `aerie` command: remote-sensing image-text retrieval in the terminal.
@main
struct Aerie: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aerie",
        abstract: "Remote-sensing image-text retrieval in the terminal.",
        discussion: """
            Find aerial and satellite images by what they show. Aerie encodes images and \
            captions into one joint embedding space and ranks by distance; it browses, \
            searches, indexes, trains and evaluates from the command line.
            """,
        version: "0.1.0",
        subcommands: Aerie.allSubcommands
    )

    /// Parses and runs a command as ArgumentParser's `main` does, but prints every error itself:
    /// sanitised (an error may quote a file's contents), as `aerie: <description>` with exit
    /// status 1 for the libraries' errors, and with ArgumentParser's usage and exit code for its
    /// own. A reader of standard output that has gone (`aerie search … | head -1`) ends the
    /// program quietly with status 141, as SIGPIPE would, without the signal's crash report.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(NumericArguments.attachNegativeValues(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exitWithUsage(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch OutputError.brokenPipe(StandardStream.standardOutput.name) {
            Foundation.exit(141)
        } catch let error where isArgumentParserError(error) {
            // Validation, exit codes, and the built-in help and version commands, which
            // answer `--help` by throwing from their run().
            exitWithUsage(error)
        } catch {
            printFailure("aerie: \(error)")
            Foundation.exit(1)
        }
        Foundation.exit(0)
    }

    /// True for ArgumentParser's own error types (`ValidationError`, `ExitCode`, `CleanExit`
    /// and its internal parse errors).
    private static func isArgumentParserError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// ArgumentParser's message for `error` (help on standard output, errors with usage on
    /// standard error), sanitised line by line, and its exit code.
    private static func exitWithUsage(_ error: any Error) -> Never {
        let message = fullMessage(for: error)
        let code = exitCode(for: error)
        if code == .success {
            do { try printLine(message) } catch { printFailure("aerie: \(error)"); Foundation.exit(1) }
        } else if !message.isEmpty {
            printFailure(message)
        }
        Foundation.exit(code.rawValue)
    }
}

/// Negative numbers after numeric options. ArgumentParser reads `--k -1` as `--k` without a
/// value followed by an unknown option `-1`; an option value that starts with `-` has to be
/// attached (`--k=-1`). Attaching it for the options that take numbers lets the option's own
/// range check answer ("--k must be between 1 and 100000, got -1").
enum NumericArguments {
    /// The long options whose value is a number.
    static let names: Set<String> = [
        "k", "limit", "depth", "beta", "csls-k", "debounce", "alpha", "gamma", "threads", "image-batch", "batch",
        "show", "count", "size", "width", "columns",
    ]

    /// `arguments` with each `--name -number` of a numeric option joined into `--name=-number`
    /// (up to a `--` that ends the options).
    static func attachNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return out + arguments[index...] }
            if argument.hasPrefix("--"), names.contains(String(argument.dropFirst(2))), index + 1 < arguments.count,
               arguments[index + 1].hasPrefix("-"), Double(arguments[index + 1]) != nil {
                out.append(argument + "=" + arguments[index + 1])
                index += 2
                continue
            }
            out.append(argument)
            index += 1
        }
        return out
    }
}

/// A numeric option's range check: "--k must be between 1 and 100000, got -1".
func checkRange<Value: Comparable>(_ option: String, _ value: Value, _ range: ClosedRange<Value>) throws {
    guard range.contains(value) else {
        throw ValidationError("--\(option) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
}

/// A floating-point option's range check; NaN and infinities are outside every range.
func checkRange(_ option: String, _ value: Double, _ range: ClosedRange<Double>) throws {
    guard value.isFinite, range.contains(value) else {
        throw ValidationError("--\(option) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
}
