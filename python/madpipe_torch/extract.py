"""`extract`: the residual stream at the last token read (the prompt plus the choices' shared
tokens) entering every block and leaving the last one, per split, in the madpipe-activations/1
layout of docs/activations.md. Also `forward`: the same states and the full last-token logits
for given token sequences (the cross-check against madpipe's native forward)."""

import os

from .common import ResidualCapture, answer_sequences, batches, model_label, pad_right, versions_line


def last_token_states(model, seqs, batch, device, want_logits=False):
    """[L+1] float32 tensors [N, d] at each sequence's last token (and [N, V] logits)."""
    import torch
    cap = ResidualCapture(model)
    n = len(seqs)
    layers, logits = None, None
    try:
        with torch.no_grad():
            for idx in batches(seqs, batch):
                ids, mask = pad_right([seqs[i] for i in idx], device)
                out = model(input_ids=ids, attention_mask=mask)
                last = mask.sum(1) - 1
                rows = torch.arange(len(idx), device=device)
                states = [h[rows, last].float().cpu() for h in cap.states]
                if layers is None:
                    layers = [torch.empty((n, s.shape[1]), dtype=torch.float32) for s in states]
                    logits = torch.empty((n, out.logits.shape[-1]), dtype=torch.float32)
                where = torch.tensor(idx)
                for l, s in enumerate(states):
                    layers[l][where] = s
                if want_logits:
                    logits[where] = out.logits[rows, last].float().cpu()
    finally:
        cap.close()
    return layers, logits


def example_tensors(split):
    import torch
    t = {k: torch.tensor(split[k], dtype=torch.int64) for k in ("character", "label", "alice_label", "bob_label")}
    t["agreement"] = t["alice_label"] == t["bob_label"]
    if split.get("difficulty") is not None:
        t["difficulty"] = torch.tensor(split["difficulty"], dtype=torch.float64)
    return t


def extract(request, model, tok, device, progress):
    from safetensors.torch import save_file
    prepared = [(s, answer_sequences(tok, s["prompts"], s["choices"])[0]) for s in request["splits"]]
    for split, seqs in prepared:
        layers, _ = last_token_states(model, seqs, request["batch"], device)
        tensors = {f"layers.{l}": h.contiguous() for l, h in enumerate(layers)}
        tensors.update(example_tensors(split))
        meta = dict(request["metadata"])
        meta["model"] = model_label(request["model"])
        meta["worker"] = versions_line()
        meta.update({"format": "madpipe-activations/1", "split": split["name"], "layers": str(len(layers)), "position": "last"})
        d = os.path.join(request["out"], split["name"])
        os.makedirs(d, exist_ok=True)
        save_file(tensors, os.path.join(d, "activations.safetensors"), metadata=meta)
        progress(f"{split['name']}: {len(seqs)} examples, {len(layers)} layers of width {layers[0].shape[1]}")


def forward(request, model, tok, device, progress):
    from safetensors.torch import save_file
    seqs = request["sequences"]
    layers, logits = last_token_states(model, seqs, request["batch"], device, want_logits=True)
    tensors = {f"layers.{l}": h.contiguous() for l, h in enumerate(layers)}
    tensors["logits"] = logits.contiguous()
    save_file(tensors, os.path.join(request["out"], "forward.safetensors"))
    progress(f"forward: {len(seqs)} sequences")
