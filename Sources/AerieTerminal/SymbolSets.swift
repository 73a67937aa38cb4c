import CChafa

/// The glyphs a symbol preview may use.
public enum SymbolSet: String, CaseIterable, Sendable {
    /// Upper and lower half blocks (▀ ▄), full block and space: two pixels per cell.
    case half
    /// Quadrant blocks (▖ ▗ ▘ ▝ ▚ …): 2×2 pixels per cell.
    case quad
    /// Sextants from Symbols for Legacy Computing (🬀 …): 2×3 pixels per cell; needs a recent font.
    case sextant
    /// Braille patterns (⠁ … ⣿): 2×4 dots per cell.
    case braille
    /// An ASCII ramp for plain terminals and fonts without block elements.
    case ascii

    /// The characters of the ASCII ramp, from empty to full.
    public static let asciiRamp: [Character] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// How each set is built from chafa's symbol classes, as data.
    struct Definition {
        /// Chafa symbol tags added to the map.
        var tags: [ChafaSymbolTags]
        /// Single characters added by code point.
        var characters: [Character]
    }

    static let definitions: [SymbolSet: Definition] = [
        .half: Definition(tags: [CHAFA_SYMBOL_TAG_VHALF, CHAFA_SYMBOL_TAG_SPACE, CHAFA_SYMBOL_TAG_SOLID], characters: []),
        .quad: Definition(tags: [CHAFA_SYMBOL_TAG_QUAD, CHAFA_SYMBOL_TAG_HALF, CHAFA_SYMBOL_TAG_SPACE, CHAFA_SYMBOL_TAG_SOLID],
                          characters: []),
        .sextant: Definition(tags: [CHAFA_SYMBOL_TAG_SEXTANT, CHAFA_SYMBOL_TAG_HALF, CHAFA_SYMBOL_TAG_SPACE, CHAFA_SYMBOL_TAG_SOLID],
                             characters: []),
        .braille: Definition(tags: [CHAFA_SYMBOL_TAG_BRAILLE, CHAFA_SYMBOL_TAG_SPACE], characters: []),
        .ascii: Definition(tags: [], characters: asciiRamp),
    ]

    /// A new chafa symbol map holding this set; the caller unrefs it.
    func makeChafaSymbolMap() -> OpaquePointer? {
        guard let map = chafa_symbol_map_new(), let definition = Self.definitions[self] else { return nil }
        for tag in definition.tags {
            chafa_symbol_map_add_by_tags(map, tag)
        }
        for character in definition.characters {
            for scalar in character.unicodeScalars {
                chafa_symbol_map_add_by_range(map, scalar.value, scalar.value)
            }
        }
        return map
    }
}

/// How colours between palette entries or symbol shapes are approximated.
public enum DitherMode: String, CaseIterable, Sendable {
    case none
    /// Ordered (Bayer) dithering.
    case ordered
    /// Floyd–Steinberg error diffusion.
    case diffusion

    /// Chafa's constant for each mode, as data.
    static let chafaModes: [DitherMode: ChafaDitherMode] = [
        .none: CHAFA_DITHER_MODE_NONE,
        .ordered: CHAFA_DITHER_MODE_ORDERED,
        .diffusion: CHAFA_DITHER_MODE_DIFFUSION,
    ]
}

extension ColorMode {
    /// Chafa's canvas mode for each colour mode, as data (`none` draws glyphs in the default
    /// foreground on the default background).
    static let chafaCanvasModes: [ColorMode: ChafaCanvasMode] = [
        .truecolor: CHAFA_CANVAS_MODE_TRUECOLOR,
        .palette256: CHAFA_CANVAS_MODE_INDEXED_256,
        .palette16: CHAFA_CANVAS_MODE_INDEXED_16,
        .none: CHAFA_CANVAS_MODE_FGBG,
    ]
}
