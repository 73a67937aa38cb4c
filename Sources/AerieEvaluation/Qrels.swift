/// TREC relevance files: qrels (`topic 0 docno relevance`) and a topics file
/// (`topic<TAB>query`), as `trec_eval` reads them.
public enum Qrels {
    /// The qrels and topics texts for `labels`, topics numbered in the order given.
    ///
    /// Image names are written exactly, except for the characters ``docno(_:)`` escapes.
    /// - Throws: ``QrelsError/uncarriableName(imageID:query:)`` for a label whose image name
    ///   the whitespace-separated format cannot carry: empty, or with a control character or
    ///   other whitespace than the escaped space, tab, CR and LF.
    public static func export(labels: [Label], topics: [(id: Int64, query: String)]) throws -> (qrels: String, topics: String) {
        var idOf: [String: Int64] = [:]
        var topicText = ""
        for topic in topics {
            idOf[topic.query] = topic.id
            topicText += "\(topic.id)\t\(escape(topic.query))\n"
        }
        var qrels = ""
        for label in labels {
            guard let id = idOf[label.query] else { continue }
            guard canCarry(label.imageID) else { throw QrelsError.uncarriableName(imageID: label.imageID, query: label.query) }
            qrels += "\(id) 0 \(docno(label.imageID)) \(label.grade)\n"
        }
        return (qrels, topicText)
    }

    /// Whether `imageID` survives as a docno: not empty, and no control character or whitespace
    /// but the ones ``docno(_:)`` escapes.
    static func canCarry(_ imageID: String) -> Bool {
        let escaped: Set<Character> = [" ", "\t", "\n", "\r"]
        return !imageID.isEmpty && imageID.allSatisfy { c in
            escaped.contains(c) || !(c.isWhitespace || c.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }

    /// Lines of a text file, with LF or CRLF line endings (Swift reads CRLF as one character,
    /// so splitting at "\n" alone would leave a CRLF file one line).
    private static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Labels read from a qrels text and its topics text.
    /// - Throws: `QrelsError` naming the file and line of the first malformed line.
    public static func parse(qrels: String, qrelsName: String, topics: String, topicsName: String) throws -> [Label] {
        var queryOf: [String: String] = [:]
        for (n, line) in lines(topics).enumerated() {
            if line.trimmingWhitespace().isEmpty { continue }
            guard let tab = line.firstIndex(of: "\t") else {
                throw QrelsError.malformed(file: topicsName, line: n + 1, reason: "expected `topic<TAB>query`")
            }
            let id = String(line[..<tab]).trimmingWhitespace()
            let query = unescape(String(line[line.index(after: tab)...]))
            guard !id.isEmpty, !query.isEmpty else {
                throw QrelsError.malformed(file: topicsName, line: n + 1, reason: "empty topic id or query")
            }
            queryOf[id] = query
        }
        var labels: [Label] = []
        for (n, line) in lines(qrels).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard fields.count == 4 else {
                throw QrelsError.malformed(file: qrelsName, line: n + 1, reason: "expected 4 fields `topic 0 docno relevance`, got \(fields.count)")
            }
            guard let query = queryOf[String(fields[0])] else {
                throw QrelsError.malformed(file: qrelsName, line: n + 1, reason: "topic \(fields[0]) is not in \(topicsName)")
            }
            guard let grade = Int(fields[3]), Label.grades.contains(grade) else {
                throw QrelsError.malformed(file: qrelsName, line: n + 1, reason: "relevance must be 0...3, got \(fields[3])")
            }
            labels.append(Label(query: query, imageID: imageID(fromDocno: String(fields[2])), grade: grade))
        }
        return labels
    }

    /// A docno without whitespace (qrels fields are whitespace-separated): `%`, space, tab and
    /// newline are percent-escaped. Most image paths pass unchanged.
    public static func docno(_ imageID: String) -> String {
        var out = ""
        for c in imageID {
            switch c {
            case "%": out += "%25"
            case " ": out += "%20"
            case "\t": out += "%09"
            case "\n": out += "%0A"
            case "\r": out += "%0D"
            default: out.append(c)
            }
        }
        return out
    }

    /// The image id a docno stands for (the inverse of ``docno(_:)``).
    public static func imageID(fromDocno docno: String) -> String {
        let codes: [String: String] = ["%25": "%", "%20": " ", "%09": "\t", "%0A": "\n", "%0D": "\r"]
        var out = ""
        var i = docno.startIndex
        while i < docno.endIndex {
            if docno[i] == "%", let end = docno.index(i, offsetBy: 3, limitedBy: docno.endIndex),
               let decoded = codes[String(docno[i..<end]).uppercased()] {
                out += decoded
                i = end
            } else {
                out.append(docno[i])
                i = docno.index(after: i)
            }
        }
        return out
    }

    private static func escape(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\t", with: "\\t").replacingAll("\n", with: "\\n")
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                switch c {
                case "t": out.append("\t")
                case "n": out.append("\n")
                default: out.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// A malformed qrels or topics file.
public enum QrelsError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(file: String, line: Int, reason: String)
    /// A label whose image name a qrels line cannot carry (see ``Qrels/export(labels:topics:)``).
    case uncarriableName(imageID: String, query: String)
    public var description: String {
        switch self {
        case let .malformed(file, line, reason): return "\(file):\(line): \(reason)"
        case let .uncarriableName(imageID, query):
            return "the label of image \"\(imageID)\" for \"\(query)\" cannot be exported as TREC qrels: "
                + "the image name is empty or holds a control character"
        }
    }
}

extension StringProtocol {
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
