import AerieImage
import AerieTerminal
import Foundation

/// Renders image files as browser previews: decode (AerieImage), then the canvas decided from
/// the terminal's capabilities for the requested cells and mode (AerieTerminal).
public struct BrowsePreviewer: Sendable {
    public let capabilities: TerminalCapabilities

    public init(capabilities: TerminalCapabilities) { self.capabilities = capabilities }

    /// The preview of the image at `url` in at most `size` cells.
    public func preview(of url: URL, size: Size, mode: PreviewMode) -> PreviewImage {
        guard size.width > 0, size.height > 0 else { return .unavailable("no room") }
        let image: RGBAImage
        do {
            image = try ImageDecoder.decode(contentsOf: url)
        } catch {
            return .unavailable(String(describing: error))
        }
        guard image.width > 0, image.height > 0 else { return .unavailable("empty image") }
        let request = PreviewRequest(mode: mode, columns: size.width, maximumRows: size.height)
        let configuration = CanvasConfiguration.decide(
            request: request, capabilities: capabilities,
            imageSize: PixelSize(width: image.width, height: image.height))
        do {
            return .rendered(try PreviewRenderer.render(image, configuration: configuration))
        } catch {
            return .unavailable(String(describing: error))
        }
    }

    /// The preview mode to start in: sixel when the terminal has it, else symbols when it can
    /// show Unicode in colour, else ASCII.
    public static func initialMode(_ capabilities: TerminalCapabilities, requested: PreviewMode) -> PreviewMode {
        switch requested {
        case .auto:
            if capabilities.sixel { return .sixel }
            return capabilities.unicode && capabilities.colors != .none ? .symbols : .ascii
        case .sixel:
            return capabilities.sixel ? .sixel : .symbols
        default:
            return requested
        }
    }
}
