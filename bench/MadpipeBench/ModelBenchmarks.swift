// ModelBenchmarks: the native transformer's speed: Trainer steps (forward, backward, clipping,
// AdamW) and ActivationExtractor batches, each against the measured sgemm peak, and the
// forward/backward split of one training pass.

import ArgumentParser
import Base
import Foundation
import Models
import Numerics
import Quirky
#if canImport(Glibc)
import Glibc
#endif

/// Model-size options shared by the model benchmarks.
struct ModelShape: ParsableArguments {
    @Option(help: "Residual stream width.") var dModel = 256
    @Option(help: "Blocks.") var layers = 4
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Model families to measure (gpt2, llama).") var family: [String] = ["gpt2", "llama"]

    func validate() throws {
        for f in family where ModelFamily(rawValue: f) == nil { throw ValidationError("unknown family '\(f)' (gpt2 or llama)") }
        if dModel < 1 || layers < 1 || heads < 1 || dModel % heads != 0 { throw ValidationError("need d-model, layers, heads >= 1 and heads dividing d-model") }
    }
    var families: [ModelFamily] { family.compactMap(ModelFamily.init(rawValue:)) }
    func config(_ f: ModelFamily, context: Int) -> ModelConfig {
        ModelConfig(family: f, maxSeq: context, dModel: dModel, nLayers: layers, nHeads: heads, dFF: 4 * dModel)
    }
}

struct TrainingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "training",
        abstract: "Trainer steps per second on random digits, as GFLOP/s and a fraction of the sgemm peak.",
        discussion: "FLOPs per token: 6 x parameters + 12 x layers x context x d_model (attention scores and values, forward and backward).")
    @OptionGroup var shape: ModelShape
    @Option(help: "Context length (the training window).") var context = 128
    @Option(help: "Sequences per step.") var batch = 8
    @Option(help: "Optimiser steps timed.") var steps = 12
    @Option(help: "Size of the square sgemm that sets the peak.") var sgemmSize = 512

    func run() throws {
        let peak = Bench.sgemmGFLOPs(m: sgemmSize, k: sgemmSize, n: sgemmSize, repeats: 20) * 1e9
        for family in shape.families {
            let cfg = shape.config(family, context: context)
            let model = try Transformer(config: cfg, seed: 1)
            var rng = SplitMix64(seed: 5)
            let text = String(decoding: (0..<((context + 1) * batch * 8)).map { _ in UInt8(48 + rng.next() % 10) }, as: UTF8.self)
            let windows = TrainingData.packedWindows(text: text, length: context)
            var o = TrainingOptions(steps: steps, batchSize: batch, learningRate: 1e-3)
            o.evalEvery = 0
            let r = try Trainer(model: model, options: o, train: windows, validation: Array(windows.prefix(batch))).run()
            let flopsPerToken = 6 * Double(model.layout.count) + 12 * Double(cfg.nLayers * context * cfg.dModel)
            let rate = r.tokensPerSecond * flopsPerToken
            Bench.report("training", [("family", family.rawValue), ("params", "\(model.layout.count)"), ("d", "\(cfg.dModel)"),
                                      ("layers", "\(cfg.nLayers)"), ("context", "\(context)"), ("batch", "\(batch)"),
                                      ("tokens_per_second", Bench.f(r.tokensPerSecond, 0)), ("gflops", Bench.f(rate / 1e9, 2)),
                                      ("sgemm_peak_gflops", Bench.f(peak / 1e9, 2)), ("fraction_of_peak", Bench.f(rate / peak, 3))])
        }
    }
}

struct ExtractionBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extraction",
        abstract: "ActivationExtractor over standardized quirky addition prompts: examples/s, tokens/s, forward GFLOP/s, peak RSS.",
        discussion: "Forward FLOPs per padded token: 2 x parameters + 4 x layers x T x d_model. Run it alone to read the peak RSS as the extraction's.")
    @OptionGroup var shape: ModelShape
    @Option(help: "Context length.") var context = 256
    @Option(help: "Prompts per forward pass.") var batch = 32
    @Option(help: "Prompts extracted.") var prompts = 2048

    func run() throws {
        let records = try QuirkyArithmeticGenerator(task: .addition, examples: (prompts + 1) / 2, seed: 3).generate()
        let seqs = records.prefix(prompts).map { TrainingData.promptTokens(QuirkyPromptFormatter().prompt(for: $0)) }
        let tokens = seqs.reduce(0) { $0 + $1.count }
        for family in shape.families {
            let cfg = shape.config(family, context: context)
            let model = try Transformer(config: cfg, seed: 1)
            let extractor = try ActivationExtractor(model: model, batchSize: batch)
            _ = try extractor.extract(Array(seqs.prefix(batch)))
            let (secs, _) = try Bench.best(1) { try extractor.extract(seqs) }
            var padded = 0
            for range in PaddedBatch.chunks(count: seqs.count, batch: batch) {
                padded += range.count * (range.map { seqs[$0].count }.max() ?? 0)
            }
            let T = Double(padded) / Double(seqs.count)
            let flops = Double(padded) * (2 * Double(model.layout.count) + 4 * Double(cfg.nLayers) * T * Double(cfg.dModel))
            Bench.report("extraction", [("family", family.rawValue), ("params", "\(model.layout.count)"), ("examples", "\(seqs.count)"),
                                        ("tokens", "\(tokens)"), ("padded_mean", Bench.f(T, 0)), ("seconds", Bench.f(secs, 2)),
                                        ("examples_per_second", Bench.f(Double(seqs.count) / secs, 0)),
                                        ("tokens_per_second", Bench.f(Double(tokens) / secs, 0)),
                                        ("gflops", Bench.f(flops / secs / 1e9, 1)), ("peak_rss_mib", Bench.f(Bench.peakRSSMiB(), 0))])
        }
    }
}

struct TransformerBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transformer",
        abstract: "Mean forward and backward time of one training pass on random bytes (loss on every position).")
    @OptionGroup var shape: ModelShape
    @Option(help: "Batch x context shapes to time, as BxT.") var size: [String] = ["8x64", "4x128"]
    @Option(help: "Timed passes (after one untimed).") var iterations = 5

    func run() throws {
        let sizes = try size.map { s -> (Int, Int) in
            let p = s.split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else { throw ValidationError("--size '\(s)' is not BxT") }
            return (p[0], p[1])
        }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        for family in shape.families {
            for (B, T) in sizes {
                let cfg = shape.config(family, context: T)
                let model = try Transformer(config: cfg, seed: 0)
                var rng = SplitMix64(seed: 1)
                let tokens = (0..<(B * T)).map { _ in Int(rng.next() % UInt64(cfg.vocabSize)) }
                let targets = (0..<tokens.count).map { _ in Int(rng.next() % UInt64(cfg.vocabSize)) }
                let clock = ContinuousClock()
                var forward = Duration.zero, backward = Duration.zero
                for i in 0...iterations {
                    model.zeroGradients()
                    let t0 = clock.now
                    try model.forward(tokens: tokens, batchSize: B, targets: targets)
                    let t1 = clock.now
                    try model.backward()
                    if i > 0 { forward += t1 - t0; backward += clock.now - t1 }
                }
                let fw = Bench.seconds(forward) / Double(iterations), bw = Bench.seconds(backward) / Double(iterations)
                Bench.report("transformer", [("family", family.rawValue), ("d", "\(cfg.dModel)"), ("layers", "\(cfg.nLayers)"),
                                             ("batch", "\(B)"), ("context", "\(T)"), ("forward_ms", Bench.f(fw * 1e3, 1)),
                                             ("backward_ms", Bench.f(bw * 1e3, 1)), ("tokens_per_second", Bench.f(Double(B * T) / (fw + bw), 0))])
            }
        }
    }
}
