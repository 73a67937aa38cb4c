import AerieModels
import AerieTensor
import ArgumentParser
import Foundation

/// `aerie-bench text-encoder`: sentences/s of Aerie's MiniLM against PyTorch CPU.
///
/// Both sides encode the same real captions (RSICD val sentences) from strings to unit-length
/// embeddings — tokenization included — with the same number of threads, at batch 1 and at a
/// larger batch, best of several rounds after a warm-up. PyTorch runs as sentence-transformers
/// does: sentences sorted by length, each batch padded to its longest, BertModel, mean pooling,
/// normalisation. It runs in a child Python (`AERIE_BENCH_PYTHON`, else a virtual environment
/// this benchmark creates under `~/.cache/aerie/bench-venv-torch` with `pip install torch
/// transformers numpy`). Peak resident memory is reported for both processes, with the baseline
/// before the model was loaded (Python's includes the interpreter and torch).
struct TextEncoderBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text-encoder",
        abstract: "MiniLM sentences/s (batch 1 and a larger batch) of Aerie versus PyTorch CPU."
    )

    @Option(help: "Model store folder (default: $AERIE_MODELS or ~/.cache/aerie/models).")
    var models: String?

    @Option(help: "Sentences for the large-batch runs.")
    var sentences: Int = 512

    @Option(help: "Sentences for the batch-1 runs.")
    var singles: Int = 64

    @Option(help: "The larger batch size.")
    var batch: Int = 32

    @Option(help: "Threads on both sides (default: all cores).")
    var threads: Int?

    @Option(help: "Rounds per configuration; the fastest counts.")
    var rounds: Int = 3

    func validate() throws {
        guard sentences > 0, singles > 0, batch > 0, rounds > 0 else {
            throw ValidationError("--sentences, --singles, --batch and --rounds must be positive")
        }
    }

    func run() async throws {
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        BLAS.setThreads(threadCount)
        let texts = try Self.captions(count: sentences)
        let baselineRSS = PeakMemory.residentMegabytes()
        let store = ModelStore(explicit: models)
        let encoder = try MiniLMEncoder(store: store)
        let loadedRSS = PeakMemory.residentMegabytes()

        // Aerie: batch 1, then the larger batch, best of `rounds` after one warm-up pass each.
        func time(_ body: () throws -> Void) rethrows -> Double {
            var best = Double.infinity
            try body()
            for _ in 0..<rounds {
                let clock = ContinuousClock()
                let start = clock.now
                try body()
                best = min(best, (clock.now - start).seconds)
            }
            return best
        }
        let singleTexts = Array(texts.prefix(singles))
        let aerieSingle = try time { for text in singleTexts { _ = try encoder.encode([text]) } }
        var aerieEmbeddings = Tensor(zeros: [0])
        let aerieBatch = try time {
            var rows: [Float] = []
            for start in stride(from: 0, to: texts.count, by: batch) {
                rows += try encoder.encode(Array(texts[start ..< min(start + batch, texts.count)])).data
            }
            aerieEmbeddings = Tensor(shape: [texts.count, encoder.config.hidden], data: rows)
        }
        let aeriePeak = PeakMemory.peakMegabytes()

        // PyTorch on the same sentences.
        let torch = try TorchTextRun().run(modelFolder: store.folder("minilm"), texts: texts, singles: singles,
                                           batch: batch, threads: threadCount, rounds: rounds,
                                           maxLength: encoder.config.maxSequenceLength)

        // The two sides must agree, or the timing means nothing.
        let d = encoder.config.hidden
        var worstCosine = 1.0
        for i in 0..<texts.count {
            var dot = 0.0
            for j in 0..<d { dot += Double(aerieEmbeddings.data[i * d + j]) * Double(torch.embeddings.data[i * d + j]) }
            worstCosine = min(worstCosine, dot)
        }

        let tokens = texts.map { encoder.tokenizer.encode($0).count }
        print("text-encoder: all-MiniLM-L6-v2, \(texts.count) RSICD captions (mean \(String(format: "%.1f", Double(tokens.reduce(0, +)) / Double(tokens.count))) tokens), \(threadCount) thread(s), best of \(rounds)")
        print("  torch \(torch.version)")
        func line(_ label: String, _ count: Int, _ aerie: Double, _ reference: Double) {
            print("  \(label.padding(toLength: 10, withPad: " ", startingAt: 0))"
                  + String(format: "Aerie %8.1f sentences/s   PyTorch %8.1f sentences/s   ratio %.2fx",
                           Double(count) / aerie, Double(count) / reference, reference / aerie))
        }
        line("batch 1", singleTexts.count, aerieSingle, torch.singleSeconds)
        line("batch \(batch)", texts.count, aerieBatch, torch.batchSeconds)
        print(String(format: "  peak RSS: Aerie %.0f MB (%.0f MB before loading, %.0f MB loaded)   PyTorch %.0f MB (%.0f MB after imports)",
                     aeriePeak, baselineRSS, loadedRSS, torch.peakMegabytes, torch.baselineMegabytes))
        print(String(format: "  agreement: worst cosine between the two sides' embeddings %.7f", worstCosine))
    }

    /// The first `count` distinct RSICD validation captions from the shared data, in file order.
    static func captions(count: Int) throws -> [String] {
        let url = DecodeBenchmark.defaultImagesFolder().deletingLastPathComponent().appendingPathComponent("dataset_rsicd_aid.json")
        struct File: Decodable {
            struct Image: Decodable {
                struct Sentence: Decodable { var raw: String }
                var split: String
                var sentences: [Sentence]
            }
            var images: [Image]
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url)) } catch {
            throw ValidationError("cannot read captions from \(url.path): \(error)")
        }
        var seen = Set<String>(), texts: [String] = []
        for image in file.images where image.split == "val" {
            for sentence in image.sentences where seen.insert(sentence.raw).inserted {
                texts.append(sentence.raw)
                if texts.count == count { return texts }
            }
        }
        guard !texts.isEmpty else { throw ValidationError("no val captions in \(url.path)") }
        return texts
    }
}

/// Peak and current resident memory of this process, from /proc/self/status.
enum PeakMemory {
    static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kilobytes / 1024
        }
        return .nan
    }

    static func peakMegabytes() -> Double { field("VmHWM") }
    static func residentMegabytes() -> Double { field("VmRSS") }
}

/// all-MiniLM-L6-v2 in PyTorch, as sentence-transformers runs it, in a child Python.
struct TorchTextRun {
    struct Result {
        var version: String
        var singleSeconds: Double
        var batchSeconds: Double
        var peakMegabytes: Double
        var baselineMegabytes: Double
        var embeddings: Tensor
    }

    static let script = #"""
import json, sys, time
import torch
from transformers import BertModel, BertTokenizerFast

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

folder, texts_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
singles, batch, threads, rounds, max_length = (int(a) for a in sys.argv[4:9])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
texts = json.load(open(texts_path, encoding="utf-8"))
baseline = rss("VmRSS")
tokenizer = BertTokenizerFast.from_pretrained(folder)  # vocab.txt; lower-casing from tokenizer defaults
model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()

def encode(chunk):
    enc = tokenizer(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    out = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
    pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)

def best(body):
    body()
    times = []
    for _ in range(rounds):
        start = time.perf_counter(); body(); times.append(time.perf_counter() - start)
    return min(times)

result = {}
with torch.inference_mode():
    single_texts = texts[:singles]
    result["single"] = best(lambda: [encode([t]) for t in single_texts])
    # sentence-transformers' encode: sort by length (longest first), batch, restore order.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    holder = {}
    def batched():
        rows = [None] * len(texts)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            emb = encode([texts[i] for i in idx])
            for k, i in enumerate(idx):
                rows[i] = emb[k]
        holder["emb"] = torch.stack(rows)
    result["batch"] = best(batched)
emb = holder["emb"].numpy().astype("<f4")
with open(out_path, "wb") as f:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % emb.shape
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + emb.tobytes())
result.update(version=torch.__version__, peak=rss("VmHWM"), baseline=baseline)
print(json.dumps(result))
"""#

    func run(modelFolder: URL, texts: [String], singles: Int, batch: Int, threads: Int, rounds: Int, maxLength: Int) throws -> Result {
        let python = try Self.interpreter()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let scriptFile = work.appendingPathComponent("torch_minilm.py")
        let textsFile = work.appendingPathComponent("texts.json")
        let outFile = work.appendingPathComponent("embeddings.npy")
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
        try JSONEncoder().encode(texts).write(to: textsFile)
        let output = try Subprocess.run(python, [scriptFile.path, modelFolder.path, textsFile.path, outFile.path,
                                                 String(singles), String(batch), String(threads), String(rounds), String(maxLength)])
        guard let lastLine = output.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any],
              let single = json["single"] as? Double, let batchSeconds = json["batch"] as? Double,
              let peak = json["peak"] as? Double, let baseline = json["baseline"] as? Double,
              let version = json["version"] as? String
        else { throw ValidationError("cannot parse the PyTorch script's output: \(output)") }
        return Result(version: version, singleSeconds: single, batchSeconds: batchSeconds, peakMegabytes: peak,
                      baselineMegabytes: baseline, embeddings: try NPY.read(outFile))
    }

    /// `AERIE_BENCH_PYTHON` when set, else `~/.cache/aerie/bench-venv-torch/bin/python`, created
    /// with torch, transformers and numpy when missing.
    static func interpreter() throws -> String {
        if let python = ProcessInfo.processInfo.environment["AERIE_BENCH_PYTHON"], !python.isEmpty { return python }
        let venv = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/aerie/bench-venv-torch")
        let python = venv.appendingPathComponent("bin/python").path
        if !FileManager.default.isExecutableFile(atPath: python) {
            FileHandle.standardError.write(Data("creating \(venv.path) (python3 -m venv)\n".utf8))
            _ = try Subprocess.run("python3", ["-m", "venv", venv.path])
        }
        if (try? Subprocess.run(python, ["-c", "import torch, transformers, numpy"])) == nil {
            FileHandle.standardError.write(Data("installing torch, transformers and numpy into \(venv.path) (large download)\n".utf8))
            _ = try Subprocess.run(python, ["-m", "pip", "install", "--quiet", "torch", "transformers", "numpy"])
        }
        return python
    }
}
