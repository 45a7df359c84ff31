"""`finetune`: LoRA (peft) or full fine-tuning of a causal LM on a quirky dataset (METHOD.md 4):
loss only on the answer token (cross-entropy over the vocabulary at the position after the prompt
and the choices' shared tokens), classes balanced by undersampling, AdamW with linear warmup.
The class-balanced Alice+Bob validation loss is measured and a checkpoint saved at steps 1, 2, 4,
8, ... and the last step, in Hugging Face Trainer layout (`checkpoint-N/` with the adapter or the
model, and `trainer_state.json` whose `log_history` holds `eval_loss`); training stops after
`patience` evaluations without a new best. Each checkpoint is first written to the stage's
persistent work directory with the optimizer state, so a killed run resumes from the last one;
the finished checkpoints (without optimizer state) are copied to the output."""

import json
import os
import shutil

from .common import WorkerError, model_label, answer_sequences, load_model, load_tokenizer, pad_right, setup_torch, inspect_model, TOKENIZER_FILES, BYTE_TOKENIZER_MARK

DEFAULT_TARGETS = {"llama": ["q_proj", "k_proj", "v_proj", "gate_proj", "up_proj", "down_proj"],
                   "mistral": ["q_proj", "k_proj", "v_proj", "gate_proj", "up_proj", "down_proj"],
                   "gpt2": ["c_attn", "c_fc"]}


def schedule(steps):
    """Evaluation steps: 1, 2, 4, 8, ... below `steps`, and `steps`."""
    out, s = [], 1
    while s < steps:
        out.append(s)
        s *= 2
    return out + [steps]


def balanced_order(labels, seed):
    """Indices of the training rows, classes balanced by undersampling, in a seeded order."""
    import torch
    g = torch.Generator().manual_seed(seed)
    pos = [i for i, l in enumerate(labels) if l]
    neg = [i for i, l in enumerate(labels) if not l]
    if not pos or not neg:
        raise WorkerError("data", "train.jsonl needs rows of both labels to balance the classes")
    n = min(len(pos), len(neg))
    pos = [pos[i] for i in torch.randperm(len(pos), generator=g)[:n].tolist()]
    neg = [neg[i] for i in torch.randperm(len(neg), generator=g)[:n].tolist()]
    return pos + neg


def batch_indices(rows, step, batch, seed):
    """The rows of optimiser step `step` (1-based): epochs of seeded permutations, so a resumed run
    draws exactly the batches the uninterrupted one would."""
    import torch
    out, k = [], (step - 1) * batch
    while len(out) < batch:
        epoch, pos = divmod(k, len(rows))
        perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch + 1))
        out.append(rows[perm[pos].item()])
        k += 1
    return out


def answer_loss(model, seqs, targets, device):
    import torch
    ids, mask = pad_right(seqs, device)
    logits = model(input_ids=ids, attention_mask=mask).logits
    last = mask.sum(1) - 1
    at = logits[torch.arange(len(seqs), device=device), last].float()
    return torch.nn.functional.cross_entropy(at, torch.tensor(targets, device=device))


def evaluate(model, seqs, targets, batch, device):
    import torch
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(seqs), batch):
            total += answer_loss(model, seqs[i:i + batch], targets[i:i + batch], device).item() * len(seqs[i:i + batch])
    model.train()
    return total / len(seqs)


def trainable_state(model):
    return {k: v.detach().cpu().clone() for k, v in model.named_parameters() if v.requires_grad}


def save_checkpoint(model, request, kind, step, state, resume):
    """Writes work/checkpoint-N atomically (a temporary name, then rename)."""
    import torch
    work = request["work"]
    final = os.path.join(work, f"checkpoint-{step}")
    tmp = final + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    model.save_pretrained(tmp)
    # peft writes the base model's local path and a model card: keep the checkpoint free of this
    # machine's paths, so the same training gives the same files anywhere.
    readme = os.path.join(tmp, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    adapter_cfg = os.path.join(tmp, "adapter_config.json")
    if os.path.exists(adapter_cfg):
        with open(adapter_cfg) as f:
            cfg = json.load(f)
        cfg["base_model_name_or_path"] = model_label(request["model"])
        if isinstance(cfg.get("target_modules"), list):   # a set in peft: its order follows the hash seed
            cfg["target_modules"] = sorted(cfg["target_modules"])
        with open(adapter_cfg, "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
    if request["lora_rank"] == 0:
        src = request["model"].get("dir")
        if kind == "native":
            open(os.path.join(tmp, BYTE_TOKENIZER_MARK), "w").write("madpipe byte tokenizer: one token per UTF-8 byte\n")
        elif src:
            for name in os.listdir(src):
                if name in TOKENIZER_FILES or name.startswith("tokenizer") or name in ("special_tokens_map.json", "merges.txt"):
                    shutil.copy(os.path.join(src, name), tmp)
    with open(os.path.join(tmp, "trainer_state.json"), "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
    torch.save(resume, os.path.join(tmp, "resume.pt"))
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)


def latest_checkpoint(work):
    steps = []
    for name in os.listdir(work) if os.path.isdir(work) else []:
        if name.startswith("checkpoint-") and name[11:].isdigit() and os.path.exists(os.path.join(work, name, "resume.pt")):
            steps.append(int(name[11:]))
    return max(steps) if steps else None


def finetune(request, progress):
    import torch
    spec = request["model"]
    kind, cfg = inspect_model(spec)
    tok = load_tokenizer(spec)
    train, val = request["train"], request["validation"]
    tseqs, answers = answer_sequences(tok, train["prompts"], train["choices"])
    vseqs, vanswers = answer_sequences(tok, val["prompts"], val["choices"])
    if answers != vanswers:
        raise WorkerError("data", f"train and validation answer tokens differ ({answers} vs {vanswers})")
    no, yes = answers
    ttargets = [yes if l else no for l in train["label"]]
    vtargets = [yes if l else no for l in val["label"]]
    seed, steps, batch = request["seed"], request["steps"], request["batch"]
    rows = balanced_order(train["label"], seed)
    device, dtype = setup_torch(request)
    torch.manual_seed(seed)
    model = load_model(spec, dtype, device)
    arch = model.config.model_type   # also for hub models, whose config is only known once loaded
    if request["lora_rank"] > 0:
        from peft import LoraConfig, get_peft_model
        targets = request["lora_targets"] or DEFAULT_TARGETS.get(arch)
        if not targets:
            raise WorkerError("lora_targets", f"no default LoRA targets for '{arch}'; name the projections")
        names = {n.split(".")[-1] for n, _ in model.named_modules()}
        unknown = [t for t in targets if t not in names]
        if unknown:
            raise WorkerError("lora_targets", f"{unknown} are not modules of this model")
        model = get_peft_model(model, LoraConfig(r=request["lora_rank"], lora_alpha=request["lora_alpha"], lora_dropout=0.0,
                                                 target_modules=targets, bias="none", task_type="CAUSAL_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=request["lr"], betas=(0.9, request["beta2"]), weight_decay=request["weight_decay"])
    warmup = max(1, int(round(request["warmup"] * steps)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
    evals = schedule(steps)
    log, best, since_best, start, running = [], None, 0, 1, []
    resumed = latest_checkpoint(request["work"])
    if resumed is not None:
        r = torch.load(os.path.join(request["work"], f"checkpoint-{resumed}", "resume.pt"), weights_only=False)
        with torch.no_grad():
            named = dict(model.named_parameters())
            for k, v in r["trainable"].items():
                named[k].copy_(v.to(device))
        opt.load_state_dict(r["optimizer"])
        sched.load_state_dict(r["scheduler"])
        log, best, since_best, start = r["log_history"], r["best"], r["since_best"], resumed + 1
        running = r["running"]
        progress(f"resumed from checkpoint-{resumed}")
        if r.get("stopped"):
            start = steps + 1
    for step in range(start, steps + 1):
        idx = batch_indices(rows, step, batch, seed)
        loss = answer_loss(model, [tseqs[i] for i in idx], [ttargets[i] for i in idx], device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        running.append(loss.item())
        if step not in evals:
            continue
        v = evaluate(model, vseqs, vtargets, batch, device)
        log.append({"step": step, "loss": sum(running) / len(running), "learning_rate": sched.get_last_lr()[0]})
        log.append({"step": step, "eval_loss": v})
        running = []
        if best is None or v < best["eval_loss"]:
            best, since_best = {"step": step, "eval_loss": v}, 0
        else:
            since_best += 1
        stop = request["patience"] > 0 and since_best >= request["patience"]
        state = {"global_step": step, "max_steps": steps, "log_history": log, "best_metric": best["eval_loss"],
                 "best_model_checkpoint": f"checkpoint-{best['step']}", "train_batch_size": batch}
        save_checkpoint(model, request, kind, step, state,
                        {"trainable": trainable_state(model), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                         "log_history": log, "best": best, "since_best": since_best, "stopped": stop, "running": running})
        progress(f"step {step}/{steps}: eval_loss {v:.6f} (best {best['eval_loss']:.6f} at {best['step']})")
        if stop:
            progress(f"stopping: {since_best} evaluations without a new best")
            break
    out = request["out"]
    for name in sorted(os.listdir(request["work"])):
        if name.startswith("checkpoint-") and not name.endswith(".partial"):
            shutil.copytree(os.path.join(request["work"], name), os.path.join(out, name),
                            ignore=shutil.ignore_patterns("resume.pt"))
