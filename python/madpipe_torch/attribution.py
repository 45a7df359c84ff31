"""`attribution`: per-head attribution features, defined as madpipe's native extract-attribution
defines them (METHOD.md 5, Sources/Models/AttributionExtractor.swift): for head h of block l at
the last token read, a_h is the head's slice of the attention output projection's input and
g_h = d(logit_Yes - logit_No)/d a_h; the feature is (r_h - a_h) . g_h with r_h the trusted mean of
a_h (mean ablation) or 0 (zero ablation); with top-k PCA one feature per component j,
((r_h - a_h) . p_j)(g_h . p_j), p_j the j-th principal direction of the trusted a_h. Written as
`heads.{l}` [N, n_heads] (or [N, n_heads * k], head-major) in the activation layout."""

import os

from .common import answer_sequences, batches, decoder_layers, model_label, pad_right, versions_line
from .extract import example_tensors


def output_projection(layer):
    """The module whose input is the concatenated head outputs."""
    if hasattr(layer, "self_attn"):
        return layer.self_attn.o_proj
    return layer.attn.c_proj


def head_signals(model, seqs, answers, batch, device):
    """[L] of (activations, gradients), each [N, d] float64, at each sequence's last token."""
    import torch
    no, yes = answers
    projections = [output_projection(l) for l in decoder_layers(model)]
    captured = [None] * len(projections)

    def hook(i):
        def pre(module, args):
            x = args[0]
            x.retain_grad()
            captured[i] = x
        return pre

    handles = [p.register_forward_pre_hook(hook(i)) for i, p in enumerate(projections)]
    n = len(seqs)
    acts = grads = None
    try:
        for p in model.parameters():
            p.requires_grad_(False)
        for idx in batches(seqs, batch):
            ids, mask = pad_right([seqs[i] for i in idx], device)
            emb = model.get_input_embeddings()(ids).detach().requires_grad_(True)
            out = model(inputs_embeds=emb, attention_mask=mask)
            last = mask.sum(1) - 1
            rows = torch.arange(len(idx), device=device)
            at = out.logits[rows, last].float()
            (at[:, yes] - at[:, no]).sum().backward()
            if acts is None:
                d = captured[0].shape[-1]
                acts = [torch.empty((n, d), dtype=torch.float64) for _ in projections]
                grads = [torch.empty((n, d), dtype=torch.float64) for _ in projections]
            where = torch.tensor(idx)
            for l, x in enumerate(captured):
                acts[l][where] = x[rows, last].detach().double().cpu()
                grads[l][where] = x.grad[rows, last].double().cpu()
    finally:
        for h in handles:
            h.remove()
    return acts, grads


def reference(trusted_acts, heads, mean_ablation, k):
    """Per block: the ablation vector [d] and, with k > 0, the components [H, hd, k]."""
    import torch
    out = []
    for a in trusted_acts:
        mean = a.mean(0)
        ablation = mean if mean_ablation else torch.zeros_like(mean)
        comps = None
        if k > 0:
            hd = a.shape[1] // heads
            centred = (a - mean).reshape(a.shape[0], heads, hd)
            comps = []
            for h in range(heads):
                cov = centred[:, h, :].T @ centred[:, h, :]
                _, vectors = torch.linalg.eigh(cov)           # ascending eigenvalues
                comps.append(vectors[:, -k:].flip(1))          # largest first
            comps = torch.stack(comps)
        out.append((ablation, comps))
    return out


def features(acts, grads, ref, heads):
    out = []
    for a, g, (ablation, comps) in zip(acts, grads, ref):
        n, d = a.shape
        hd = d // heads
        delta = (ablation - a).reshape(n, heads, hd)
        gh = g.reshape(n, heads, hd)
        if comps is None:
            f = (delta * gh).sum(-1)
        else:
            f = (delta.unsqueeze(-1) * comps).sum(2) * (gh.unsqueeze(-1) * comps).sum(2)   # [n, H, k]
            f = f.reshape(n, -1)
        out.append(f.float().contiguous())
    return out


def attribution(request, model, tok, device, progress):
    from safetensors.torch import save_file
    heads = model.config.num_attention_heads
    splits = request["splits"]
    wanted = set(request["wanted"])
    ref = None
    for split in splits:
        seqs, answers = answer_sequences(tok, split["prompts"], split["choices"])
        acts, grads = head_signals(model, seqs, answers, request["batch"], device)
        if ref is None:   # the first split is trusted
            ref = reference(acts, heads, request["ablation"] == "mean", request["pca_k"])
        if split["name"] not in wanted:
            continue
        feats = features(acts, grads, ref, heads)
        tensors = {f"heads.{l}": f for l, f in enumerate(feats)}
        tensors.update(example_tensors(split))
        meta = dict(request["metadata"])
        meta.update({"format": "madpipe-activations/1", "split": split["name"], "layers": str(len(feats)), "position": "last",
                     "features": "attribution", "ablation": request["ablation"], "pca_k": str(request["pca_k"]),
                     "model": model_label(request["model"]), "worker": versions_line()})
        d = os.path.join(request["out"], split["name"])
        os.makedirs(d, exist_ok=True)
        save_file(tensors, os.path.join(d, "activations.safetensors"), metadata=meta)
        progress(f"{split['name']}: {len(seqs)} examples, {len(feats)} blocks of {feats[0].shape[1]} features")
