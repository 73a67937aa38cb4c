import AerieImage
import Foundation

/// Peak signal-to-noise ratio between two images of the same size, for judging how faithfully
/// a preview reproduces its source.
public enum PreviewQuality {
    /// PSNR in decibels over the R, G and B channels (alpha ignored), with a peak of 255.
    ///
    /// Returns `.infinity` for identical images.
    /// - Precondition: both images have the same size.
    public static func psnr(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        precondition(a.width == b.width && a.height == b.height,
                     "PSNR needs equal sizes, got \(a.width)x\(a.height) and \(b.width)x\(b.height)")
        var squaredError = 0.0
        for i in stride(from: 0, to: a.pixels.count, by: 4) {
            for c in 0..<3 {
                let d = Double(a.pixels[i + c]) - Double(b.pixels[i + c])
                squaredError += d * d
            }
        }
        let mse = squaredError / Double(a.width * a.height * 3)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}

/// The reference sixel tools of libsixel-bin (`sixel2png`, `img2sixel`), used by the tests and
/// the benchmark to check and compare Aerie's sixel output. They are run as processes; nothing
/// in the preview path depends on them.
public enum SixelReferenceTools {
    /// A reference tool failed or is missing.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case missingTool(String)
        case toolFailed(tool: String, status: Int32, message: String)

        public var description: String {
            switch self {
            case let .missingTool(name):
                return "\(name) is not installed (Debian package libsixel-bin)"
            case let .toolFailed(tool, status, message):
                return "\(tool) exited with status \(status): \(TerminalText.sanitize(message))"
            }
        }
    }

    /// The path of `tool` on `PATH`, or nil.
    public static func path(of tool: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories + ["/usr/bin"] {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether both tools are installed.
    public static var available: Bool { path(of: "sixel2png") != nil && path(of: "img2sixel") != nil }

    /// Decodes a sixel sequence with `sixel2png` and reads the PNG back.
    ///
    /// - Throws: ``Failure`` when the tool is missing or fails; `ImageError` for a bad PNG.
    public static func decode(sixel: [UInt8]) throws -> RGBAImage {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.six")
        let output = directory.appendingPathComponent("out.png")
        try Data(sixel).write(to: input)
        _ = try run("sixel2png", ["-i", input.path, "-o", output.path])
        return try ImageDecoder.decode(contentsOf: output)
    }

    /// Encodes `file` with `img2sixel`, scaled to exactly `size`, and returns the sixel bytes.
    ///
    /// - Parameter diffusion: img2sixel's `-d` option (`none`, `fs`, `atkinson`, …).
    public static func img2sixel(file: URL, size: PixelSize, diffusion: String = "none") throws -> [UInt8] {
        try run("img2sixel", ["-w", "\(size.width)", "-h", "\(size.height)", "-d", diffusion, file.path])
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-sixel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `tool` with `arguments` and returns its standard output.
    public static func run(_ tool: String, _ arguments: [String]) throws -> [UInt8] {
        guard let executable = path(of: tool) else { throw Failure.missingTool(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the tool.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.toolFailed(tool: tool, status: process.terminationStatus,
                                     message: String(decoding: errors, as: UTF8.self))
        }
        return [UInt8](output)
    }
}
