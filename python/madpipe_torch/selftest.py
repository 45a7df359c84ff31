"""`python -m madpipe_torch.selftest`: checks of the worker's own rules that need no model files
(no pytest): the interpreter's pins, the evaluation schedule, the resumable batch order, class
balancing, the answer-token rule against madpipe's native one, and the field a bad model spec
names. Prints one line per check; exits 1 on the first failure."""

import sys

from .common import ByteTokenizer, WorkerError, answer_sequences, check_packages, inspect_model
from .finetune import balanced_order, batch_indices, schedule


def expect(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name} {detail}", flush=True)
        sys.exit(1)
    print(f"ok   {name}", flush=True)


def main():
    versions = check_packages()
    expect("pinned packages installed", all(versions.values()), str(versions))
    expect("schedule 1, 2, 4, ... and the last step", schedule(10) == [1, 2, 4, 8, 10] and schedule(8) == [1, 2, 4, 8] and schedule(1) == [1])
    rows = list(range(10))
    whole = [batch_indices(rows, s, 4, seed=3) for s in range(1, 8)]
    expect("batch order is a function of (seed, step): a resumed run draws the same batches",
           whole[4:] == [batch_indices(rows, s, 4, seed=3) for s in range(5, 8)])
    epoch = [i for s in range(1, 6) for i in batch_indices(rows, s, 2, seed=0)]
    expect("each epoch is a permutation of the rows", sorted(epoch) == rows, str(epoch))
    labels = [True] * 7 + [False] * 3
    order = balanced_order(labels, seed=1)
    expect("classes balanced by undersampling", sum(labels[i] for i in order) == 3 and len(order) == 6, str(order))
    seqs, (no, yes) = answer_sequences(ByteTokenizer(), ["Alice: 1 + 1 = 2 Correct?"], [" No", " Yes"])
    expect("byte tokens: prompt, shared space, answer N/Y (madpipe's AnswerTokens)",
           seqs[0] == list(b"Alice: 1 + 1 = 2 Correct? ") and (no, yes) == (ord("N"), ord("Y")))
    try:
        answer_sequences(ByteTokenizer(), ["p"], [" Yes", " Yes"])
        expect("identical choices are refused", False)
    except WorkerError as e:
        expect("identical choices are refused, naming the data", e.field == "data", e.message)
    try:
        inspect_model({"hub": "org/name", "revision": "main"})
        expect("a branch revision is refused", False)
    except WorkerError as e:
        expect("a branch revision is refused, naming the revision", e.field == "revision" and "40-hex" in e.message, e.message)
    try:
        inspect_model({"dir": "/nonexistent/model"})
        expect("a missing model directory is refused", False)
    except WorkerError as e:
        expect("a missing model directory is refused, naming the model", e.field == "model", e.message)
    print("selftest: all checks passed", flush=True)


if __name__ == "__main__":
    main()
