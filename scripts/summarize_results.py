#!/usr/bin/env python3
"""Summarises a run's published tables for docs/findings.md (standard library only).

    python3 scripts/summarize_results.py results/quirky-mad

Prints: quirkiness per model/dataset; aggregate and best-layer AUROC per detector; the
correlation across (model, dataset, layer) of flow-mahalanobis and sae-l0 AUROCs with raw
mahalanobis; and of AUROC with the hidden-state separation.
"""
import csv, math, sys, os
from collections import defaultdict

root = sys.argv[1]
rd = lambda n: list(csv.DictReader(open(os.path.join(root, n))))
auroc, quirk, sep = rd("auroc.csv"), rd("quirkiness.csv"), rd("separation.csv")
best = rd("best-layer.csv") if os.path.exists(os.path.join(root, "best-layer.csv")) else []

def pearson(x, y):
    n = len(x)
    if n < 3: return float("nan")
    mx, my = sum(x) / n, sum(y) / n
    sx = math.sqrt(sum((a - mx) ** 2 for a in x)); sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / (sx * sy) if sx and sy else float("nan")

print("## quirkiness (hard test split)")
print("model,dataset,alice_acc,bob_acc,quirkiness")
for r in quirk:
    print(f"{r['model']},{r['dataset']},{float(r['alice_accuracy']):.3f},{float(r['bob_accuracy']):.3f},{float(r['quirkiness']):.3f}")

A = {(r["model"], r["dataset"], r["detector"], r["layer"], r["subset"]): float(r["auroc"]) for r in auroc if r["auroc"] != "nan"}
dets = sorted({k[2] for k in A}); models = sorted({k[0] for k in A}); datasets = sorted({k[1] for k in A})
print("\n## aggregate AUROC (all test points), per detector: mean over model x dataset, and the range")
for d in dets:
    v = [A[k] for k in A if k[2] == d and k[3] == "aggregate" and k[4] == "all"]
    if v: print(f"{d}: mean {sum(v)/len(v):.3f} min {min(v):.3f} max {max(v):.3f} (n={len(v)})")
print("\n## aggregate AUROC by model/dataset")
print("model,dataset," + ",".join(dets))
for m in models:
    for ds in datasets:
        print(f"{m},{ds}," + ",".join(f"{A.get((m, ds, d, 'aggregate', 'all'), float('nan')):.3f}" for d in dets))
print("\n## best layer (chosen on validation), test AUROC, mean over model x dataset")
for d in dets:
    v = [float(r["test_auroc"]) for r in best if r["detector"] == d]
    if v: print(f"{d}: {sum(v)/len(v):.3f} (n={len(v)})")
print("\n## agree / disagree subsets, aggregate AUROC, mean over model x dataset")
for d in dets:
    for s in ("agree", "disagree"):
        v = [A[k] for k in A if k[2] == d and k[3] == "aggregate" and k[4] == s]
        if v: print(f"{d} {s}: {sum(v)/len(v):.3f}")

def paired(d1, d2):
    x, y = [], []
    for k, v in A.items():
        if k[2] == d1 and k[3] != "aggregate" and k[4] == "all":
            k2 = (k[0], k[1], d2, k[3], "all")
            if k2 in A: x.append(v); y.append(A[k2])
    return x, y
print("\n## per-layer AUROC correlations with raw mahalanobis (model x dataset x layer)")
for d in ("flow-mahalanobis", "flow-prior", "sae-l0", "diag-mahalanobis", "attribution"):
    x, y = paired("mahalanobis", d)
    if x: print(f"mahalanobis vs {d}: r = {pearson(x, y):.3f} (n={len(x)}), mean |diff| {sum(abs(a-b) for a,b in zip(x,y))/len(x):.3f}")
S = {(r["model"], r["dataset"], r["layer"]): float(r["separation"]) for r in sep}
x, y = [], []
for (m, ds, l), s in S.items():
    k = (m, ds, "mahalanobis", l, "all")
    if k in A and math.isfinite(s): x.append(s); y.append(A[k])
print(f"\n## separation vs mahalanobis AUROC per layer: r = {pearson(x, y):.3f} (n={len(x)}); separation range {min(x):.4f}..{max(x):.4f}")
print("\n## per-layer mahalanobis AUROC (all)")
for m in models:
    for ds in datasets:
        layers = sorted({k[3] for k in A if k[0] == m and k[1] == ds and k[2] == "mahalanobis" and k[3] != "aggregate"}, key=int)
        print(f"{m},{ds}: " + " ".join(f"L{l}={A[(m, ds, 'mahalanobis', l, 'all')]:.3f}" for l in layers))
