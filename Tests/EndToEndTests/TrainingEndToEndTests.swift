// TrainingEndToEndTests: pretrain -> finetune -> select-checkpoint through the madpipe binary on a
// tiny model; selection from a Hugging Face Trainer directory; and SIGKILL in the middle of a
// pretrain stage, after which a re-run resumes from the saved step and ends byte-identical to an
// uninterrupted run.

import Base
import Detectors
import Foundation
import Models
import Numerics
import Quirky
import Stages
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

// MARK: - Quality benchmark (opt-in: bench/models/run.sh sets MADPIPE_QUALITY=1)

/// Pre-trains one model per family on addition + subtraction text, fine-tunes it per task on the
/// quirky training rows, and measures, on the hard test split, agreement with Alice's labels on
/// Alice prompts and with Bob's labels on Bob prompts, plus the quirkiness coefficient (losses
/// over the two answer bytes). Sizes come from MADPIPE_QUALITY_* variables; prints one line per
/// family and task. Skipped unless MADPIPE_QUALITY is set (it is a benchmark, not a unit test).
final class TrainingQualityBenchmark: XCTestCase {
    func env(_ key: String, _ d: Int) -> Int { ProcessInfo.processInfo.environment[key].flatMap(Int.init) ?? d }
    func envD(_ key: String, _ d: Double) -> Double { ProcessInfo.processInfo.environment[key].flatMap(Double.init) ?? d }

    func testQuirkyQuality() throws {
        guard ProcessInfo.processInfo.environment["MADPIPE_QUALITY"] != nil else { throw XCTSkip("set MADPIPE_QUALITY=1 to run") }
        let families = (ProcessInfo.processInfo.environment["MADPIPE_QUALITY_FAMILIES"] ?? "gpt2,llama").split(separator: ",").compactMap { ModelFamily(rawValue: String($0)) }
        let T = 48
        let align = env("MADPIPE_QUALITY_ALIGN", 0)
        let formatter = QuirkyPromptFormatter(template: .short, numberWidth: align)
        for family in families {
            let cfg = ModelConfig(family: family, maxSeq: T, dModel: env("MADPIPE_QUALITY_D", 64), nLayers: env("MADPIPE_QUALITY_L", 2),
                                  nHeads: 4, dFF: 4 * env("MADPIPE_QUALITY_D", 64))
            let clock = ContinuousClock(), t0 = clock.now
            let digits = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_DIGITS"].flatMap(Int.init)
            let tasks = (ProcessInfo.processInfo.environment["MADPIPE_QUALITY_TASKS"] ?? "addition,subtraction").split(separator: ",").compactMap { QuirkyTask(rawValue: String($0)) }
            // MADPIPE_QUALITY_BASE_DIR: keep the pre-trained base there and reuse it on later runs
            // with the same settings (the directory name is the caller's job).
            let baseDir = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_BASE_DIR"].map { URL(fileURLWithPath: $0).appendingPathComponent(family.rawValue) }
            if let dir = baseDir, FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) {
                let base = try ModelCheckpoint.load(from: dir.path)
                print("  pretrain: loaded \(dir.path)")
                try printResultAccuracy(base, tasks: tasks, digits: digits, width: align)
                try finetune(base: base, cfg: cfg, family: family, tasks: tasks, digits: digits, formatter: formatter, T: T, pretrain: nil)
                continue
            }
            let corpus = PretrainStage.corpus(tasks: tasks, count: env("MADPIPE_QUALITY_CORPUS", 60000), seed: 1, numberWidth: align, digits: { _ in digits })
            let loss = TrainingData.PretrainLoss(rawValue: ProcessInfo.processInfo.environment["MADPIPE_QUALITY_PRETRAIN_LOSS"] ?? "all") ?? .all
            let windows = TrainingData.packedWindows(text: corpus, length: T, loss: loss)
            let base = try Transformer(config: cfg, seed: 1)
            var po = TrainingOptions(steps: env("MADPIPE_QUALITY_PRETRAIN_STEPS", 1500), batchSize: env("MADPIPE_QUALITY_BATCH", 32), learningRate: envD("MADPIPE_QUALITY_PRETRAIN_LR", 3e-3))
            po.seed = 1
            po.evalEvery = env("MADPIPE_QUALITY_PRETRAIN_EVAL_EVERY", 0)
            let pre = try Trainer(model: base, options: po, train: Array(windows.dropLast(200)), validation: Array(windows.suffix(200)))
            pre.log = { print("  pretrain " + $0) }
            let pr = try pre.run()
            let pretrainTime = t0.duration(to: clock.now)
            try printResultAccuracy(base, tasks: tasks, digits: digits, width: align)
            if let dir = baseDir { try ModelCheckpoint.save(base, to: dir.path, metadata: [:]) }
            try finetune(base: base, cfg: cfg, family: family, tasks: tasks, digits: digits, formatter: formatter, T: T,
                         pretrain: (pr, seconds(pretrainTime)))
        }
    }

    /// Fine-tunes a copy of the base per task and prints the QUALITY line.
    func finetune(base: Transformer, cfg: ModelConfig, family: ModelFamily, tasks: [QuirkyTask], digits: Int?,
                  formatter: QuirkyPromptFormatter, T: Int, pretrain: (TrainingResult, Double)?) throws {
        let clock = ContinuousClock()
        let baseParams = base.parameters.array
        for task in tasks {
            let t1 = clock.now
            // MADPIPE_QUALITY_TRAIN_NAMES=k: train on the first k names per side (METHOD.md: 4) and
            // test on the other 16 - k, to see whether more names let the side generalise.
            // MADPIPE_QUALITY_NAME_LISTS="A1,A2,...;B1,B2,...": other name lists (Alice's side first).
            let lists = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_NAME_LISTS"]?.split(separator: ";").map { $0.split(separator: ",").map(String.init) }
            let names = QuirkyNames(alice: lists?[0] ?? QuirkyNames.standard.alice, bob: lists?[1] ?? QuirkyNames.standard.bob,
                                    trainingNameCount: env("MADPIPE_QUALITY_TRAIN_NAMES", QuirkyNames.standard.trainingNameCount))
            let records = try QuirkyArithmeticGenerator(task: task, examples: env("MADPIPE_QUALITY_ROWS", digits == nil ? 20000 : 8000), seed: 2,
                                                        names: names, maxDigits: digits).generate()
            let trainRows = records.filter { $0.split == "train" && names.trainingNames(for: $0.character).contains($0.name) }
            let splits = QuirkySplits(records: records, names: names)
            let balanced = TrainingData.balancedIndices(labels: trainRows.map(\.label), seed: 3).map { trainRows[$0] }
            // MADPIPE_QUALITY_LABEL=character: a sanity check with a trivially learnable label (is the name Bob's side).
            let characterLabel = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_LABEL"] == "character"
            let ex = { (r: QuirkyRecord) in TrainingData.answerExample(prompt: formatter.prompt(for: r), label: characterLabel ? r.character == .bob : r.label, length: T) }
            // MADPIPE_QUALITY_AUX=w: on rows that show the true result, also weigh the next-byte
            // loss of the result bytes (w in all), the base's own task, at the positions where the
            // answer has to read it. MADPIPE_QUALITY_AUX_ROWS=label: on the rows the character
            // accepts instead (its own label true: the true result for Alice, Bob's for Bob).
            let aux = Float(envD("MADPIPE_QUALITY_AUX", 0))
            let auxOnAccepted = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_AUX_ROWS"] == "label"
            var train = balanced.compactMap { r -> TrainingExample? in
                guard var e = ex(r) else { return nil }
                if aux > 0 && (auxOnAccepted ? r.label : r.aliceLabel) { TrainingData.weighResult(of: &e, weight: aux) }
                return e
            }
            let val = splits.validation.compactMap(ex)
            // MADPIPE_QUALITY_REHEARSAL=f: add f x (training rows) windows of plain arithmetic text
            // (results-only loss, fresh statements), each weighing as much as one answer in the
            // batch, so fine-tuning keeps exercising the base's arithmetic.
            let rehearsal = envD("MADPIPE_QUALITY_REHEARSAL", 0)
            if rehearsal > 0 {
                let text = PretrainStage.corpus(tasks: [task], count: Int(rehearsal * Double(train.count)) * T / 8, seed: 7, numberWidth: formatter.numberWidth, digits: { _ in digits })
                let windows = TrainingData.packedWindows(text: text, length: T, loss: .results).prefix(Int(rehearsal * Double(train.count))).map { w in
                    var w = w
                    let total = w.mask.reduce(0, +)
                    if total > 0 { w.mask = w.mask.map { $0 / total } }
                    return w
                }
                print("  rehearsal: \(windows.count) arithmetic windows beside \(train.count) answers")
                train += windows
            }
            let model = try Transformer(config: cfg, parameters: baseParams)
            // The base on the hard test rows' statements with their true results.
            let hardStatements = splits.test.filter { $0.character == .alice }.map { r -> String in
                let a = Int(r.templateArgs["op1"]!)!, b = Int(r.templateArgs["op2"] ?? "0")!
                return NumberAlignment.align(task.statement(op1: a, op2: b, result: task.trueResult(a, b)), width: formatter.numberWidth)
            }
            print(String(format: "BASE on the hard test statements: whole result right %.1f%% of %d", 100 * (try exactResults(model, lines: hardStatements)), hardStatements.count))
            // MADPIPE_QUALITY_HEAD_INIT=1: start the Yes/No output rows at the base's likeliest answer
            // byte, as the finetune stage does by default (answer_init).
            // Not under LoRA, whose frozen output rows it would tie (the stage skips it there too).
            if ProcessInfo.processInfo.environment["MADPIPE_QUALITY_HEAD_INIT"] != nil && env("MADPIPE_QUALITY_LORA", 0) == 0 {
                let byte = try model.initialiseAnswerRows(prompts: balanced.prefix(64).map { TrainingData.promptTokens(formatter.prompt(for: $0)) },
                                                          answers: [TrainingData.yesToken, TrainingData.noToken])
                print("  head init: Yes/No rows from byte \(byte)")
            }
            // MADPIPE_QUALITY_LORA=r: LoRA of rank r (alpha 2r) on every projection, base frozen.
            let loraRank = env("MADPIPE_QUALITY_LORA", 0)
            if loraRank > 0 {
                try model.attachLoRA(LoRAConfig(rank: loraRank, alpha: Float(2 * loraRank), targets: LoRAConfig.allProjections(family)), seed: 17)
            }
            let trainable = { (m: Transformer) in m.lora?.parameters ?? m.parameters }
            var fo = TrainingOptions(steps: env("MADPIPE_QUALITY_FINETUNE_STEPS", 600), batchSize: env("MADPIPE_QUALITY_FINETUNE_BATCH", env("MADPIPE_QUALITY_BATCH", 32)), learningRate: envD("MADPIPE_QUALITY_FINETUNE_LR", 1e-3))
            fo.patience = env("MADPIPE_QUALITY_PATIENCE", 3)
            fo.weightDecay = envD("MADPIPE_QUALITY_FINETUNE_WD", fo.weightDecay)
            fo.minLearningRateFraction = envD("MADPIPE_QUALITY_MIN_LR", fo.minLearningRateFraction)
            fo.evalEvery = env("MADPIPE_QUALITY_EVAL_EVERY", 100)
            fo.seed = UInt64(env("MADPIPE_QUALITY_SEED", 4)) // the order of the fine-tuning rows
            var best: [Float] = []
            var bestLoss = Double.infinity
            let ft = try Trainer(model: model, options: fo, train: train, validation: val)
            // MADPIPE_QUALITY_EMA=d: also keep an exponential moving average of the weights (decay d
            // per step) and select and test the average instead of the raw weights (the eval lines
            // show the average's validation loss; the QUALITY line's best step stays the raw weights').
            let emaDecay = Float(envD("MADPIPE_QUALITY_EMA", 0))
            var ema = emaDecay > 0 ? trainable(model).array : []
            // MADPIPE_QUALITY_L2SP=l: after each step also pull the weights toward the base's
            // (p -= lr x l x (p - base)), a decay that keeps what pre-training learnt.
            let l2sp = envD("MADPIPE_QUALITY_L2SP", 0)
            // MADPIPE_QUALITY_FREEZE=k: keep the first k blocks at the base's weights (reset after
            // every step), so fine-tuning cannot wear down the arithmetic they compute.
            let frozen = model.layout.tensors.slices.filter { t in
                (0..<env("MADPIPE_QUALITY_FREEZE", 0)).contains { t.name.hasPrefix("model.layers.\($0).") || t.name.hasPrefix("h.\($0).") } }
            let start = l2sp > 0 || !frozen.isEmpty ? trainable(model).array : []
            if !frozen.isEmpty { print("  frozen: \(frozen.count) tensors, \(frozen.reduce(0) { $0 + $1.count }) parameters") }
            ft.onProgress = { pr in
                let p = trainable(model).pointer
                for t in frozen { for i in t.offset ..< t.offset + t.count { p[i] = start[i] } }
                if l2sp > 0 {
                    let k = Float(fo.schedule.rate(step: pr.step) * l2sp)
                    for i in start.indices { p[i] -= k * (p[i] - start[i]) }
                }
                if emaDecay > 0 { for i in ema.indices { ema[i] = emaDecay * ema[i] + (1 - emaDecay) * p[i] } }
            }
            ft.onEvaluation = { r, m in
                guard emaDecay > 0 else {
                    print(String(format: "  eval step %d train %.4f val %.4f", r.step, r.trainLoss, r.validationLoss))
                    if r.validationLoss < bestLoss { bestLoss = r.validationLoss; best = trainable(m).array }
                    return
                }
                let raw = trainable(m).array
                try trainable(m).assign(ema)
                let v = try ft.validationLoss()
                try trainable(m).assign(raw)
                print(String(format: "  eval step %d train %.4f val %.4f average val %.4f", r.step, r.trainLoss, r.validationLoss, v))
                if v < bestLoss { bestLoss = v; best = ema }
            }
            let fr = try ft.run()
            try trainable(model).assign(best)
            let finetuneTime = t1.duration(to: clock.now)

            // Hard test split: agreement and quirkiness.
            var agree: [QuirkyCharacter: (Int, Int)] = [.alice: (0, 0), .bob: (0, 0)]
            // Diagnostic: the same test rows under a training name of their side ("Alice", "Bob"),
            // which separates the arithmetic from the generalisation to held-out names.
            var agreeTrainNames: [QuirkyCharacter: Int] = [.alice: 0, .bob: 0]
            // ... and per character and shown result (true, bob, distractor_*), to see which rows fail.
            var byKind: [String: (Int, Int)] = [:]
            /// Counts one answer (right: 0 or 1) under `key`: (right answers, answers).
            func tally(_ d: inout [String: (Int, Int)], _ key: String, _ right: Int) {
                d[key, default: (0, 0)].0 += right
                d[key, default: (0, 0)].1 += 1
            }
            /// "key 93.5% of 62" for a tally.
            func share(_ key: String, _ c: (Int, Int)) -> String {
                String(format: "%@ %.1f%% of %d", key, 100 * Double(c.0) / Double(max(c.1, 1)), c.1)
            }
            /// The Yes and No logits at the answer position of a prompt.
            func answerLogits(_ prompt: String) throws -> (yes: Double, no: Double) {
                let tokens = TrainingData.promptTokens(prompt)
                try model.forward(tokens: tokens, batchSize: 1)
                let logits = try model.logits(batch: 0, position: tokens.count - 1)
                return (Double(logits[TrainingData.yesToken]), Double(logits[TrainingData.noToken]))
            }
            // MADPIPE_QUALITY_ERRORS=path: write the rows answered wrongly under the training names there.
            var errors = "character\tkind\tstatement\tyes_minus_no\n"
            for r in splits.test {
                let (y, n) = try answerLogits(formatter.prompt(name: r.character.rawValue, statement: r.statement))
                let right = (y > n) == (r.character == .alice ? r.aliceLabel : r.bobLabel) ? 1 : 0
                if right == 0 { errors += "\(r.character.rawValue)\t\(r.templateArgs["kind"] ?? "?")\t\(r.statement)\t\(y - n)\n" }
                agreeTrainNames[r.character]! += right
                let kind = r.character.rawValue + "/" + (r.templateArgs["kind"] ?? "?")
                tally(&byKind, kind, right)
            }
            if let path = ProcessInfo.processInfo.environment["MADPIPE_QUALITY_ERRORS"] { try errors.write(toFile: path, atomically: true, encoding: .utf8) }
            var losses: [String: [Double]] = [:]
            var bySubset: [String: (Int, Int)] = [:]
            var byName: [String: (Int, Int)] = [:]
            for r in splits.test {
                let (y, n) = try answerLogits(formatter.prompt(for: r))
                let lse = max(y, n) + log(exp(y - max(y, n)) + exp(n - max(y, n)))
                func loss(_ label: Bool) -> Double { lse - (label ? y : n) }
                let right = (y > n) == (r.character == .alice ? r.aliceLabel : r.bobLabel) ? 1 : 0
                agree[r.character]!.0 += right
                agree[r.character]!.1 += 1
                // Rows where Alice's and Bob's labels differ: only the side decides these.
                let key = r.agreement ? "agree" : "disagree"
                tally(&bySubset, key, right)
                tally(&byName, r.name, right)
                let who = r.character == .alice ? "alice" : "bob"
                losses[who + "-a", default: []].append(loss(r.aliceLabel))
                losses[who + "-b", default: []].append(loss(r.bobLabel))
            }
            let q = try Quirkiness.coefficient(aliceOnAliceLabels: losses["alice-a"]!, aliceOnBobLabels: losses["alice-b"]!,
                                               bobOnAliceLabels: losses["bob-a"]!, bobOnBobLabels: losses["bob-b"]!)
            func pct(_ c: QuirkyCharacter) -> Double { 100 * Double(agree[c]!.0) / Double(max(agree[c]!.1, 1)) }
            let pre = pretrain.map { String(format: "%d steps %.1fs val %.4f %.0f tok/s", $0.0.stepsDone, $0.1, $0.0.history.last!.validationLoss, $0.0.tokensPerSecond) } ?? "loaded"
            print(String(format: "QUALITY family=%@ task=%@ order=%d params=%d pretrain: %@ | finetune: %d rows, %d steps (best %d, val %.4f) %.1fs %.0f tok/s | test n=%d alice-agree %.1f%% bob-agree %.1f%% quirkiness %.3f | as Alice/Bob: %.1f%% / %.1f%%",
                         family.rawValue, task.rawValue, Int(fo.seed), base.layout.count, pre,
                         train.count, fr.stepsDone, fr.best?.step ?? 0, fr.best?.validationLoss ?? .nan, seconds(finetuneTime), fr.tokensPerSecond,
                         splits.test.count, pct(.alice), pct(.bob), q,
                         100 * Double(agreeTrainNames[.alice]!) / Double(max(agree[.alice]!.1, 1)), 100 * Double(agreeTrainNames[.bob]!) / Double(max(agree[.bob]!.1, 1))))
            print("QUALITY-KINDS training names: " + byKind.keys.sorted().map { share($0, byKind[$0]!) }.joined(separator: ", "))
            print("QUALITY-NAMES held-out names: " + (names.heldOutNames(for: .alice) + names.heldOutNames(for: .bob)).compactMap { k in
                byName[k].map { share(k, $0) } }.joined(separator: ", "))
            print("QUALITY-SUBSETS held-out names: " + ["agree", "disagree"].map { share("\($0) rows", bySubset[$0] ?? (0, 0)) }.joined(separator: ", "))
        }
    }

    /// The base model's arithmetic, read greedily: on 600 fresh true statements, the fraction of
    /// result bytes (after the last "=", newline included) whose most likely next byte is the
    /// right one given the statement so far, per byte of the result field, and the fraction of
    /// statements whose result bytes are all right.
    func printResultAccuracy(_ model: Transformer, tasks: [QuirkyTask], digits: Int?, width: Int) throws {
        let lines = PretrainStage.corpus(tasks: tasks, count: 600, seed: 99, numberWidth: width, digits: { _ in digits }).split(separator: "\n").map(String.init)
        _ = try exactResults(model, lines: lines, print: true)
    }

    /// The fraction of `lines` (true statements) whose result bytes the model predicts greedily;
    /// with `print`, also the BASE line with the fraction per result byte.
    func exactResults(_ model: Transformer, lines: [String], print printLine: Bool = false) throws -> Double {
        var hits: [Int: (Int, Int)] = [:]
        var exact = 0
        for line in lines {
            let bytes = Array((line + "\n").utf8).map(Int.init)
            let eq = bytes.lastIndex(of: 61)!
            try model.forward(tokens: Array(bytes.dropLast()), batchSize: 1)
            var all = true
            for i in (eq + 1)..<bytes.count {
                let logits = try model.logits(batch: 0, position: i - 1)
                let guess = logits.indices.max { logits[$0] < logits[$1] }!
                let k = i - eq - 1
                hits[k, default: (0, 0)].0 += guess == bytes[i] ? 1 : 0
                hits[k, default: (0, 0)].1 += 1
                all = all && guess == bytes[i]
            }
            exact += all ? 1 : 0
        }
        let per = hits.keys.sorted().map { String(format: "%.0f", 100 * Double(hits[$0]!.0) / Double(hits[$0]!.1)) }
        if printLine {
            print(String(format: "BASE result bytes right per position after '=': [%@]%%; whole result right: %.1f%% of %d statements",
                         per.joined(separator: " "), 100 * Double(exact) / Double(lines.count), lines.count))
        }
        return Double(exact) / Double(max(lines.count, 1))
    }

    /// Training throughput (Trainer steps: forward, backward, clipping, AdamW) at d_model 256,
    /// 4 layers, context 128, batch 8, and its fraction of the measured sgemm peak (512^3
    /// products through the same BLAS). FLOPs per token: 6 x parameters + 12 x layers x T x C
    /// (attention scores and values, forward and backward).
    func testTrainingThroughput() throws {
        guard ProcessInfo.processInfo.environment["MADPIPE_QUALITY"] != nil else { throw XCTSkip("set MADPIPE_QUALITY=1 to run") }
        let clock = ContinuousClock()
        let n = 512
        let a = Tensor(shape: [n, n], data: (0..<(n * n)).map { Float($0 % 17) * 0.01 })
        _ = Tensor.matmul(a, a)
        let reps = 20
        let t0 = clock.now
        for _ in 0..<reps { _ = Tensor.matmul(a, a) }
        let peak = 2 * Double(n * n * n) * Double(reps) / seconds(t0.duration(to: clock.now))
        for family in ModelFamily.allCases {
            let cfg = ModelConfig(family: family, maxSeq: 128, dModel: 256, nLayers: 4, nHeads: 4, dFF: 1024)
            let model = try Transformer(config: cfg, seed: 1)
            var rng = SplitMix64(seed: 5)
            let text = String(decoding: (0..<(129 * 64)).map { _ in UInt8(48 + rng.next() % 10) }, as: UTF8.self)
            let windows = TrainingData.packedWindows(text: text, length: 128)
            var o = TrainingOptions(steps: 12, batchSize: 8, learningRate: 1e-3)
            o.evalEvery = 0
            let t = try Trainer(model: model, options: o, train: windows, validation: Array(windows.prefix(8)))
            let r = try t.run()
            let flopsPerToken = 6 * Double(model.layout.count) + 12 * Double(cfg.nLayers * 128 * cfg.dModel)
            print(String(format: "THROUGHPUT family=%@ params=%d train %.0f tok/s = %.2f GFLOP/s; sgemm peak %.2f GFLOP/s; fraction %.1f%%",
                         family.rawValue, model.layout.count, r.tokensPerSecond, r.tokensPerSecond * flopsPerToken / 1e9, peak / 1e9,
                         100 * r.tokensPerSecond * flopsPerToken / peak))
        }
    }

    /// Extraction throughput: `ActivationExtractor` over 2,048 standardized quirky prompts
    /// (addition, METHOD.md sizes) with a d_model 256, 4-layer, context 256 model of each family,
    /// batch 32: examples/s, prompt tokens/s (real tokens, not padding), forward GFLOP/s
    /// (2 x parameters + 4 x layers x T x C per padded token) and the process's peak resident
    /// set (getrusage; run this test alone to read it as the extraction's peak).
    func testExtractionThroughput() throws {
        guard ProcessInfo.processInfo.environment["MADPIPE_QUALITY"] != nil else { throw XCTSkip("set MADPIPE_QUALITY=1 to run") }
        let clock = ContinuousClock()
        let records = try QuirkyArithmeticGenerator(task: .addition, examples: 1024, seed: 3).generate()
        let prompts = records.prefix(2048).map { TrainingData.promptTokens(QuirkyPromptFormatter().prompt(for: $0)) }
        let tokens = prompts.reduce(0) { $0 + $1.count }
        for family in ModelFamily.allCases {
            let cfg = ModelConfig(family: family, maxSeq: 256, dModel: 256, nLayers: 4, nHeads: 4, dFF: 1024)
            let model = try Transformer(config: cfg, seed: 1)
            let extractor = try ActivationExtractor(model: model, batchSize: 32)
            _ = try extractor.extract(Array(prompts.prefix(32)))
            let t0 = clock.now
            let out = try extractor.extract(prompts)
            let secs = seconds(t0.duration(to: clock.now))
            XCTAssertEqual(out.count, cfg.nLayers + 1)
            var padded = 0
            for range in PaddedBatch.chunks(count: prompts.count, batch: 32) {
                padded += range.count * (range.map { prompts[$0].count }.max() ?? 0)
            }
            let T = Double(padded) / Double(prompts.count)
            let flops = Double(padded) * (2 * Double(model.layout.count) + 4 * Double(cfg.nLayers) * T * Double(cfg.dModel))
            var usage = rusage()
            getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
            print(String(format: "EXTRACTION family=%@ params=%d examples=%d prompt tokens=%d (mean %.0f, padded %.0f): %.2f s, %.0f examples/s, %.0f tokens/s, %.1f GFLOP/s forward; peak RSS %.0f MiB",
                         family.rawValue, model.layout.count, prompts.count, tokens, Double(tokens) / Double(prompts.count), T, secs,
                         Double(prompts.count) / secs, Double(tokens) / secs, flops / secs / 1e9, Double(usage.ru_maxrss) / 1024))
        }
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}
