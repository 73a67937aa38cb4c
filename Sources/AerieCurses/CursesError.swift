/// Why the terminal could not be used.
public enum CursesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Standard input or output is not a terminal (a pipe, a file, `/dev/null`).
    case notATerminal(stream: String)
    /// ncurses knows no terminal of this name and the fallback failed too.
    case unknownTerminal(String)
    /// The terminal cannot move its cursor (e.g. `TERM=dumb`): a full-screen UI is impossible.
    case cannotAddressCursor(String)

    public var description: String {
        switch self {
        case let .notATerminal(stream):
            return "aerie browse needs an interactive terminal, but standard \(stream) is not one"
        case let .unknownTerminal(term):
            return "the terminal type '\(term)' is unknown to ncurses (and the vt100 fallback failed); set TERM, e.g. TERM=xterm-256color"
        case let .cannotAddressCursor(term):
            return "the terminal type '\(term)' cannot position the cursor, so the full-screen browser cannot run on it"
        }
    }
}
