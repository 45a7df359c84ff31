"""Writes a madpipe-activations/1 safetensors file (docs/activations.md) whose `layers.0` tensor is
larger than a given size, chunk by chunk so the generator itself stays small, and a JSON file with
the float64 column sums needed to check the streamed mean and covariance trace."""
import argparse
import json
import math
import os
import struct

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="path of activations.safetensors")
    ap.add_argument("--gib", type=float, default=4.25, help="size of layers.0 in GiB")
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--chunk-rows", type=int, default=None, help="rows generated at a time (default: 16 MiB of float32)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    d = a.d
    chunk_rows = a.chunk_rows or max(1, 2**22 // d)
    n = math.ceil(a.gib * 2**30 / (4 * d))
    rng = np.random.default_rng(a.seed)
    rank = 16
    mean = rng.standard_normal(d).astype(np.float32)
    scales = (0.2 + rng.random(d)).astype(np.float32)
    basis = (rng.standard_normal((rank, d)) / np.sqrt(d)).astype(np.float32)
    strengths = np.geomspace(10, 1, rank).astype(np.float32)

    layout = [("layers.0", "F32", [n, d], 4 * n * d)]
    layout += [(name, "I64", [n], 8 * n) for name in ("character", "label", "alice_label", "bob_label")]
    layout += [("agreement", "BOOL", [n], n)]
    header, offset = {}, 0
    header["__metadata__"] = {"format": "madpipe-activations/1", "model": "synthetic", "dataset": "synthetic",
                              "split": "trusted", "layers": "1", "position": "last"}
    for name, dtype, shape, size in layout:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)

    s1 = np.zeros(d, dtype=np.float64)
    s2 = np.zeros(d, dtype=np.float64)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        done = 0
        while done < n:
            m = min(chunk_rows, n - done)
            g = rng.standard_normal((m, d), dtype=np.float32)
            g *= scales
            g += mean
            g += (rng.standard_normal((m, rank), dtype=np.float32) * strengths) @ basis
            x64 = g.astype(np.float64)
            s1 += x64.sum(axis=0)
            s2 += np.einsum("ij,ij->j", x64, x64)
            f.write(g.tobytes())
            done += m
        character = np.zeros(n, dtype=np.int64)   # trusted rows are all Alice's
        label = (rng.random(n) < 0.5).astype(np.int64)
        for arr in (character, label, label, 1 - label):
            f.write(arr.astype("<i8").tobytes())
        f.write(np.zeros(n, dtype=np.uint8).tobytes())
    mu = s1 / n
    check = {"rows": n, "d": d, "mean_sum": float(mu.sum()), "trace": float((s2 / n - mu * mu).sum()),
             "file_bytes": os.path.getsize(a.out)}
    with open(a.out + ".check.json", "w") as f:
        json.dump(check, f)
    print(f"wrote {a.out}: {check['file_bytes'] / 2**30:.2f} GiB, layers.0 [{n}, {d}]", flush=True)


if __name__ == "__main__":
    main()
