import Foundation

/// Reads Karpathy-style caption JSON as shipped by UCM-captions, Sydney-captions, RSICD and RSITMD.
///
/// The file is `{"dataset": NAME, "images": [ENTRY, …]}` where each entry has `filename`,
/// `split`, `sentences: [{"raw": CAPTION}, …]` and optionally `label`, `filepath` (a folder
/// under the image root, as in the COCO files) and `imgid`. The reader is lenient: a bad entry
/// or caption is skipped and reported with its position, a bad optional field is ignored and
/// reported, and only a file that is not JSON or has no `images` array is an error. A top-level
/// array is read as the `images` array. Sentences given as plain strings are accepted.
///
/// Captions are kept byte for byte, duplicates included, with one exception: an empty or
/// all-white-space caption (RSICD has three) is dropped and reported as
/// ``DatasetIssue/Problem/emptyCaption(sentence:)``, because it cannot serve as a query; and a
/// caption holding a NUL is dropped and reported as a malformed caption, because it could not be
/// stored exactly.
struct CaptionJSONParser {
    let file: URL
    let imageRoot: URL
    let oversizedCaptionBytes: Int

    /// The longest file name accepted, in UTF-8 bytes (a path, not a caption).
    static let maxFilenameBytes = 4_096

    struct Result {
        var name: String?
        var images: [ImageEntry]
        var issues: [DatasetIssue]
    }

    /// Parses a whole caption file.
    ///
    /// - Throws: ``DatasetError/invalidJSON(path:reason:)`` when the bytes are not JSON,
    ///   ``DatasetError/notCaptionJSON(path:reason:)`` when there is no `images` array.
    func parse(_ data: Data) throws -> Result {
        let top: JSONValue
        do {
            top = try JSONReader.parse(data)
        } catch {
            throw DatasetError.invalidJSON(path: file.path, reason: error.description)
        }
        var result = Result(name: nil, images: [], issues: [])
        let entries: [JSONValue]
        if top.isObject {
            guard let images = top["images"] else {
                throw DatasetError.notCaptionJSON(path: file.path, reason: "the top-level object has no 'images' key")
            }
            guard let array = images.array else {
                throw DatasetError.notCaptionJSON(path: file.path, reason: "'images' is \(images.typeName), not an array")
            }
            entries = array
            if let name = top["dataset"] {
                if let name = name.string { result.name = name } else {
                    result.issues.append(issue(nil, .badField(field: "dataset", reason: "not a string")))
                }
            }
        } else if let array = top.array {
            entries = array
        } else {
            throw DatasetError.notCaptionJSON(
                path: file.path, reason: "the top level is \(top.typeName), not an object with 'images'")
        }

        result.images.reserveCapacity(entries.count)
        // Building URLs from strings is several times faster than appendingPathComponent, which
        // may look at the file system.
        let rootPath = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        var firstIndexOfFilename: [String: Int] = [:]
        var firstIndexOfSourceID: [Int: Int] = [:]
        for (index, entry) in entries.enumerated() {
            guard entry.isObject else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "\(entry.typeName), not an object")))
                continue
            }
            guard let filenameValue = entry["filename"] else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "no 'filename'")))
                continue
            }
            guard let filename = filenameValue.string, !filename.isEmpty else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "'filename' is \(filenameValue.typeName), not a non-empty string")))
                continue
            }
            guard filename.utf8.count <= Self.maxFilenameBytes else {
                result.issues.append(issue(EntryPosition(index: index, filename: String(filename.prefix(64)) + "…"),
                                           .malformedEntry(reason: "'filename' is \(filename.utf8.count) bytes long")))
                continue
            }
            var position = EntryPosition(index: index, filename: filename)

            var relative = filename
            if let folderValue = entry["filepath"] {
                if let folder = folderValue.string {
                    if !folder.isEmpty { relative = folder.hasSuffix("/") ? folder + filename : folder + "/" + filename }
                } else {
                    result.issues.append(issue(position, .badField(field: "filepath", reason: "not a string")))
                }
            }
            guard Self.isSafeRelativePath(relative) else {
                result.issues.append(issue(position, .unsafeFilename))
                continue
            }
            position = EntryPosition(index: index, filename: relative)

            var split: Split?
            if let value = entry["split"] {
                if let name = value.string, !name.isEmpty, name.utf8.count <= 64 {
                    split = Split(rawValue: name)
                } else {
                    result.issues.append(issue(position, .badField(field: "split", reason: "not a short non-empty string")))
                }
            } else {
                result.issues.append(issue(position, .badField(field: "split", reason: "missing")))
            }

            var label: String?
            if let value = entry["label"], !value.isNull {
                if let name = value.string, name.utf8.count <= 1_024 {
                    label = name.isEmpty ? nil : name
                } else {
                    result.issues.append(issue(position, .badField(field: "label", reason: "not a string of at most 1024 bytes")))
                }
            }

            var sourceID: Int?
            if let value = entry["imgid"] {
                if let id = value.integer {
                    sourceID = id
                    if let first = firstIndexOfSourceID[id] {
                        result.issues.append(issue(position, .duplicateSourceID(id, firstIndex: first)))
                    } else {
                        firstIndexOfSourceID[id] = index
                    }
                } else {
                    result.issues.append(issue(position, .badField(field: "imgid", reason: "not an integer")))
                }
            }

            var sentences: [String] = []
            if let value = entry["sentences"] {
                if let list = value.array {
                    sentences.reserveCapacity(list.count)
                    for (s, item) in list.enumerated() {
                        let text: String
                        if item.isObject {
                            guard let rawValue = item["raw"] else {
                                result.issues.append(issue(position, .malformedCaption(sentence: s, reason: "no 'raw'")))
                                continue
                            }
                            guard let string = rawValue.string else {
                                result.issues.append(issue(position, .malformedCaption(
                                    sentence: s, reason: "'raw' is \(rawValue.typeName), not a string")))
                                continue
                            }
                            text = string
                        } else if let string = item.string {
                            text = string
                        } else {
                            result.issues.append(issue(position, .malformedCaption(
                                sentence: s, reason: "\(item.typeName), not an object with 'raw'")))
                            continue
                        }
                        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                            result.issues.append(issue(position, .emptyCaption(sentence: s)))
                            continue
                        }
                        // SQLite's C strings end at a NUL: stored, such a caption would be cut
                        // short without a word. It is refused here, where it enters, instead.
                        if text.utf8.contains(0) {
                            result.issues.append(issue(position, .malformedCaption(
                                sentence: s, reason: "contains a NUL character (\\u0000), which a caption cannot hold")))
                            continue
                        }
                        if text.utf8.count > oversizedCaptionBytes {
                            result.issues.append(issue(position, .oversizedCaption(sentence: s, bytes: text.utf8.count)))
                        }
                        sentences.append(text)
                    }
                } else {
                    result.issues.append(issue(position, .badField(field: "sentences", reason: "not an array")))
                }
            }
            if sentences.isEmpty { result.issues.append(issue(position, .noCaptions)) }

            if let first = firstIndexOfFilename[relative] {
                result.issues.append(issue(position, .duplicateFilename(firstIndex: first)))
            } else {
                firstIndexOfFilename[relative] = index
            }
            let id = result.images.count
            result.images.append(ImageEntry(id: id, filename: relative,
                                            url: URL(fileURLWithPath: rootPath + relative, isDirectory: false),
                                            split: split, label: label, sentences: sentences, sourceID: sourceID))
        }
        return result
    }

    private func issue(_ position: EntryPosition?, _ problem: DatasetIssue.Problem) -> DatasetIssue {
        DatasetIssue(file: file, position: position, problem: problem)
    }

    /// A relative path that stays under its root: not absolute, no `..` or empty components, no NUL.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), !path.hasPrefix("~"), !path.contains("\0") else { return false }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." }
    }
}
