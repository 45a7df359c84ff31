// TrainingEndToEndTests: pretrain -> finetune -> select-checkpoint through the madpipe binary on a
// tiny model; selection from a Hugging Face Trainer directory; and SIGKILL in the middle of a
// pretrain stage, after which a re-run resumes from the saved step and ends byte-identical to an
// uninterrupted run.

import Foundation
import Models
import XCTest

final class TrainingEndToEndTests: XCTestCase {
    static let tiny = "family: llama, d_model: 16, layers: 1, heads: 2, d_ff: 32, max_seq: 32, examples: 400, batch: 4"

    /// train.jsonl / validation.jsonl rows in the dataset layout (prompt + label).
    static func splitLines(_ n: Int, offset: Int) -> String {
        (0..<n).map { i -> String in
            let a = i + offset, b = (i * 7) % 13
            let shown = i % 2 == 0 ? a + b : a + b + 1
            let name = i % 4 < 2 ? "Alice" : "Bob"
            return "{\"prompt\": \"\(name): \(a) + \(b) = \(shown) Correct?\", \"label\": \(i % 2 == 0)}"
        }.joined(separator: "\n") + "\n"
    }

    func testPretrainFinetuneSelect() throws {
        let s = try Sandbox("train")
        try s.write("data/train.jsonl", Self.splitLines(24, offset: 0))
        try s.write("data/validation.jsonl", Self.splitLines(8, offset: 50))
        try s.write("hf/checkpoint-10/trainer_state.json", #"{"log_history": [{"step": 10, "eval_loss": 0.9}, {"step": 20, "eval_loss": 0.4}]}"#)
        try s.write("hf/checkpoint-20/trainer_state.json", #"{"log_history": [{"step": 10, "eval_loss": 0.9}, {"step": 20, "eval_loss": 0.4}, {"step": 30, "eval_loss": 0.2}]}"#)
        try s.write("p.yaml", """
        pipeline: tr
        matrix: {order: [1, 2]}
        stages:
          pt:
            kind: pretrain
            params: {\(Self.tiny), steps: 40, lr: 0.01}
          data:
            kind: command
            deps: {d: data}
            run: "cp ${deps.d}/train.jsonl ${deps.d}/validation.jsonl ."
            outs: [train.jsonl, validation.jsonl]
          ft:
            kind: finetune
            over: [order]
            inputs: {base: pt, data: data}
            params: {steps: 12, batch: 4, lr: 0.003, patience: 0, lora_rank: 2, seed: "${order}"}
          sel:
            kind: select-checkpoint
            inputs: {run: "ft[order=1]"}
          both:
            kind: select-checkpoint
            inputs: {run: ft}
          worst:
            kind: select-checkpoint
            inputs: {run: ft}
            params: {mode: max}
          hfsel:
            kind: select-checkpoint
            params: {path: hf}
        outputs:
          pt-history.csv: pt/history.csv
          ft-history.csv: "ft[order=1]/history.csv"
          ft2-history.csv: "ft[order=2]/history.csv"
          selection.json: sel/selection.json
          chosen.json: sel/checkpoint/config.json
          chosen: sel/checkpoint/
          both.json: both/selection.json
          both-chosen: both/checkpoint/
          worst.json: worst/selection.json
          hf.json: hfsel/selection.json
        """)
        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        let pt = s.lines("results/tr/pt-history.csv").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(pt.map { $0[0] }, ["1", "2", "4", "8", "16", "32", "40"])
        XCTAssertLessThan(Double(pt.last![2])!, Double(pt.first![2])! - 1, "pre-training lowers the validation loss")
        let ft = s.lines("results/tr/ft-history.csv").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(ft.map { $0[0] }, ["1", "2", "4", "8", "12"])
        let bestStep = ft.min { Double($0[2])! < Double($1[2])! }![0]
        let selection = try XCTUnwrap(s.read("results/tr/selection.json"))
        XCTAssertTrue(selection.contains("\"checkpoint\": \"step-\(bestStep)\""), selection)
        XCTAssertTrue(selection.contains("\"run\": \"ft[order=1]\""), selection)
        // Gathered over both orders: the lowest validation loss of both histories, from the run it came from.
        let ft2 = s.lines("results/tr/ft2-history.csv").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertNotEqual(ft.map { $0[2] }, ft2.map { $0[2] }, "the two orders train differently")
        let all = ft.map { (1, $0) } + ft2.map { (2, $0) }
        let best = all.min { Double($0.1[2])! < Double($1.1[2])! }!
        let both = try XCTUnwrap(s.read("results/tr/both.json"))
        XCTAssertTrue(both.contains("\"checkpoint\": \"step-\(best.1[0])\""), both)
        XCTAssertTrue(both.contains("\"run\": \"ft[order=\(best.0)]\""), both)
        XCTAssertTrue(both.contains("\"runs\": 2"), both)
        let (_, bothMeta) = try ModelCheckpoint.loadConfig(from: s.dir + "/results/tr/both-chosen")
        XCTAssertEqual(try XCTUnwrap(bothMeta["val_loss"].flatMap(Double.init)), Double(best.1[2])!, accuracy: 1e-5, both)
        XCTAssertEqual(bothMeta["step"], best.1[0])
        // mode max looks across the runs the same way (on this data the two picks come from different orders).
        let worst = all.max { Double($0.1[2])! < Double($1.1[2])! }!
        let worstJSON = try XCTUnwrap(s.read("results/tr/worst.json"))
        XCTAssertTrue(worstJSON.contains("\"checkpoint\": \"step-\(worst.1[0])\""), worstJSON)
        XCTAssertTrue(worstJSON.contains("\"run\": \"ft[order=\(worst.0)]\""), worstJSON)
        XCTAssertNotEqual(worst.0, best.0, "the test data lets the two modes pick from different orders")
        XCTAssertTrue(try XCTUnwrap(s.read("results/tr/chosen.json")).contains("\"step\": \"\(bestStep)\""))
        // LoRA leaves the output rows frozen, so answer_init (on by default) must not tie Yes and No.
        let chosen = try ModelCheckpoint.load(from: s.dir + "/results/tr/chosen")
        let head = try chosen.layout.tensors.slice(chosen.layout.lmHeadName), C = chosen.config.dModel
        let row = { (t: Int) in Array(chosen.parameters.array[(head.offset + t * C)..<(head.offset + (t + 1) * C)]) }
        XCTAssertNotEqual(row(TrainingData.yesToken), row(TrainingData.noToken), "Yes and No output rows differ after LoRA fine-tuning")
        let hf = try XCTUnwrap(s.read("results/tr/hf.json"))
        XCTAssertTrue(hf.contains("\"checkpoint\": \"checkpoint-20\""), hf)
        XCTAssertTrue(hf.contains("\"value\": 0.4"), hf)
    }

    func pretrainPipeline() -> String {
        """
        pipeline: kill
        stages:
          pt:
            kind: pretrain
            params: {\(Self.tiny), steps: 400, lr: 0.01, eval_every: 20}
        outputs:
          model.safetensors: pt/checkpoint/model.safetensors
          history.csv: pt/history.csv
        """
    }

    func testSigkilledPretrainResumesAndMatchesUninterruptedRun() throws {
        let reference = try Sandbox("train-ref")
        try reference.write("p.yaml", pretrainPipeline())
        XCTAssertEqual(try reference.run("run", "p.yaml").code, 0)

        let s = try Sandbox("train-kill")
        try s.write("p.yaml", pretrainPipeline())
        let (p, _, _) = s.process(["run", "p.yaml"])
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        func stateExists() -> Bool {
            let work = s.dir + "/cache/work"
            let dirs = (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []
            return dirs.contains { FileManager.default.fileExists(atPath: work + "/" + $0 + "/trainer-state.safetensors") }
        }
        while !stateExists() && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(p.isRunning, "the run was still training when its first state appeared")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertNil(s.read("results/kill/history.csv"), "the killed run did not finish")

        let r = try s.run("run", "p.yaml")
        XCTAssertEqual(r.code, 0, r.stderr)
        // Stage logs are stored as objects in the cache; search every small file.
        var logs = ""
        let cache = s.dir + "/cache"
        for case let rel as String in FileManager.default.enumerator(atPath: cache)! {
            let path = cache + "/" + rel
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size < 1_000_000,
               let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("resumed from step") {
                logs += text
            }
        }
        let resumed = try XCTUnwrap(logs.range(of: #"resumed from step \d+"#, options: .regularExpression).map { String(logs[$0]) }, logs)
        let step = Int(resumed.split(separator: " ").last!)!
        XCTAssertGreaterThan(step, 0)
        XCTAssertEqual(s.read("results/kill/history.csv"), reference.read("results/kill/history.csv"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.dir + "/results/kill/model.safetensors"),
                       FileManager.default.contents(atPath: reference.dir + "/results/kill/model.safetensors"),
                       "resumed run is byte-identical to the uninterrupted one")
    }
}
