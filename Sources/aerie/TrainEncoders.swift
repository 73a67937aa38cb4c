import AerieModels

/// The image encoder named `name` (`efficientnet-lite0` or `efficientnet-lite2`) from the model store.
func makeImageEncoder(store: ModelStore, name: String) throws -> any ImageEncoding {
    try EfficientNetLiteEncoder(store: store, name: name)
}
