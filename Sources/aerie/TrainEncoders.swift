import AerieModels

/// The image encoder called `name` (one of ``ModelRegistry``'s image entries).
func makeImageEncoder(store: ModelStore, name: String) throws -> any ImageEncoding {
    guard let entry = ModelRegistry.entry(name), entry.input == .image else {
        throw ModelStoreLookupError(name: name)
    }
    guard case let .image(encoder) = try entry.load(store) else { throw ModelStoreLookupError(name: name) }
    return encoder
}

/// An image encoder name that no registered image model has.
struct ModelStoreLookupError: Error, CustomStringConvertible {
    let name: String
    var description: String {
        let images = ModelRegistry.entries.filter { $0.input == .image }.map(\.name)
        return "no image encoder called '\(name)' (known: \(images.joined(separator: ", ")))"
    }
}
