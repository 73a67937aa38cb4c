import AerieModels

/// The image encoder named `name` from the model store.
func makeImageEncoder(store: ModelStore, name: String) throws -> any ImageEncoding {
    throw ModelStoreError.notInstalled(name: name, store: store.root.path)  // replaced by the EfficientNet-Lite encoder when the `vision` branch is merged
}
