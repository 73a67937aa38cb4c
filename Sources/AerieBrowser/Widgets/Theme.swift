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
    static let pending = CellStyle(foreground: .palette(3), attributes: [.dim])
    static let status = CellStyle(attributes: [.reverse])
    static let notice = CellStyle(foreground: .palette(3))
    static let error = CellStyle(foreground: .palette(1), attributes: [.bold])
    static let border = CellStyle(foreground: .palette(8))
    static let feedback = CellStyle(foreground: .palette(5), attributes: [.bold, .reverse])

    /// The mark shown for a label: ✗ not relevant, ✓ relevant, ✓2 / ✓3 graded (all saved);
    /// … pending (not yet on disk); ! not saved (the write failed).
    static func mark(_ mark: LabelMark) -> (String, CellStyle) {
        switch mark {
        case .none: return ("  ", .plain)
        case .pending: return ("… ", pending)
        case .failed: return ("! ", error)
        case .saved(0): return ("✗ ", notRelevant)
        case .saved(1): return ("✓ ", relevant)
        case let .saved(g): return ("✓\(g)", relevant)
        }
    }
}
