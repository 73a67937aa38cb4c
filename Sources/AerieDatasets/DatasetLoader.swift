import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How to load a data set.
public struct DatasetLoadOptions: Sendable {
    /// The folder image file names are relative to (`--images DIR`). When `nil`, a caption JSON's
    /// images are looked for in `imgs/`, then `images/`, beside the JSON, then beside the JSON itself.
    public var imageRoot: URL?
    /// Fail with ``DatasetError/strictCheckFailed(path:missingImages:issues:)`` when any image is
    /// missing or any issue was found.
    public var strict: Bool
    /// Read the path as this kind instead of detecting it.
    public var kind: CaptionDataset.Kind?
    /// Check that every image file exists (one directory listing per folder, not one stat per file).
    public var checkFiles: Bool
    /// The largest caption JSON accepted, in bytes.
    public var maxJSONBytes: Int
    /// Captions longer than this many UTF-8 bytes are reported (and kept).
    public var oversizedCaptionBytes: Int

    public init(imageRoot: URL? = nil, strict: Bool = false, kind: CaptionDataset.Kind? = nil,
                checkFiles: Bool = true, maxJSONBytes: Int = 1 << 30, oversizedCaptionBytes: Int = 2_000) {
        self.imageRoot = imageRoot
        self.strict = strict
        self.kind = kind
        self.checkFiles = checkFiles
        self.maxJSONBytes = maxJSONBytes
        self.oversizedCaptionBytes = oversizedCaptionBytes
    }
}

extension CaptionDataset {
    /// The image file extensions the loaders collect from folders (case-insensitive).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "tif", "tiff"]

    /// Loads the data set at `url`, detecting its shape.
    ///
    /// The shape is decided by ``detect(_:)``: a file is a caption JSON; a folder holding one
    /// `dataset*.json` file is that caption JSON; a folder with no images of its own and at least
    /// two sub-folders holding images is a class-folder data set; any other folder is a plain
    /// folder of images, searched recursively.
    ///
    /// - Parameters:
    ///   - url: A caption JSON file or a folder.
    ///   - options: Image root, strictness, forced kind, limits.
    /// - Returns: The data set with its missing images and issues.
    /// - Throws: ``DatasetError`` when the path cannot be read as a data set at all, or, in strict
    ///   mode, when images are missing or issues were found.
    public static func load(_ url: URL, options: DatasetLoadOptions = DatasetLoadOptions()) throws -> CaptionDataset {
        let detected = try detect(url)
        let kind = options.kind ?? detected.kind
        let dataset: CaptionDataset
        switch kind {
        case .captionJSON:
            dataset = try loadCaptionJSON(detected.kind == .captionJSON ? detected.file : url, options: options)
        case .classFolders:
            dataset = try loadFolder(url, classFolders: true, options: options)
        case .imageFolder:
            dataset = try loadFolder(url, classFolders: false, options: options)
        }
        if options.strict && (!dataset.missing.isEmpty || !dataset.issues.isEmpty) {
            throw DatasetError.strictCheckFailed(path: url.path, missingImages: dataset.missing.count,
                                                 issues: dataset.issues.count)
        }
        return dataset
    }

    /// Decides which shape the data set at `url` has, without reading it all.
    ///
    /// - Returns: The kind, and the file to read: the caption JSON for ``Kind/captionJSON``
    ///   (which may sit inside the folder given), else `url` itself.
    /// - Throws: ``DatasetError/notFound(path:)``, ``DatasetError/notADataset(path:reason:)``.
    public static func detect(_ url: URL) throws -> (kind: Kind, file: URL) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError.notFound(path: url.path)
        }
        guard isDirectory.boolValue else {
            if url.pathExtension.lowercased() == "json" || looksLikeJSON(url) { return (.captionJSON, url) }
            throw DatasetError.notADataset(
                path: url.path, reason: "a file that is not a caption JSON (expected .json or a folder)")
        }
        let listing = try listFolder(url)
        let captionFiles = listing.files.filter {
            let name = $0.lowercased()
            return name.hasPrefix("dataset") && name.hasSuffix(".json")
        }
        if captionFiles.contains("dataset.json") {
            return (.captionJSON, url.appendingPathComponent("dataset.json"))
        }
        if captionFiles.count == 1, let only = captionFiles.first {
            return (.captionJSON, url.appendingPathComponent(only))
        }
        if captionFiles.count > 1 {
            throw DatasetError.notADataset(
                path: url.path,
                reason: "several caption files (\(captionFiles.sorted().joined(separator: ", "))): name one")
        }
        let topImages = listing.files.filter(isImageFileName)
        if topImages.isEmpty {
            var classFolders = 0
            for folder in listing.folders {
                let sub = try? listFolder(url.appendingPathComponent(folder))
                if let sub, sub.files.contains(where: isImageFileName) { classFolders += 1 }
                if classFolders >= 2 { return (.classFolders, url) }
            }
        }
        return (.imageFolder, url)
    }

    /// Whether a file name has one of ``imageExtensions``.
    public static func isImageFileName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), !name.hasPrefix(".") else { return false }
        return imageExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// The default image root of a caption JSON: `imgs/`, then `images/` beside it, else its folder.
    public static func defaultImageRoot(forJSON json: URL) -> URL {
        let folder = json.deletingLastPathComponent()
        for name in ["imgs", "images"] {
            var isDirectory: ObjCBool = false
            let candidate = folder.appendingPathComponent(name, isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        return folder
    }

    // MARK: Caption JSON

    static func loadCaptionJSON(_ file: URL, options: DatasetLoadOptions) throws -> CaptionDataset {
        let root: URL
        if let explicit = options.imageRoot {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: explicit.path, isDirectory: &isDirectory),
                  isDirectory.boolValue else { throw DatasetError.imageRootNotFound(path: explicit.path) }
            root = explicit
        } else {
            root = defaultImageRoot(forJSON: file)
        }
        let data = try readFile(file, limit: options.maxJSONBytes)
        let parsed = try CaptionJSONParser(file: file, imageRoot: root,
                                           oversizedCaptionBytes: options.oversizedCaptionBytes).parse(data)
        var images = parsed.images, issues = parsed.issues
        if options.checkFiles {
            // The rule of folders: an entry whose file resolves (through symbolic links) outside
            // the image root is skipped and reported.
            let resolvedRoot = resolvedPath(root)
            images = images.filter { entry in
                // A file that does not exist is missing, not outside.
                var info = stat()
                guard lstat(entry.url.path, &info) == 0 else { return true }
                let resolved = resolvedPath(entry.url)
                guard isInside(resolved, root: resolvedRoot) else {
                    issues.append(DatasetIssue(file: file, position: EntryPosition(index: entry.id, filename: entry.filename),
                                               problem: .outsideRoot(path: entry.url.path, target: resolved)))
                    return false
                }
                return true
            }
            // Positions again from 0 (the issues keep the source's).
            images = images.enumerated().map { position, entry in
                ImageEntry(id: position, filename: entry.filename, url: entry.url, split: entry.split, label: entry.label,
                           sentences: entry.sentences, sourceID: entry.sourceID)
            }
        }
        let missing = options.checkFiles ? missingImages(images, root: root) : []
        return CaptionDataset(kind: .captionJSON, source: file, imageRoot: root, name: parsed.name,
                              images: images, missing: missing, issues: issues)
    }

    static func readFile(_ file: URL, limit: Int) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        } catch {
            throw DatasetError.unreadable(path: file.path, reason: Self.reason(error))
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > limit {
            throw DatasetError.tooLarge(path: file.path, bytes: size, limit: limit)
        }
        do {
            return try Data(contentsOf: file, options: .mappedIfSafe)
        } catch {
            throw DatasetError.unreadable(path: file.path, reason: Self.reason(error))
        }
    }

    /// The indices of entries whose file does not exist, listing each folder once.
    static func missingImages(_ images: [ImageEntry], root: URL) -> [Int] {
        let rootPath = root.path.hasSuffix("/") ? String(root.path.dropLast()) : root.path
        var listings: [Substring: Set<String>] = [:]
        var missing: [Int] = []
        for entry in images {
            let name = entry.filename
            let slash = name.lastIndex(of: "/")
            let folder = slash.map { name[..<$0] } ?? ""
            let file = slash.map { String(name[name.index(after: $0)...]) } ?? name
            let names: Set<String>
            if let cached = listings[folder] {
                names = cached
            } else {
                let path = folder.isEmpty ? rootPath : rootPath + "/" + folder
                names = Set((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                listings[folder] = names
            }
            if !names.contains(file) { missing.append(entry.id) }
        }
        return missing
    }

    // MARK: Folders

    static func loadFolder(_ folder: URL, classFolders: Bool, options: DatasetLoadOptions) throws -> CaptionDataset {
        var issues: [DatasetIssue] = []
        var relativePaths: [String] = []
        if classFolders {
            let listing = try listFolder(folder)
            for name in listing.undecodable {
                issues.append(DatasetIssue(file: folder, position: nil, problem: .undecodableName(folder: folder.path, escaped: name)))
            }
            for classFolder in listing.folders.sorted() {
                let found = collectImages(in: folder.appendingPathComponent(classFolder, isDirectory: true),
                                          prefix: classFolder + "/", reportTo: folder, issues: &issues)
                relativePaths.append(contentsOf: found)
            }
        } else {
            relativePaths = collectImages(in: folder, prefix: "", reportTo: folder, issues: &issues)
        }
        guard !relativePaths.isEmpty else {
            throw DatasetError.notADataset(
                path: folder.path,
                reason: "no image files (\(imageExtensions.sorted().joined(separator: ", "))) found")
        }
        let rootPath = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        let images = relativePaths.enumerated().map { index, path in
            ImageEntry(id: index, filename: path, url: URL(fileURLWithPath: rootPath + path, isDirectory: false),
                       split: nil,
                       label: classFolders ? path.split(separator: "/").first.map(String.init) : nil,
                       sentences: [])
        }
        return CaptionDataset(kind: classFolders ? .classFolders : .imageFolder, source: folder,
                              imageRoot: folder, name: folder.lastPathComponent, images: images,
                              missing: [], issues: issues)
    }

    /// Image files under `folder`, recursively, as sorted paths relative to it prefixed by `prefix`.
    static func collectImages(in folder: URL, prefix: String, reportTo file: URL,
                              issues: inout [DatasetIssue]) -> [String] {
        var found: [String] = []
        var pending: [String] = [""]
        // Symbolic links to folders are followed once: a link back up the tree would loop forever.
        var visited = Set<String>()
        // Nothing outside the data set's root is read: a symbolic link to a folder or file
        // elsewhere (`/etc`) is reported and skipped, as absolute and `..` names of caption JSON are.
        let root = resolvedPath(file)
        while let relative = pending.popLast() {
            let url = relative.isEmpty ? folder : folder.appendingPathComponent(relative, isDirectory: true)
            let resolved = resolvedPath(url)
            guard isInside(resolved, root: root) else {
                issues.append(DatasetIssue(file: file, position: nil, problem: .outsideRoot(path: url.path, target: resolved)))
                continue
            }
            guard visited.insert(resolved).inserted else {
                issues.append(DatasetIssue(file: file, position: nil,
                                           problem: .unreadable(path: url.path, reason: "folder already visited (symbolic link loop)")))
                continue
            }
            let listing: (files: [String], folders: [String], undecodable: [String])
            do {
                listing = try listFolder(url)
            } catch {
                issues.append(DatasetIssue(file: file, position: nil,
                                           problem: .unreadable(path: url.path, reason: Self.reason(error))))
                continue
            }
            for name in listing.undecodable {
                issues.append(DatasetIssue(file: file, position: nil, problem: .undecodableName(folder: url.path, escaped: name)))
            }
            let base = relative.isEmpty ? "" : relative + "/"
            for name in listing.files.filter(isImageFileName) {
                let resolvedFile = resolvedPath(url.appendingPathComponent(name))
                guard isInside(resolvedFile, root: root) else {
                    issues.append(DatasetIssue(file: file, position: nil,
                                               problem: .outsideRoot(path: url.appendingPathComponent(name).path, target: resolvedFile)))
                    continue
                }
                found.append(prefix + base + name)
            }
            pending.append(contentsOf: listing.folders.map { base + $0 })
        }
        return found.sorted()
    }

    /// The visible files and folders directly inside `folder` (symbolic links are followed), and
    /// the names that are not UTF-8, escaped (`\xFF`), which cannot be paths of an entry: callers
    /// report them as issues rather than drop them silently.
    static func listFolder(_ folder: URL) throws -> (files: [String], folders: [String], undecodable: [String]) {
        guard let directory = opendir(folder.path) else {
            throw DatasetError.unreadable(path: folder.path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(directory) }
        var files: [String] = []
        var folders: [String] = []
        var undecodable: [String] = []
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard let first = bytes.first, first != UInt8(ascii: ".") else { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                undecodable.append(escapedName(bytes))
                continue
            }
            var info = stat()
            guard stat(folder.appendingPathComponent(name).path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR { folders.append(name) } else { files.append(name) }
        }
        return (files.sorted(), folders.sorted(), undecodable.sorted())
    }

    /// A file name's bytes with every byte that is not printable ASCII written as `\xHH`.
    static func escapedName(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\\") ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
    }

    /// The path of `url` with symbolic links resolved.
    static func resolvedPath(_ url: URL) -> String {
        url.resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// Whether `resolved` (a resolved path) is `root` (a resolved path) or inside it.
    static func isInside(_ resolved: String, root: String) -> Bool {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return resolved == base || resolved.hasPrefix(base + "/") || base.isEmpty
    }

    /// Whether a file's first non-blank byte opens a JSON object or array.
    static func looksLikeJSON(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 64) else { return false }
        let first = head.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let debug = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return debug }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return ns.localizedDescription
    }
}
