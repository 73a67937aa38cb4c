import AerieModels

/// The image encoder named `name` from the model store.
func makeImageEncoder(store: ModelStore, name: String) throws -> any ImageEncoding {
    try EfficientNetLiteEncoder(store: store, name: name)
}
