import Foundation

/// Where in a data set's source a problem sits: the entry's index and, when it has one, its file name.
public struct EntryPosition: Sendable, Hashable, CustomStringConvertible {
    /// The index of the entry in the source (`images[index]` of the JSON, or the file's order in a folder).
    public let index: Int
    /// The entry's file name, when it could be read.
    public let filename: String?

    public init(index: Int, filename: String?) {
        self.index = index
        self.filename = filename
    }

    public var description: String {
        if let filename { return "entry \(index) (\(filename))" }
        return "entry \(index)"
    }
}

/// A problem found while reading a data set that did not stop the load.
///
/// Every issue names the file it was found in and, for problems with one entry, the entry's
/// position, so that a user can open the file and fix it.
public struct DatasetIssue: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Sendable, Hashable {
        /// The entry is not usable and was skipped (not an object, no file name, …).
        case malformedEntry(reason: String)
        /// A field had the wrong type or value and was ignored; the entry was kept.
        case badField(field: String, reason: String)
        /// The same file name appeared before, at `firstIndex`; this entry was kept too.
        case duplicateFilename(firstIndex: Int)
        /// The same `imgid` appeared before, at `firstIndex`.
        case duplicateSourceID(Int, firstIndex: Int)
        /// A caption was empty or only white space and was dropped.
        case emptyCaption(sentence: Int)
        /// A caption could not be read (not a string, no `raw`) and was dropped.
        case malformedCaption(sentence: Int, reason: String)
        /// A caption is suspiciously long; it was kept as is.
        case oversizedCaption(sentence: Int, bytes: Int)
        /// The entry has no captions at all.
        case noCaptions
        /// The file name points outside the image root (absolute, or with `..`); the entry was skipped.
        case unsafeFilename
        /// A folder or image file that resolves, through symbolic links, outside the data set's
        /// root (`target`); it was skipped.
        case outsideRoot(path: String, target: String)
        /// A file or folder name in `folder` that is not UTF-8 (shown escaped); it was skipped.
        case undecodableName(folder: String, escaped: String)
        /// A folder or file could not be listed or read.
        case unreadable(path: String, reason: String)
        /// Top-level fields the loader does not know, or other notes on the whole file.
        case note(String)
    }

    /// The file the problem was found in.
    public let file: URL
    /// The entry concerned, or `nil` for a problem with the whole file.
    public let position: EntryPosition?
    /// What is wrong.
    public let problem: Problem

    public init(file: URL, position: EntryPosition?, problem: Problem) {
        self.file = file
        self.position = position
        self.problem = problem
    }

    /// A short name for the kind of problem, for grouping in reports.
    public var category: String {
        switch problem {
        case .malformedEntry: "malformed entry"
        case .badField: "bad field"
        case .duplicateFilename: "duplicate file name"
        case .duplicateSourceID: "duplicate imgid"
        case .emptyCaption: "empty caption"
        case .malformedCaption: "malformed caption"
        case .oversizedCaption: "oversized caption"
        case .noCaptions: "no captions"
        case .unsafeFilename: "unsafe file name"
        case .outsideRoot: "outside the root"
        case .undecodableName: "name not UTF-8"
        case .unreadable: "unreadable"
        case .note: "note"
        }
    }

    /// What is wrong, without the file and position.
    public var detail: String {
        switch problem {
        case .malformedEntry(let reason): "malformed entry skipped: \(reason)"
        case .badField(let field, let reason): "field '\(field)' ignored: \(reason)"
        case .duplicateFilename(let first): "duplicate file name (first at entry \(first))"
        case .duplicateSourceID(let id, let first): "duplicate imgid \(id) (first at entry \(first))"
        case .emptyCaption(let s): "caption \(s) is empty and was dropped"
        case .malformedCaption(let s, let reason): "caption \(s) dropped: \(reason)"
        case .oversizedCaption(let s, let n): "caption \(s) is \(n) bytes long (kept)"
        case .noCaptions: "no captions"
        case .unsafeFilename: "file name leaves the image root (absolute or '..'); entry skipped"
        case .outsideRoot(let path, let target): "\(path) leads outside the data set's root (to \(target)); skipped"
        case .undecodableName(let folder, let escaped): "\(folder)/\(escaped): the name is not UTF-8; skipped (rename it)"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .note(let text): text
        }
    }

    /// One line: file, position and problem. May contain text from the data set: sanitize before printing.
    public var description: String {
        if let position { return "\(file.path): \(position): \(detail)" }
        return "\(file.path): \(detail)"
    }
}

/// Why a data set could not be loaded at all.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing exists at the path.
    case notFound(path: String)
    /// The file or folder exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The path is neither a caption JSON, a class-folder tree nor a folder with images.
    case notADataset(path: String, reason: String)
    /// The file is larger than the loader accepts.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The file is not valid JSON (syntax error, truncated, invalid UTF-8, nesting too deep).
    case invalidJSON(path: String, reason: String)
    /// The JSON is valid but not a caption file (no `images` array, wrong top-level type).
    case notCaptionJSON(path: String, reason: String)
    /// A folder given with `--images` does not exist.
    case imageRootNotFound(path: String)
    /// Strict mode: the data set has missing images or issues.
    case strictCheckFailed(path: String, missingImages: Int, issues: Int)

    public var description: String {
        switch self {
        case .notFound(let path): "\(path): no such file or folder"
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .notADataset(let path, let reason): "\(path): not a data set: \(reason)"
        case .tooLarge(let path, let bytes, let limit):
            "\(path): file is \(bytes) bytes, more than the limit of \(limit) bytes"
        case .invalidJSON(let path, let reason): "\(path): invalid JSON: \(reason)"
        case .notCaptionJSON(let path, let reason): "\(path): not a caption JSON: \(reason)"
        case .imageRootNotFound(let path): "\(path): image folder does not exist"
        case .strictCheckFailed(let path, let missing, let issues):
            "\(path): strict check failed: \(missing) missing image(s), \(issues) issue(s)"
        }
    }
}
