"""What every madpipe_torch command shares: errors that name a field, the package check, model
loading (Hugging Face directory, madpipe native checkpoint, hub id at a commit), the tokenizer
and its answer tokens, batched forward passes that capture the residual stream."""

import json
import os
import re

from . import PINNED


class WorkerError(Exception):
    """A bad input: `field` is the stage's param or input it comes from."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


SUPPORTED = ("llama", "mistral", "gpt2")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")
#: A full fine-tune of a madpipe native checkpoint is saved in Hugging Face format with this file
#: instead of tokenizer files: its tokens are UTF-8 bytes.
BYTE_TOKENIZER_MARK = "madpipe-byte-tokenizer.txt"
COMMIT = re.compile(r"^[0-9a-f]{40}$")


def pinned_versions():
    """The pins of requirements.txt, name -> version."""
    pins = {}
    with open(os.path.join(os.path.dirname(__file__), "requirements.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins[name.strip()] = version.strip()
    return pins


def installed_versions():
    """The installed versions of the pinned packages (a missing one is None)."""
    from importlib import metadata
    out = {}
    for name in PINNED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def versions_line():
    """The worker's package versions as one metadata string (provenance of a result file)."""
    have = installed_versions()
    return ", ".join(f"{n} {have[n]}" for n in PINNED)


def check_packages():
    """Refuses an interpreter that lacks a pinned package or has another version of it."""
    import sys
    pins, have = pinned_versions(), installed_versions()
    missing = [n for n in PINNED if have[n] is None]
    if missing:
        raise WorkerError("python", f"{sys.executable} has no {', '.join(missing)}; install the worker's requirements: "
                                    f"{sys.executable} -m pip install -r {os.path.join(os.path.dirname(__file__), 'requirements.txt')} "
                                    "(docs/real-models.md)")
    wrong = [f"{n} {have[n]} (pinned {pins[n]})" for n in PINNED
             if n in pins and have[n].split("+", 1)[0] != pins[n]]
    if wrong:
        raise WorkerError("python", f"{sys.executable} has {', '.join(wrong)}; the pins are part of the cache key, so "
                                    "install exactly those versions (docs/real-models.md)")
    return have


# ---- models -------------------------------------------------------------------------------------

def _read_json(path, field):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise WorkerError(field, f"{path}: not readable JSON ({e})")


def inspect_model(spec):
    """Checks a model spec without loading weights; returns (kind, config dict) where kind is
    'native' (a madpipe checkpoint), 'hf' (a local Hugging Face directory) or 'hub'."""
    field = spec.get("field", "model")
    if spec.get("hub"):
        rev = spec.get("revision") or ""
        if not COMMIT.match(rev):
            raise WorkerError("revision", f"'{rev}' is not a 40-hex commit hash; a branch or tag can move, so the cache key would not name the weights")
        return "hub", None
    d = spec.get("dir")
    if not d or not os.path.isdir(d):
        raise WorkerError(field, f"'{d}' is not a directory")
    cfg_path = os.path.join(d, "config.json")
    if not os.path.exists(cfg_path):
        raise WorkerError(field, f"{d}: no config.json (a model directory holds config.json, weights and tokenizer files)")
    cfg = _read_json(cfg_path, field)
    if not any(os.path.exists(os.path.join(d, w)) for w in WEIGHT_FILES):
        raise WorkerError(field, f"{d}: no weights ({', '.join(WEIGHT_FILES)})")
    if "family" in cfg and "model_type" not in cfg:
        if cfg["family"] not in ("llama", "gpt2"):
            raise WorkerError(field, f"{d}: unsupported madpipe family '{cfg['family']}' (llama, gpt2)")
        return "native", cfg
    mt = cfg.get("model_type")
    if mt not in SUPPORTED:
        raise WorkerError(field, f"{d}: unsupported architecture model_type '{mt}'; supported: {', '.join(SUPPORTED)}")
    return "hf", cfg


def native_to_hf(cfg):
    """A transformers config equal in architecture to a madpipe native checkpoint's config."""
    if cfg["family"] == "llama":
        from transformers import LlamaConfig
        return LlamaConfig(vocab_size=cfg["vocab_size"], hidden_size=cfg["d_model"], intermediate_size=cfg["d_ff"],
                           num_hidden_layers=cfg["n_layers"], num_attention_heads=cfg["n_heads"],
                           num_key_value_heads=cfg["n_heads"], max_position_embeddings=cfg["max_seq"],
                           rms_norm_eps=cfg.get("norm_epsilon", 1e-5), rope_theta=cfg.get("rope_theta", 10000.0),
                           hidden_act="silu", tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                           bos_token_id=None, eos_token_id=None, pad_token_id=None)
    from transformers import GPT2Config
    return GPT2Config(vocab_size=cfg["vocab_size"], n_positions=cfg["max_seq"], n_embd=cfg["d_model"],
                      n_layer=cfg["n_layers"], n_head=cfg["n_heads"], n_inner=cfg["d_ff"],
                      layer_norm_epsilon=cfg.get("norm_epsilon", 1e-5), activation_function="gelu_new",
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
                      bos_token_id=None, eos_token_id=None)


def load_model(spec, dtype, device):
    """Loads a model spec (already checked by inspect_model) in eval mode on `device`."""
    import torch
    from transformers import AutoModelForCausalLM
    kind, cfg = inspect_model(spec)
    if kind == "native":
        from safetensors.torch import load_file
        hf_cfg = native_to_hf(cfg)
        from transformers import GPT2LMHeadModel, LlamaForCausalLM
        cls = LlamaForCausalLM if cfg["family"] == "llama" else GPT2LMHeadModel
        model = cls(hf_cfg)   # madpipe's native models are small: build on the CPU, then overwrite
        state = load_file(os.path.join(spec["dir"], "model.safetensors"))
        if cfg["family"] == "gpt2":
            state = {"transformer." + k: v for k, v in state.items()}
            state["lm_head.weight"] = state["transformer.wte.weight"]
        missing = [k for k in model.state_dict() if k not in state and not k.endswith(".attn.bias") and not k.endswith("masked_bias")]
        if missing:
            raise WorkerError(spec.get("field", "model"), f"{spec['dir']}/model.safetensors lacks {missing[:3]}")
        unexpected = [k for k in state if k not in model.state_dict()]
        if unexpected:
            raise WorkerError(spec.get("field", "model"), f"{spec['dir']}/model.safetensors has tensors transformers does not know: {unexpected[:3]}")
        model.load_state_dict(state, strict=False)
        if cfg["family"] == "gpt2":
            model.tie_weights()
        model = model.to(dtype)
    elif kind == "hf":
        model = AutoModelForCausalLM.from_pretrained(spec["dir"], dtype=dtype)
    else:
        model = AutoModelForCausalLM.from_pretrained(spec["hub"], revision=spec["revision"], dtype=dtype)
    if spec.get("adapter"):
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, spec["adapter"]).merge_and_unload()
    return model.to(device).eval()


def model_label(spec):
    """What the activation metadata's `model` holds: madpipe's label (hub id@revision, or the
    producing stage and digest, or the directory's content digest; plus the adapter's)."""
    if spec.get("label"):
        return spec["label"]
    if spec.get("hub"):
        return f"{spec['hub']}@{spec['revision']}"
    return spec.get("dir")


# ---- tokenizer ----------------------------------------------------------------------------------

class ByteTokenizer:
    """madpipe's native tokenizer: one token per UTF-8 byte (native checkpoints have no
    tokenizer files)."""

    def encode(self, text):
        return list(text.encode("utf-8"))


class HFTokenizer:
    def __init__(self, tok):
        self.tok = tok

    def encode(self, text):
        return self.tok(text, add_special_tokens=False)["input_ids"]


def load_tokenizer(spec):
    kind, _ = inspect_model(spec)
    if kind == "native":
        return ByteTokenizer()
    from transformers import AutoTokenizer
    if kind == "hf":
        if os.path.exists(os.path.join(spec["dir"], BYTE_TOKENIZER_MARK)):
            return ByteTokenizer()
        if not any(os.path.exists(os.path.join(spec["dir"], t)) for t in TOKENIZER_FILES):
            raise WorkerError(spec.get("field", "model"), f"{spec['dir']}: no tokenizer files ({', '.join(TOKENIZER_FILES)})")
        return HFTokenizer(AutoTokenizer.from_pretrained(spec["dir"]))
    return HFTokenizer(AutoTokenizer.from_pretrained(spec["hub"], revision=spec["revision"]))


def answer_sequences(tok, prompts, choices, field="data"):
    """Token sequences the model reads (the prompt, then the tokens both choices share) and the
    (no, yes) answer token ids: the first tokens where prompt+choices[0] and prompt+choices[1]
    differ, as madpipe's native AnswerTokens does with bytes. A tokenizer that merges the prompt's
    end with a choice, or gives no differing token, is an error."""
    seqs, answers = [], None
    for i, p in enumerate(prompts):
        base = tok.encode(p)
        no, yes = tok.encode(p + choices[0]), tok.encode(p + choices[1])
        for c, t in ((choices[0], no), (choices[1], yes)):
            if t[:len(base)] != base:
                raise WorkerError(field, f"row {i + 1}: the tokenizer merges the prompt's end with the answer {c!r} "
                                         f"(prompt ends {base[-3:]}, prompt+answer {t[len(base) - 3:len(base) + 2]}); the answer loss needs the prompt's tokens unchanged")
        k = len(base)
        while k < len(no) and k < len(yes) and no[k] == yes[k]:
            k += 1
        if k >= len(no) or k >= len(yes):
            raise WorkerError(field, f"row {i + 1}: {choices[0]!r} and {choices[1]!r} do not differ in a token after the prompt")
        pair = (no[k], yes[k])
        if answers is None:
            answers = pair
        elif answers != pair:
            raise WorkerError(field, f"row {i + 1}: the answer tokens {pair} differ from the first row's {answers}; "
                                     "the tokenizer splits the choices differently after different prompts")
        seqs.append(no[:k])
    return seqs, answers


# ---- forward passes -----------------------------------------------------------------------------

def decoder_layers(model):
    """The model's list of blocks (Llama/Mistral: model.layers, GPT-2: transformer.h)."""
    inner = getattr(model, "model", None)
    if inner is not None and hasattr(inner, "layers"):
        return inner.layers
    return model.transformer.h


def batches(seqs, batch):
    """Index batches, longest first, so padding is small; every index appears once."""
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def pad_right(seqs, device):
    """Right-padded input ids and attention mask: positions stay 0..len-1 and a causal model's
    last real token never sees the padding."""
    import torch
    T = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), T), dtype=torch.long)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids.to(device), mask.to(device)


class ResidualCapture:
    """Captures the residual stream entering each block and leaving the last one (before the
    final norm): L + 1 tensors [B, T, d] per forward pass."""

    def __init__(self, model):
        self.layers = decoder_layers(model)
        self.states = []
        self.handles = [self.layers[0].register_forward_pre_hook(self._pre, with_kwargs=True)]
        for layer in self.layers:
            self.handles.append(layer.register_forward_hook(self._post))

    def _pre(self, module, args, kwargs):
        self.states = [args[0] if args else kwargs["hidden_states"]]

    def _post(self, module, args, output):
        self.states.append(output[0] if isinstance(output, tuple) else output)

    def close(self):
        for h in self.handles:
            h.remove()


def setup_torch(request):
    import torch
    threads = int(os.environ.get("MADPIPE_CPUS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    device = request.get("device", "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise WorkerError("device", "cuda was asked for but torch sees no GPU")
    name = request.get("dtype", "auto")
    if name == "auto":
        name = "bfloat16" if device == "cuda" else "float32"
    return device, getattr(torch, name)
