#!/usr/bin/env python3
"""Last-token hidden states of a Hugging Face causal LM for each split of a madpipe dataset.

Reads DATA/{trusted,untrusted,validation,test}.jsonl (what `quirky-dataset`/`load-dataset` write:
one record per line with `prompt`, `character`, `label`, `alice_label`, `bob_label`,
`difficulty`) and writes OUT/<split>/activations.safetensors in the madpipe-activations/1 layout
(docs/activations.md): layers.{l} [N, d] float32 for l = 0..L (hidden_states of the model:
embeddings, then the output of each block), character, label, alice_label, bob_label (int64),
agreement (bool), difficulty (float64).

Untested in madpipe's CI (needs a GPU and model weights). Requires torch, transformers, safetensors.

usage: hf_extract.py --model ID [--revision REV] --data DIR --out DIR [--batch 16]
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

SPLITS = ["trusted", "untrusted", "validation", "test"]


def read_split(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


@torch.no_grad()
def last_token_states(model, tok, prompts, batch, device):
    per_layer = None
    for i in range(0, len(prompts), batch):
        enc = tok(prompts[i:i + batch], return_tensors="pt", padding=True).to(device)
        out = model(**enc, output_hidden_states=True)
        # Left padding puts every prompt's last token at position -1.
        states = [h[:, -1, :].float().cpu() for h in out.hidden_states]
        per_layer = states if per_layer is None else [torch.cat([a, b]) for a, b in zip(per_layer, states)]
    return per_layer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--revision", default="main")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tok = AutoTokenizer.from_pretrained(args.model, revision=args.revision)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.model, revision=args.revision,
                                                 torch_dtype=torch.bfloat16 if device == "cuda" else torch.float32)
    model.to(device).eval()
    for split in SPLITS:
        path = os.path.join(args.data, split + ".jsonl")
        if not os.path.exists(path):
            continue
        rows = read_split(path)
        if not rows:
            continue
        layers = last_token_states(model, tok, [r["prompt"] for r in rows], args.batch, device)
        col = lambda k: torch.tensor([int(r[k]) for r in rows], dtype=torch.int64)
        tensors = {f"layers.{l}": h.contiguous() for l, h in enumerate(layers)}
        tensors["character"] = torch.tensor([1 if r["character"] == "bob" else 0 for r in rows], dtype=torch.int64)
        tensors["label"], tensors["alice_label"], tensors["bob_label"] = col("label"), col("alice_label"), col("bob_label")
        tensors["agreement"] = tensors["alice_label"] == tensors["bob_label"]
        tensors["difficulty"] = torch.tensor([float(r.get("difficulty", 0)) for r in rows], dtype=torch.float64)
        os.makedirs(os.path.join(args.out, split), exist_ok=True)
        save_file(tensors, os.path.join(args.out, split, "activations.safetensors"),
                  metadata={"format": "madpipe-activations/1", "model": f"{args.model}@{args.revision}",
                            "dataset": os.path.basename(os.path.normpath(args.data)), "split": split,
                            "layers": str(len(layers)), "position": "last"})
        print(f"{split}: {len(rows)} rows, {len(layers)} layers", flush=True)


if __name__ == "__main__":
    main()
