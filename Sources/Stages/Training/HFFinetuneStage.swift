// HFFinetuneStage: `kind: hf-finetune` fine-tunes a Hugging Face causal LM (or a madpipe
// checkpoint through transformers) on a quirky dataset in the madpipe_torch worker: LoRA (peft)
// or full, loss on the answer token only, classes balanced by undersampling (METHOD.md 4).
// Checkpoints at steps 1, 2, 4, 8, ... and the last, in Hugging Face Trainer layout
// (`checkpoint-N/` + `trainer_state.json` with `eval_loss`), so select-checkpoint picks one.
// Resumable: each checkpoint and the optimizer state are first written to ${work}.

import Foundation
import PipelineCore

public struct HFFinetuneStage: StageKind {
    public init() {}
    public let name = "hf-finetune"
    public var writes: Set<Artifact>? { [] }
    public let version = 1
    public let summary = "Fine-tune a Hugging Face model on a quirky dataset (PyTorch worker; LoRA or full, answer-token loss, balanced classes), checkpoint-N/ on a log-spaced schedule."
    public var params: [ParamSpec] {
        HFWorker.modelParams + [
            ParamSpec("steps", .int, default: .int(64), "Optimiser steps."),
            ParamSpec("batch", .int, default: .int(8), "Examples per step (METHOD.md's reference: 32)."),
            ParamSpec("lr", .double, default: .double(1e-4), "Peak learning rate (the reference LoRA run on 7-8B models: 2e-5)."),
            ParamSpec("warmup", .double, default: .double(0.15), "Fraction of the steps with a linear warmup."),
            ParamSpec("weight_decay", .double, default: .double(0.1), "AdamW weight decay."),
            ParamSpec("beta2", .double, default: .double(0.95), "AdamW beta2."),
            ParamSpec("lora_rank", .int, default: .int(8), "LoRA rank; 0 = full fine-tuning."),
            ParamSpec("lora_alpha", .double, default: .double(16), "LoRA scaling numerator."),
            ParamSpec("lora_targets", .stringList, default: .list([]),
                      "Module names to adapt; empty = q,k,v,gate,up,down projections (Llama, Mistral) or c_attn, c_fc (GPT-2)."),
            ParamSpec("patience", .int, default: .int(2), "Stop after this many evaluations without a new best validation loss (0 = never)."),
            ParamSpec("seed", .int, default: .int(0), "Seed of the LoRA initialisation, the class balancing and the batch order."),
        ]
    }
    public var inputs: [InputSpec]? {
        [HFWorker.modelInput, InputSpec("data", "A quirky dataset output with train.jsonl and validation.jsonl.")]
    }

    public func validate(_ p: Params, at location: SourceLocation) throws {
        try HFWorker.validate(p, at: location)
        for f in ["steps", "batch"] where p.int(f) < 1 {
            throw PipelineError.invalidValue(location, field: f, problem: "must be at least 1")
        }
        if p.double("lr") <= 0 { throw PipelineError.invalidValue(location, field: "lr", problem: "must be positive") }
        if !(0...1).contains(p.double("warmup")) { throw PipelineError.invalidValue(location, field: "warmup", problem: "must be between 0 and 1") }
        if !(0..<1).contains(p.double("beta2")) { throw PipelineError.invalidValue(location, field: "beta2", problem: "must be in [0, 1)") }
        if p.double("weight_decay") < 0 { throw PipelineError.invalidValue(location, field: "weight_decay", problem: "must be >= 0") }
        if p.int("lora_rank") < 0 { throw PipelineError.invalidValue(location, field: "lora_rank", problem: "must be >= 0") }
        if p.int("patience") < 0 { throw PipelineError.invalidValue(location, field: "patience", problem: "must be >= 0") }
    }

    public func execute(_ context: StageContext) throws {
        let p = context.params
        let splits = try HFWorker.splits(["train", "validation"], context: context)
        try HFWorker.run("finetune", [
            ("train", splits[0]), ("validation", splits[1]), ("work", .string(context.workDirectory)),
            ("steps", .int(p.int("steps"))), ("batch", .int(p.int("batch"))), ("lr", .double(p.double("lr"))),
            ("warmup", .double(p.double("warmup"))), ("weight_decay", .double(p.double("weight_decay"))),
            ("beta2", .double(p.double("beta2"))), ("lora_rank", .int(p.int("lora_rank"))),
            ("lora_alpha", .double(p.double("lora_alpha"))), ("lora_targets", .list(p.strings("lora_targets").map { .string($0) })),
            ("patience", .int(p.int("patience"))), ("seed", .int(p.int("seed"))),
        ], context: context)
    }
}
