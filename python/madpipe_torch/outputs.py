"""`outputs`: the Yes/No answer logits at the answer position of every prompt, per split, as
`<split>/answers.safetensors` (logit_yes, logit_no float32 [N]); madpipe (Swift) turns them into
outputs.csv and quirkiness.json exactly as the native model-outputs stage does."""

import os

from .common import answer_sequences
from .extract import last_token_states


def outputs(request, model, tok, device, progress):
    import torch
    from safetensors.torch import save_file
    prepared = []
    for s in request["splits"]:
        seqs, (no, yes) = answer_sequences(tok, s["prompts"], s["choices"])
        prepared.append((s, seqs, no, yes))
    for split, seqs, no, yes in prepared:
        _, logits = last_token_states(model, seqs, request["batch"], device, want_logits=True)
        tensors = {"logit_yes": logits[:, yes].contiguous(), "logit_no": logits[:, no].contiguous()}
        if not torch.isfinite(logits[:, [yes, no]]).all():
            raise RuntimeError(f"split {split['name']}: the answer logits are not finite")
        d = os.path.join(request.get("answers_out", request["out"]), split["name"])
        os.makedirs(d, exist_ok=True)
        save_file(tensors, os.path.join(d, "answers.safetensors"), metadata={"yes_token": str(yes), "no_token": str(no)})
        progress(f"{split['name']}: {len(seqs)} answers (tokens yes={yes}, no={no})")
