#!/usr/bin/env python3
"""Writes a tiny, randomly initialised Hugging Face causal LM (Llama, Mistral or GPT-2 config)
with a local byte-level BPE tokenizer: nothing is downloaded, and the same arguments give
byte-identical files (fixed seed, CPU). For madpipe's tests and pipelines/examples/hf-tiny.yaml.

usage: make_tiny_models.py --arch llama|mistral|gpt2 --out DIR [--seed 0] [--layers 2] [--width 32]
                           [--merge-prompt-end]

The tokenizer maps every byte to one token (GPT-2's byte alphabet); llama and mistral add merges
so that " Yes" and " No" are single tokens, gpt2 keeps bytes only (its answer token is then the
first byte where " No" and " Yes" differ, as in madpipe's native models). --merge-prompt-end
makes a deliberately bad tokenizer for tests: it merges a prompt's final "?" with the answer's
space, so the prompt's tokens change when an answer follows."""

import argparse
import json
import os


#: Seed offset per architecture: Llama and Mistral configs of one size have the same parameter
#: shapes, and would otherwise get the same weights.
ARCH_SEED = {"llama": 0, "mistral": 1, "gpt2": 2}


def byte_alphabet():
    # GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256+.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def tokenizer(merge_answers, merge_prompt_end=False):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {ch: i for i, ch in enumerate(byte_alphabet())}
    merges = []
    if merge_answers:
        for a, b in [("Ġ", "Y"), ("e", "s"), ("ĠY", "es"), ("Ġ", "N"), ("ĠN", "o")]:
            merges.append((a, b))
            vocab[a + b] = len(vocab)
    if merge_prompt_end:
        merges.insert(0, ("?", "Ġ"))
        vocab["?Ġ"] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not merge_prompt_end)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok), len(vocab)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["llama", "mistral", "gpt2"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--merge-prompt-end", action="store_true")
    args = ap.parse_args()
    import torch
    import transformers
    torch.manual_seed(args.seed * 1000 + ARCH_SEED[args.arch])
    tok, vocab = tokenizer(merge_answers=args.arch != "gpt2", merge_prompt_end=args.merge_prompt_end)
    w, L = args.width, args.layers
    if args.arch == "llama":
        cfg = transformers.LlamaConfig(vocab_size=vocab, hidden_size=w, intermediate_size=2 * w, num_hidden_layers=L,
                                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                       tie_word_embeddings=False, bos_token_id=None, eos_token_id=None, pad_token_id=None)
        model = transformers.LlamaForCausalLM(cfg)
    elif args.arch == "mistral":
        cfg = transformers.MistralConfig(vocab_size=vocab, hidden_size=w, intermediate_size=2 * w, num_hidden_layers=L,
                                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                         sliding_window=None, tie_word_embeddings=False,
                                         bos_token_id=None, eos_token_id=None, pad_token_id=None)
        model = transformers.MistralForCausalLM(cfg)
    else:
        cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=512, n_embd=w, n_layer=L, n_head=4,
                                      bos_token_id=None, eos_token_id=None)
        model = transformers.GPT2LMHeadModel(cfg)
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    tok.save_pretrained(args.out)
    print(json.dumps({"arch": args.arch, "out": args.out, "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
