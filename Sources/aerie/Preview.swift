import AerieImage
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie preview`: print images in the terminal.
struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print images in the terminal as Unicode symbols, ASCII or sixel graphics.",
        discussion: """
            Each image is printed with a caption line (file name and size in pixels). A directory \
            argument stands for the PNG, JPEG and TIFF files directly inside it, in name order.

            Output mode, colours and cell size are guessed from the environment (TERM, COLORTERM, \
            TERM_PROGRAM, TMUX, NO_COLOR, the locale) and, when both standard input and output \
            are a terminal, from a short query (at most 250 ms); every guess can be overridden. \
            Inside tmux, sixel is never guessed. When standard output is not a terminal nothing \
            is asked and no escape code is written, unless --mode or --colors asks for it.

            Files that cannot be read or decoded are reported on standard error; the others are \
            still printed, and the exit status is 1.
            """
    )

    @Argument(help: "Image files (PNG, JPEG, TIFF) or directories of images.")
    var files: [String]

    @Option(help: "Output: auto, symbols, ascii or sixel.")
    var mode: PreviewMode = .auto

    @Option(help: "Symbols for --mode symbols: half, quad, sextant, braille or ascii.")
    var symbols: SymbolSet?

    @Option(help: "Preview width in columns, 1 to 1000 (default: the terminal width, at most 80; the whole width with --grid); sixel images are at most 4096 pixels a side.")
    var width: Int?

    @Option(help: "Colours: auto, truecolor, 256, 16 or none.")
    var colors: ColorChoice = .auto

    @Option(help: "Dithering: none, ordered or diffusion.")
    var dither: DitherMode = .none

    @Flag(help: "Print a contact sheet: several images per row, each captioned.")
    var grid = false

    @Option(help: "Images per row with --grid (default: as many 24-column tiles as fit).")
    var columns: Int?

    @Option(help: "Cell size in pixels as WxH, e.g. 10x20 (default: asked from the terminal, else 10x20).")
    var cellSize: CellSizeArgument?

    func validate() throws {
        if let width {
            do { try PreviewLimits.validate(columns: width, mode: mode, cell: cellSize?.size ?? .defaultCell) } catch {
                throw ValidationError(error.description)
            }
        }
        if let columns, !PreviewLimits.cells.contains(columns) {
            throw ValidationError("--columns \(columns) is out of range: use \(PreviewLimits.cells.lowerBound) to \(PreviewLimits.cells.upperBound) images per row")
        }
        if columns != nil && !grid { throw ValidationError("--columns only applies with --grid") }
        if symbols != nil && (mode == .sixel || mode == .ascii) {
            throw ValidationError("--symbols cannot be combined with --mode \(mode.rawValue)")
        }
    }

    func run() async throws {
        let capabilities = detectCapabilities()
        let request = PreviewRequest(mode: mode, symbols: symbols, colors: colors.colorMode, dither: dither,
                                     columns: width, maximumRows: nil)
        var output = FileDescriptorSink.standardOutput
        var failures = 0
        let urls = expandArguments(failures: &failures)

        if grid {
            failures += try printContactSheet(urls, request: request, capabilities: capabilities, to: &output)
        } else {
            for url in urls {
                do {
                    let image = try ImageDecoder.decode(contentsOf: url)
                    let configuration = CanvasConfiguration.decide(
                        request: request, capabilities: capabilities,
                        imageSize: PixelSize(width: image.width, height: image.height))
                    let preview = try PreviewRenderer.render(image, configuration: configuration)
                    var buffer = ByteBuffer()
                    try buffer.write(TerminalText.truncated(caption(url, image), toWidth: configuration.columns) + "\n")
                    try preview.write(to: &buffer)
                    try output.write(buffer.bytes)
                } catch {
                    report(url, error)
                    failures += 1
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Capabilities from the environment and, only when they can matter, the terminal query.
    func detectCapabilities() -> TerminalCapabilities {
        let overrides = TerminalCapabilities.Overrides(
            colors: colors.colorMode,
            sixel: mode == .sixel ? true : nil,
            unicode: mode == .symbols || symbols != nil ? true : nil,
            cellPixelSize: cellSize?.size)
        // The query only tells sixel support and the cell size; skip it when both are settled.
        let needsQuery = cellSize == nil || mode == .auto
        return TerminalQuery.detect(overrides: overrides, allowQuery: needsQuery)
    }

    /// Files named on the command line, directories replaced by the images inside them.
    func expandArguments(failures: inout Int) -> [URL] {
        var urls: [URL] = []
        for argument in files {
            let url = URL(fileURLWithPath: argument)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                printError("aerie: \(TerminalText.sanitizedPath(url)): no such file or directory")
                failures += 1
                continue
            }
            if !isDirectory.boolValue {
                urls.append(url)
                continue
            }
            do {
                let entries = try FileManager.default.contentsOfDirectory(
                    at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
                urls += entries
                    .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
                    .filter(isImageFile)
                    .sorted { $0.lastPathComponent < $1.lastPathComponent }
            } catch {
                report(url, error)
                failures += 1
            }
        }
        return urls
    }

    /// Whether the file starts with a PNG, JPEG or TIFF signature.
    func isImageFile(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8)) ?? Data()
        return ImageFormat.sniff(head) != nil
    }

    /// Prints `urls` as a contact sheet; returns the number of files that failed.
    func printContactSheet(_ urls: [URL], request: PreviewRequest, capabilities: TerminalCapabilities,
                           to output: inout FileDescriptorSink) throws -> Int {
        let cell = capabilities.cellPixelSize ?? .defaultCell
        let totalWidth = width ?? capabilities.columns ?? PreviewRequest.defaultMaximumColumns
        let sheet = ContactSheet(totalWidth: totalWidth, tilesPerRow: columns, cell: cell)
        var failures = 0
        var pending: [(image: RGBAImage, caption: String)] = []

        func flush() throws {
            guard !pending.isEmpty else { return }
            var buffer = ByteBuffer()
            // The backend and colours are decided as for a single tile-sized image.
            var tileRequest = request
            tileRequest.columns = sheet.tileColumns
            tileRequest.maximumRows = sheet.tileRows
            let first = pending[0].image
            let decision = CanvasConfiguration.decide(request: tileRequest, capabilities: capabilities,
                                                      imageSize: PixelSize(width: first.width, height: first.height))
            switch decision.backend {
            case .sixel:
                let (picture, columnsSpanned) = sheet.compositeRow(pending.map(\.image))
                let configuration = CanvasConfiguration(backend: .sixel, columns: columnsSpanned, rows: sheet.tileRows,
                                                        cellPixelSize: cell, colors: .truecolor, dither: decision.dither)
                try PreviewRenderer.render(picture, configuration: configuration).write(to: &buffer)
                try sheet.writeCaptions(pending.map(\.caption), to: &buffer)
            case let .symbols(set):
                var tiles: [(grid: CellGrid, caption: String)] = []
                for item in pending {
                    let (c, r) = sheet.tileGeometry(for: PixelSize(width: item.image.width, height: item.image.height))
                    let configuration = CanvasConfiguration(backend: .symbols(set), columns: c, rows: r, cellPixelSize: cell,
                                                            colors: decision.colors, dither: decision.dither)
                    tiles.append((try PreviewRenderer.renderCells(item.image, configuration: configuration),
                                  item.caption))
                }
                try sheet.writeSymbolRow(tiles, to: &buffer)
            }
            try output.write(buffer.bytes)
            pending.removeAll()
        }

        for url in urls {
            do {
                let image = try ImageDecoder.decode(contentsOf: url)
                // Tiles are small: keep only a tile-sized copy so a large directory stays cheap.
                let (c, r) = sheet.tileGeometry(for: PixelSize(width: image.width, height: image.height))
                let target = PixelSize(width: max(1, c * cell.width), height: max(1, r * cell.height))
                let small = image.width > target.width ? image.resized(width: target.width, height: target.height) : image
                pending.append((small, caption(url, image)))
            } catch {
                report(url, error)
                failures += 1
            }
            if pending.count == sheet.tilesPerRow { try flush() }
        }
        try flush()
        return failures
    }

    /// The caption line: sanitized file name and pixel size.
    func caption(_ url: URL, _ image: RGBAImage) -> String {
        "\(TerminalText.sanitizedFileName(url))  \(image.width)x\(image.height)"
    }

    /// Reports a file that could not be previewed. Decoder errors already name the file.
    func report(_ url: URL, _ error: any Error) {
        let message = String(describing: error)
        if message.contains(url.path) {
            printError("aerie: \(TerminalText.sanitize(message))")
        } else {
            printError("aerie: cannot preview \(TerminalText.sanitizedPath(url)): \(TerminalText.sanitize(message))")
        }
    }
}

/// `--colors`: a colour mode or `auto`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, truecolor
    case palette256 = "256"
    case palette16 = "16"
    case none

    var colorMode: ColorMode? {
        switch self {
        case .auto: return nil
        case .truecolor: return .truecolor
        case .palette256: return .palette256
        case .palette16: return .palette16
        case .none: return ColorMode.none
        }
    }
}

/// `--cell-size WxH`.
struct CellSizeArgument: ExpressibleByArgument {
    var size: PixelSize

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 1000, h <= 1000 else {
            return nil
        }
        size = PixelSize(width: w, height: h)
    }
}

extension PreviewMode: ExpressibleByArgument {}
extension SymbolSet: ExpressibleByArgument {}
extension DitherMode: ExpressibleByArgument {}
