// End to end through the madpipe binary with real PyTorch: the hf-* stage kinds on tiny random
// Llama, Mistral and GPT-2 models made locally by scripts/hf/make_tiny_models.py, their bad
// inputs, and the numerical cross-check between madpipe's native transformer and transformers.
// They need MADPIPE_PYTHON, an interpreter with the worker's pinned requirements (scripts/test.sh
// creates one); without it they skip and say why.

import Foundation
import XCTest
import Models
import Numerics

final class RealModelEndToEndTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The interpreter with torch, transformers, peft and safetensors, or a skip with the reason.
    func torchPython() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["MADPIPE_PYTHON"], !python.isEmpty else {
            throw XCTSkip("MADPIPE_PYTHON is not set; scripts/test.sh creates the worker's venv and sets it")
        }
        let r = try shell([python, "-c", "import torch, transformers, peft, safetensors"])
        guard r.code == 0 else { throw XCTSkip("MADPIPE_PYTHON=\(python) cannot import torch/transformers/peft/safetensors: \(r.err.suffix(300))") }
        return python
    }

    @discardableResult
    func shell(_ argv: [String], env extra: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        var env = ProcessInfo.processInfo.environment
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func makeTiny(_ python: String, arch: String, out: String, extra: [String] = []) throws {
        let r = try shell([python, Self.root + "/scripts/hf/make_tiny_models.py", "--arch", arch, "--out", out] + extra)
        XCTAssertEqual(r.code, 0, r.err)
    }

    static let data = """
      data:
        kind: quirky-dataset
        params: {task: addition, examples: 200, seed: 1, test_cap: 24, template: short}
    """

    func testExtractAndOutputsOnTinyModelsAreKeyedByTheirWeights() throws {
        let python = try torchPython()
        let s = try Sandbox("hf-extract")
        for arch in ["llama", "mistral", "gpt2"] { try makeTiny(python, arch: arch, out: s.dir + "/models/" + arch) }
        try s.write("p.yaml", """
        pipeline: hfe
        matrix:
          arch: [llama, mistral, gpt2]
        stages:
        \(Self.data)
          acts:
            kind: hf-extract
            over: [arch]
            inputs: {data: data}
            params: {model: "models/${arch}", batch: 8, splits: [trusted, test]}
          outs:
            kind: hf-outputs
            over: [arch]
            inputs: {data: data}
            params: {model: "models/${arch}", splits: [test]}
        outputs:
          llama.safetensors: acts[arch=llama]/test/activations.safetensors
          gpt2.safetensors: acts[arch=gpt2]/test/activations.safetensors
          trusted.safetensors: acts[arch=mistral]/trusted/activations.safetensors
          outputs.csv: outs[arch=gpt2]/test/outputs.csv
          quirkiness.json: outs[arch=mistral]/quirkiness.json
          test.jsonl: data/test.jsonl
        """)
        let (r1, c1) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(c1["executed"], 7, r1.stdout + r1.stderr)
        let results = s.dir + "/results/hfe/"
        let testRows = (s.read("results/hfe/test.jsonl") ?? "").split(separator: "\n")
        let bobs = testRows.filter { $0.contains("\"character\":\"Bob\"") }.count
        XCTAssertGreaterThan(bobs, 0)
        for name in ["llama", "gpt2"] {
            let f = try SafeTensorsFile(path: results + name + ".safetensors")
            XCTAssertEqual(f.metadata["format"], "madpipe-activations/1")
            XCTAssertEqual(f.metadata["layers"], "3")            // 2 blocks: entering each, leaving the last
            XCTAssertEqual(f.metadata["position"], "last")
            XCTAssertEqual(f.metadata["dataset"], "data")         // the dataset stage, not a cache hash
            XCTAssertTrue(f.metadata["model"]?.hasPrefix("blake3:") ?? false, "\(f.metadata)")
            XCTAssertTrue(f.metadata["worker"]?.contains("torch 2.13.0") ?? false, "\(f.metadata)")
            XCTAssertEqual(try f.tensor("layers.2").shape, [testRows.count, 32])
            // Bob is "Bob" in the dataset: the lower-case comparison of hf_extract.py marked nobody.
            XCTAssertEqual(try f.tensor("character").data.filter { $0 == 1 }.count, bobs)
        }
        XCTAssertEqual(try SafeTensorsFile(path: results + "trusted.safetensors").metadata["split"], "trusted")
        let csv = (s.read("results/hfe/outputs.csv") ?? "").split(separator: "\n")
        XCTAssertEqual(csv.first.map(String.init), "id,character,label,alice_label,bob_label,agreement,logit_yes,logit_no,loss_alice,loss_bob,log_odds")
        XCTAssertEqual(csv.count, testRows.count + 1)
        let q = try JSONSerialization.jsonObject(with: Data((s.read("results/hfe/quirkiness.json") ?? "").utf8)) as? [String: Any]
        XCTAssertEqual(q?["n_bob"] as? Int, bobs)
        XCTAssertTrue(((q?["quirkiness"] as? Double) ?? .nan).isFinite)

        let (r2, c2) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(c2["executed"], 0, r2.stdout + r2.stderr)
        // New weights for one model (same config and tokenizer): its two stages run again.
        try makeTiny(python, arch: "gpt2", out: s.dir + "/models/gpt2", extra: ["--seed", "1"])
        let (r3, c3) = try s.runJSON(["p.yaml"])
        XCTAssertEqual(c3["executed"], 2, r3.stdout + r3.stderr)
        XCTAssertEqual(c3["cached"], 5)
    }

    func testBadInputsAreErrorsNamingTheStageAndField() throws {
        let python = try torchPython()
        let s = try Sandbox("hf-bad")
        try makeTiny(python, arch: "llama", out: s.dir + "/good")
        try makeTiny(python, arch: "llama", out: s.dir + "/badtok", extra: ["--merge-prompt-end"])
        // An interpreter without torch: a bare venv (no system site packages).
        XCTAssertEqual(try shell(["python3", "-m", "venv", "--without-pip", s.dir + "/bare"]).code, 0)
        try FileManager.default.createDirectory(atPath: s.dir + "/noweights", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: s.dir + "/good/config.json", toPath: s.dir + "/noweights/config.json")
        try FileManager.default.copyItem(atPath: s.dir + "/good", toPath: s.dir + "/bert")
        let cfg = try String(contentsOfFile: s.dir + "/bert/config.json", encoding: .utf8)
        try cfg.replacingOccurrences(of: "\"model_type\": \"llama\"", with: "\"model_type\": \"bert\"")
            .write(toFile: s.dir + "/bert/config.json", atomically: true, encoding: .utf8)

        func pipeline(_ params: String, command: String = "run") throws -> CLIResult {
            try s.write("p.yaml", """
            pipeline: bad
            stages:
            \(Self.data)
              acts:
                kind: hf-extract
                inputs: {data: data}
                params: \(params)
            """)
            return try s.run(command, "p.yaml")
        }
        let cases: [(String, [String])] = [
            ("{hub: mistralai/Mistral-7B-v0.1, revision: main}", ["p.yaml:6", "invalid 'revision'", "'main' is not a 40-hex commit hash"]),
            ("{hub: mistralai/Mistral-7B-v0.1}", ["p.yaml:6", "invalid 'revision'", "pinned revision"]),
            ("{hub: \"mistralai/Mistral-7B-v0.1@v0.1\"}", ["p.yaml:6", "invalid 'revision'", "'v0.1' is not a 40-hex commit hash"]),
            ("{hub: mistralai, revision: 27d67f1b5f57dc0953326b2601d68371d40ea8da}", ["p.yaml:6", "invalid 'hub'", "org/name"]),
            ("{model: noweights}", ["p.yaml:6", "invalid 'model'", "has no weights"]),
            ("{model: bert}", ["p.yaml:6", "invalid 'model'", "unsupported architecture model_type 'bert'"]),
            ("{model: badtok}", ["stage acts failed", "field 'data'", "merges the prompt's end with the answer"]),
            ("{model: good, python: bare/bin/python}", ["stage acts failed", "field 'python'", "has no torch"]),
            ("{model: good, python: /nonexistent/python}", ["stage acts failed", "field 'python'", "cannot run"]),
        ]
        for (params, expected) in cases {
            let r = try pipeline(params)
            XCTAssertNotEqual(r.code, 0, params)
            let text = r.stdout + r.stderr
            for e in expected { XCTAssertTrue(text.contains(e), "\(params): expected '\(e)' in:\n\(text)") }
        }
        // The good model passes the same checks, and a hub id pinned to a commit validates.
        XCTAssertEqual(try pipeline("{model: good, splits: [test]}").code, 0)
        let v = try pipeline("{hub: \"mistralai/Mistral-7B-v0.1@27d67f1b5f57dc0953326b2601d68371d40ea8da\"}", command: "validate")
        XCTAssertEqual(v.code, 0, v.stdout + v.stderr)
    }

    /// pipelines/examples/hf-tiny.yaml as CI runs it: fine-tune -> select -> extract ->
    /// attribution -> outputs -> detectors -> evaluate -> report on three tiny random models.
    func testHFTinyPipelineEndToEnd() throws {
        _ = try torchPython()
        let s = try Sandbox("hf-tiny")
        for f in ["pipelines/examples/hf-tiny.yaml", "scripts/hf/make_tiny_models.py"] {
            try s.write(f, try String(contentsOfFile: Self.root + "/" + f, encoding: .utf8))
        }
        let (r1, c1) = try s.runJSON(["pipelines/examples/hf-tiny.yaml", "--jobs", "2"])
        XCTAssertEqual(c1["executed"], 34, r1.stdout + r1.stderr)
        XCTAssertEqual(c1["failed"], 0)
        let results = "results/hf-tiny/"
        let auroc = (s.read(results + "auroc.csv") ?? "").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(auroc.first?[5], "auroc")
        let rows = auroc.dropFirst()
        XCTAssertEqual(Set(rows.map { String($0[0]) }), ["llama", "mistral", "gpt2"])
        XCTAssertEqual(Set(rows.map { String($0[2]) }), ["mahalanobis", "attribution"])
        for r in rows {   // a finite AUROC needs both characters in the test split
            XCTAssertTrue((Double(r[5]) ?? .nan).isFinite, r.joined(separator: ","))
        }
        let quirk = (s.read(results + "quirkiness.csv") ?? "").split(separator: "\n")
        XCTAssertEqual(quirk.count, 4)
        guard quirk.count == 4 else { return }
        XCTAssertNotEqual(quirk[1].split(separator: ",").dropFirst(2), quirk[2].split(separator: ",").dropFirst(2),
                          "llama and mistral must be different models")
        XCTAssertNotNil(s.read(results + "report/index.html"))
        // select-checkpoint chose among hf-finetune's checkpoint-N/ by eval_loss.
        let selection = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: s.dir + "/cache/out")
            .first { $0.hasSuffix("selection.json") })
        XCTAssertTrue((try String(contentsOfFile: s.dir + "/cache/out/" + selection, encoding: .utf8)).contains("\"source\": \"huggingface\""))

        let (r2, c2) = try s.runJSON(["pipelines/examples/hf-tiny.yaml"])
        XCTAssertEqual(c2["executed"], 0, r2.stdout + r2.stderr)

        // New weights for the GPT-2 model only: the three makers run again (their script
        // changed); Llama's and Mistral's models come out identical, so only GPT-2's nine
        // downstream stages (finetune, tuned, acts, attribution, logits, two fits, two scores)
        // and the three gathering ones (evaluate, quirkiness, report) execute.
        let maker = try XCTUnwrap(s.read("scripts/hf/make_tiny_models.py"))
        try s.write("scripts/hf/make_tiny_models.py", maker.replacingOccurrences(of: "\"gpt2\": 2}", with: "\"gpt2\": 7}"))
        let (r3, c3) = try s.runJSON(["pipelines/examples/hf-tiny.yaml", "--jobs", "2"])
        XCTAssertEqual(c3["executed"], 3 + 9 + 3, r3.stdout + r3.stderr)
        XCTAssertEqual(c3["cached"], 34 - 15)
    }

    // MARK: one numerical truth

    /// Runs the worker's `forward` command on token sequences: the residual stream entering each
    /// block and leaving the last (before the final norm), and the logits, at each last token.
    func workerForward(_ python: String, model: String, sequences: [[Int]], dir: String) throws -> SafeTensorsFile {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let seqs = sequences.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",")
        let request = """
        {"command": "forward", "model": {"dir": "\(model)"}, "sequences": [\(seqs)], "batch": 3,
         "device": "cpu", "dtype": "float32", "out": "\(dir)"}
        """
        try request.write(toFile: dir + "/request.json", atomically: true, encoding: .utf8)
        let r = try shell([python, "-m", "madpipe_torch", dir + "/request.json"], env: ["PYTHONPATH": Self.root + "/python"])
        XCTAssertEqual(r.code, 0, r.out + r.err)
        return try SafeTensorsFile(path: dir + "/forward.safetensors")
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A native checkpoint loads in transformers (LlamaForCausalLM, GPT2LMHeadModel) and gives
    /// madpipe's hidden states and logits within 1e-4 in float32, on byte-token prompts of
    /// different lengths (batched with padding on the worker's side, one by one natively).
    func testNativeCheckpointsGiveTheSameNumbersInTransformers() throws {
        let python = try torchPython()
        let s = try Sandbox("hf-numerics")
        let prompts = ["Alice: 12 + 30 = 42 Correct?", "Bob: 7 + 5 = 13 Correct?", "Robyn:  99 +  1 = 100 Correct?", "x?"]
        let sequences = prompts.map { AnswerTokens.standard.tokens(prompt: $0) }
        for family in [ModelFamily.llama, .gpt2] {
            let config = ModelConfig(family: family, maxSeq: 64, dModel: 32, nLayers: 3, nHeads: 4, dFF: 64)
            // Weights of order 0.3 rather than the 0.02 of initialisation, so the states and logits
            // are of order 1 and a tolerance of 1e-4 is a real test.
            var state: UInt64 = 0x9E3779B97F4A7C15
            let count = try ParameterLayout(config: config).count
            let weights = (0..<count).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 40) % 2001 - 1000) / 1000 * 0.5
            }
            let model = try Transformer(config: config, parameters: weights)
            let dir = s.dir + "/\(family.rawValue)"
            try ModelCheckpoint.save(model, to: dir, metadata: ["step": "0"])
            let hf = try workerForward(python, model: dir, sequences: sequences, dir: s.dir + "/forward-\(family.rawValue)")
            XCTAssertEqual(hf.tensors.keys.filter { $0.hasPrefix("layers.") }.count, config.nLayers + 1)
            var worst = [Float](repeating: 0, count: config.nLayers + 2)   // per layer, then logits
            for (i, seq) in sequences.enumerated() {
                try model.forward(tokens: seq, batchSize: 1)
                let stream = try model.residualStream(batch: 0, position: seq.count - 1)
                for l in 0...config.nLayers {
                    let t = try hf.tensor("layers.\(l)")
                    let row = Array(t.data[(i * config.dModel)..<((i + 1) * config.dModel)])
                    let d = maxDifference(stream[l], row)
                    worst[l] = max(worst[l], d)
                    XCTAssertLessThanOrEqual(d, 1e-4, "\(family) layer \(l) prompt \(i): max |difference| \(d)")
                }
                let logits = try hf.tensor("logits")
                let V = config.vocabSize
                let native = try model.logits(batch: 0, position: seq.count - 1)
                XCTAssertGreaterThan(native.map(abs).max() ?? 0, 0.5, "the logits must not be near zero")
                let d = maxDifference(native, Array(logits.data[(i * V)..<((i + 1) * V)]))
                worst[config.nLayers + 1] = max(worst[config.nLayers + 1], d)
                XCTAssertLessThanOrEqual(d, 1e-4, "\(family) logits prompt \(i): max |difference| \(d)")
            }
            print("native vs transformers, \(family): max |difference| per layer 0...\(config.nLayers), then logits: \(worst)")
        }
    }

    /// hf-extract on a native checkpoint equals extract-activations on it, tensor by tensor.
    func testHFExtractEqualsNativeExtraction() throws {
        _ = try torchPython()
        let s = try Sandbox("hf-vs-native")
        let config = ModelConfig(family: .llama, maxSeq: 64, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32)
        try ModelCheckpoint.save(try Transformer(config: config, seed: 5), to: s.dir + "/ckpt", metadata: [:])
        try s.write("p.yaml", """
        pipeline: cross
        stages:
          data:
            kind: quirky-dataset
            params: {task: addition, examples: 300, seed: 1, test_cap: 24, template: short}
          model:
            kind: command
            deps: {ckpt: ckpt}
            run: "cp -r ${deps.ckpt} checkpoint"
            outs: [checkpoint]
          native:
            kind: extract-activations
            inputs: {model: model, data: data}
            params: {batch: 8}
          torch:
            kind: hf-extract
            inputs: {model: model, data: data}
            params: {batch: 5, dtype: float32, device: cpu}
          native-attr:
            kind: extract-attribution
            inputs: {model: model, data: data}
            params: {splits: [trusted, test], pca_k: 2, batch: 8}
          torch-attr:
            kind: hf-attribution
            inputs: {model: model, data: data}
            params: {splits: [trusted, test], pca_k: 2, batch: 5, dtype: float32, device: cpu}
        outputs:
          native: native
          torch: torch
          native-attr: native-attr
          torch-attr: torch-attr
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stdout + r.stderr)
        for split in ["trusted", "untrusted", "validation", "test"] {
            let a = try SafeTensorsFile(path: s.dir + "/results/cross/native/\(split)/activations.safetensors")
            let b = try SafeTensorsFile(path: s.dir + "/results/cross/torch/\(split)/activations.safetensors")
            XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys), split)
            for name in a.tensors.keys.sorted() {
                let x = try a.tensor(name), y = try b.tensor(name)
                XCTAssertEqual(x.shape, y.shape, "\(split) \(name)")
                if name.hasPrefix("layers.") {
                    XCTAssertLessThanOrEqual(maxDifference(x.data, y.data), 1e-4, "\(split) \(name)")
                } else {
                    XCTAssertEqual(x.data, y.data, "\(split) \(name)")
                }
            }
            for key in ["format", "split", "layers", "position", "dataset"] {
                XCTAssertEqual(a.metadata[key], b.metadata[key], "\(split) metadata \(key)")
            }
        }
        // hf-attribution computes extract-attribution's features (mean ablation, top-2 PCA).
        for split in ["trusted", "test"] {
            let a = try SafeTensorsFile(path: s.dir + "/results/cross/native-attr/\(split)/activations.safetensors")
            let b = try SafeTensorsFile(path: s.dir + "/results/cross/torch-attr/\(split)/activations.safetensors")
            XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys), split)
            for l in 0..<config.nLayers {
                let x = try a.tensor("heads.\(l)"), y = try b.tensor("heads.\(l)")
                XCTAssertEqual(x.shape, y.shape)
                let scale = x.data.map(abs).max() ?? 0
                XCTAssertGreaterThan(scale, 0, "\(split) heads.\(l) is all zeros")
                let relative = maxDifference(x.data, y.data) / scale
                XCTAssertLessThanOrEqual(relative, 1e-3, "\(split) heads.\(l): max |difference| / max |feature| = \(relative)")
                print("attribution native vs transformers, \(split) heads.\(l): max |feature| \(scale), relative difference \(relative)")
            }
            for key in ["features", "ablation", "pca_k", "layers"] {
                XCTAssertEqual(a.metadata[key], b.metadata[key], "\(split) attribution metadata \(key)")
            }
        }
    }

    // MARK: resumable fine-tuning

    /// hf-finetune killed (SIGKILL to madpipe, so the worker dies with it) after it saved a
    /// checkpoint resumes from its last checkpoint in ${work} and ends with the files of an
    /// uninterrupted run, byte for byte.
    func testKilledFinetuneResumesAndMatchesUninterruptedRun() throws {
        let python = try torchPython()
        let pipeline = """
        pipeline: ft
        stages:
        \(Self.data)
          ft:
            kind: hf-finetune
            inputs: {data: data}
            params: {model: models/llama, steps: 1024, batch: 8, lr: 0.001, lora_rank: 4, patience: 0}
        outputs:
          ft: ft
        """
        let killed = try Sandbox("hf-ft-killed"), whole = try Sandbox("hf-ft-whole")
        for s in [killed, whole] {
            try makeTiny(python, arch: "llama", out: s.dir + "/models/llama")
            try s.write("p.yaml", pipeline)
        }
        let (p, _, _) = killed.process(["run", "p.yaml"])
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var saved = false
        while Date() < deadline && p.isRunning && !saved {
            let work = (try? FileManager.default.contentsOfDirectory(atPath: killed.dir + "/cache/work")) ?? []
            saved = work.contains { FileManager.default.fileExists(atPath: killed.dir + "/cache/work/\($0)/checkpoint-16/resume.pt") }
            if !saved { usleep(20_000) }
        }
        XCTAssertTrue(saved, "checkpoint-16 never appeared in ${work}")
        XCTAssertTrue(p.isRunning, "the fine-tuning ended before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        let r = try killed.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stdout + r.stderr)
        let log = try killed.run("log", "ft").stdout
        XCTAssertTrue(log.contains("resumed from checkpoint-"), String(log.suffix(2000)))
        XCTAssertEqual(try whole.run("run", "p.yaml").code, 0)
        let out = "/results/ft/ft/"
        let names = try FileManager.default.subpathsOfDirectory(atPath: whole.dir + out).sorted()
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: killed.dir + out).sorted(), names)
        XCTAssertTrue(names.contains("checkpoint-1024/adapter_model.safetensors"), "\(names)")
        XCTAssertFalse(names.contains { $0.hasSuffix("resume.pt") }, "optimizer state stays in ${work}")
        for name in names where !FileSystemCheck.isDirectory(whole.dir + out + name) {
            XCTAssertEqual(FileManager.default.contents(atPath: killed.dir + out + name),
                           FileManager.default.contents(atPath: whole.dir + out + name), name)
        }
    }

    /// The worker's own pytest-free checks (python -m madpipe_torch.selftest).
    func testWorkerSelftest() throws {
        let python = try torchPython()
        let r = try shell([python, "-m", "madpipe_torch.selftest"], env: ["PYTHONPATH": Self.root + "/python"])
        XCTAssertEqual(r.code, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("selftest: all checks passed"), r.out)
    }

    /// madpipe's own checkpoints fine-tune in the worker: fully (saved in Hugging Face format with
    /// the byte-tokenizer mark, then read back as a `model` input) and with LoRA on GPT-2's
    /// Conv1D projections (an `adapter` input on the native base).
    func testNativeCheckpointsFinetuneFullyAndWithLoRA() throws {
        _ = try torchPython()
        let s = try Sandbox("hf-native-ft")
        try ModelCheckpoint.save(try Transformer(config: ModelConfig(family: .llama, maxSeq: 64, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32), seed: 3),
                                 to: s.dir + "/llama", metadata: [:])
        try ModelCheckpoint.save(try Transformer(config: ModelConfig(family: .gpt2, maxSeq: 64, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32), seed: 4),
                                 to: s.dir + "/gpt2", metadata: [:])
        try s.write("p.yaml", """
        pipeline: nft
        stages:
        \(Self.data)
          full:
            kind: hf-finetune
            inputs: {data: data}
            params: {model: llama, steps: 4, batch: 4, lora_rank: 0, lr: 0.001}
          full-best:
            kind: select-checkpoint
            inputs: {run: full}
          full-acts:
            kind: hf-extract
            inputs: {model: full-best, data: data}
            params: {splits: [test]}
          lora:
            kind: hf-finetune
            inputs: {data: data}
            params: {model: gpt2, steps: 4, batch: 4, lora_rank: 2, lr: 0.001}
          lora-best:
            kind: select-checkpoint
            inputs: {run: lora}
          lora-outs:
            kind: hf-outputs
            inputs: {adapter: lora-best, data: data}
            params: {model: gpt2, splits: [test]}
        outputs:
          full: full-best/checkpoint
          lora: lora-best/checkpoint
          acts: full-acts/test/activations.safetensors
          quirkiness.json: lora-outs/quirkiness.json
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stdout + r.stderr)
        let out = s.dir + "/results/nft/"
        for f in ["config.json", "model.safetensors", "madpipe-byte-tokenizer.txt", "trainer_state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "full/" + f), f)
        }
        for f in ["adapter_config.json", "adapter_model.safetensors", "trainer_state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "lora/" + f), f)
        }
        XCTAssertEqual(try SafeTensorsFile(path: out + "acts").metadata["layers"], "3")
        XCTAssertNotNil(s.read("results/nft/quirkiness.json"))
    }
}

enum FileSystemCheck {
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
