import AerieTerminal
/// The browser's styles, in one table.
enum Theme {
    static let title = CellStyle(attributes: [.bold])
    static let prompt = CellStyle(foreground: .palette(6), attributes: [.bold])
    static let dim = CellStyle(attributes: [.dim])
    static let caption = CellStyle(foreground: .palette(7))
    static let score = CellStyle(foreground: .palette(3))
    static let selected = CellStyle(attributes: [.reverse])
    static let selectedUnfocused = CellStyle(attributes: [.bold, .underline])
    static let relevant = CellStyle(foreground: .palette(2), attributes: [.bold])
    static let notRelevant = CellStyle(foreground: .palette(1), attributes: [.bold])
    static let status = CellStyle(attributes: [.reverse])
    static let notice = CellStyle(foreground: .palette(3))
    static let error = CellStyle(foreground: .palette(1), attributes: [.bold])
    static let border = CellStyle(foreground: .palette(8))
    static let feedback = CellStyle(foreground: .palette(5), attributes: [.bold, .reverse])

    /// The mark shown for a label grade: ✗ not relevant, ✓ relevant, ✓2 / ✓3 graded.
    static func mark(grade: Int?) -> (String, CellStyle) {
        switch grade {
        case nil: return ("  ", .plain)
        case 0?: return ("✗ ", notRelevant)
        case 1?: return ("✓ ", relevant)
        case let g?: return ("✓\(g)", relevant)
        }
    }
}
