"""Entry point: `python -m madpipe_torch REQUEST.json` runs one command of an hf-* stage;
`python -m madpipe_torch --versions` prints the pinned packages' installed versions as JSON.

Checks run before any weights are read, in this order: the interpreter's packages (field
`python`), the model spec (`model`, `revision`), the tokenizer against every prompt (`data`).
A failed check writes error.json next to the request and exits with status 2."""

import json
import os
import sys
import traceback

from .common import WorkerError, check_packages, inspect_model, installed_versions, load_model, load_tokenizer, setup_torch


def progress(line):
    print(line, flush=True)


def run(request):
    check_packages()
    command = request["command"]
    inspect_model(request["model"])
    if command == "finetune":
        from .finetune import finetune
        return finetune(request, progress)
    tok = load_tokenizer(request["model"])
    from .common import answer_sequences
    for s in request.get("splits", []):
        answer_sequences(tok, s["prompts"], s["choices"])
    device, dtype = setup_torch(request)
    model = load_model(request["model"], dtype, device)
    if command == "extract":
        from .extract import extract
        extract(request, model, tok, device, progress)
    elif command == "forward":
        from .extract import forward
        forward(request, model, tok, device, progress)
    elif command == "outputs":
        from .outputs import outputs
        outputs(request, model, tok, device, progress)
    elif command == "attribution":
        from .attribution import attribution
        attribution(request, model, tok, device, progress)
    else:
        raise WorkerError("command", f"unknown command '{command}'")


def main(argv):
    if argv == ["--versions"]:
        print(json.dumps(installed_versions(), sort_keys=True))
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    path = argv[0]
    with open(path) as f:
        request = json.load(f)
    try:
        run(request)
    except WorkerError as e:
        with open(os.path.join(os.path.dirname(os.path.abspath(path)), "error.json"), "w") as f:
            json.dump({"field": e.field, "message": e.message}, f)
        print(f"madpipe_torch: {e.field}: {e.message}", file=sys.stderr, flush=True)
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
