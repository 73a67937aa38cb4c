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
/// ``DatasetIssue/Problem/emptyCaption(sentence:)``, because it cannot serve as a query.
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
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw DatasetError.invalidJSON(path: file.path, reason: CaptionDataset.reason(error))
        }
        var result = Result(name: nil, images: [], issues: [])
        let entries: [Any]
        if let top = object as? [String: Any] {
            guard let images = top["images"] else {
                throw DatasetError.notCaptionJSON(path: file.path, reason: "the top-level object has no 'images' key")
            }
            guard let array = images as? [Any] else {
                throw DatasetError.notCaptionJSON(
                    path: file.path, reason: "'images' is \(Self.typeName(images)), not an array")
            }
            entries = array
            if let name = top["dataset"] {
                if let name = name as? String { result.name = name } else {
                    result.issues.append(issue(nil, .badField(field: "dataset", reason: "not a string")))
                }
            }
        } else if let array = object as? [Any] {
            entries = array
        } else {
            throw DatasetError.notCaptionJSON(
                path: file.path, reason: "the top level is \(Self.typeName(object)), not an object with 'images'")
        }

        result.images.reserveCapacity(entries.count)
        var firstIndexOfFilename: [String: Int] = [:]
        var firstIndexOfSourceID: [Int: Int] = [:]
        for (index, raw) in entries.enumerated() {
            guard let entry = raw as? [String: Any] else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "\(Self.typeName(raw)), not an object")))
                continue
            }
            guard let filenameValue = entry["filename"] else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "no 'filename'")))
                continue
            }
            guard let filename = filenameValue as? String, !filename.isEmpty else {
                result.issues.append(issue(EntryPosition(index: index, filename: nil),
                                           .malformedEntry(reason: "'filename' is \(Self.typeName(filenameValue)), not a non-empty string")))
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
                if let folder = folderValue as? String {
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
                if let name = value as? String, !name.isEmpty, name.utf8.count <= 64 {
                    split = Split(rawValue: name)
                } else {
                    result.issues.append(issue(position, .badField(field: "split", reason: "not a short non-empty string")))
                }
            } else {
                result.issues.append(issue(position, .badField(field: "split", reason: "missing")))
            }

            var label: String?
            if let value = entry["label"], !(value is NSNull) {
                if let name = value as? String, name.utf8.count <= 1_024 {
                    label = name.isEmpty ? nil : name
                } else {
                    result.issues.append(issue(position, .badField(field: "label", reason: "not a string of at most 1024 bytes")))
                }
            }

            var sourceID: Int?
            if let value = entry["imgid"] {
                if let number = value as? NSNumber, !Self.isBoolean(value), let id = Int(exactly: number.doubleValue) {
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
                if let list = value as? [Any] {
                    sentences.reserveCapacity(list.count)
                    for (s, item) in list.enumerated() {
                        let text: String
                        if let object = item as? [String: Any] {
                            guard let rawValue = object["raw"] else {
                                result.issues.append(issue(position, .malformedCaption(sentence: s, reason: "no 'raw'")))
                                continue
                            }
                            guard let string = rawValue as? String else {
                                result.issues.append(issue(position, .malformedCaption(
                                    sentence: s, reason: "'raw' is \(Self.typeName(rawValue)), not a string")))
                                continue
                            }
                            text = string
                        } else if let string = item as? String {
                            text = string
                        } else {
                            result.issues.append(issue(position, .malformedCaption(
                                sentence: s, reason: "\(Self.typeName(item)), not an object with 'raw'")))
                            continue
                        }
                        if text.allSatisfy(\.isWhitespace) {
                            result.issues.append(issue(position, .emptyCaption(sentence: s)))
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
                                            url: imageRoot.appendingPathComponent(relative),
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

    /// The dynamic type JSONSerialization gives `true` and `false` (every NSNumber casts to Bool).
    private static let booleanType = type(of: NSNumber(value: true) as Any)

    static func isBoolean(_ value: Any) -> Bool { type(of: value) == booleanType }

    /// A JSON type name for messages.
    static func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "a string"
        case _ where isBoolean(value): "a boolean"
        case is NSNumber: "a number"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "\(type(of: value))"
        }
    }
}
