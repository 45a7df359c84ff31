"""Writes the inputs of the detector benchmarks as .npy files, so madpipe and numpy/scikit-learn
process identical data.

maha_train.npy  float32 [n, d]     trusted activations (anisotropic, a few strong directions)
maha_test.npy   float32 [t, d]     half from the same distribution, half shifted (anomalous)
auroc_scores.npy float64 [N]       scores rounded to 1e-4 (so ties occur and must count half)
auroc_labels.npy bool    [N]       true = anomalous (about half)
"""
import argparse
import os

import numpy as np


def activations(rng, n, mean, scales, basis, strengths):
    """Rows mean + g * scales + h @ basis, g and h standard normal (float32 throughout)."""
    g = rng.standard_normal((n, mean.size), dtype=np.float32) * scales
    h = rng.standard_normal((n, basis.shape[0]), dtype=np.float32) * strengths
    return (mean + g + h @ basis).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--maha-n", type=int, default=4000)
    ap.add_argument("--maha-d", type=int, default=4096)
    ap.add_argument("--maha-test", type=int, default=8000)
    ap.add_argument("--auroc-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    d, rank = a.maha_d, 32
    mean = rng.standard_normal(d).astype(np.float32)
    scales = (0.2 + rng.random(d)).astype(np.float32)
    basis = (rng.standard_normal((rank, d)) / np.sqrt(d)).astype(np.float32)
    strengths = np.geomspace(20, 2, rank).astype(np.float32)
    np.save(os.path.join(a.dir, "maha_train.npy"), activations(rng, a.maha_n, mean, scales, basis, strengths))
    half = a.maha_test // 2
    normal = activations(rng, half, mean, scales, basis, strengths)
    shift = (rng.standard_normal(d) * 0.15).astype(np.float32)
    anomalous = activations(rng, a.maha_test - half, mean + shift, scales, basis, strengths)
    np.save(os.path.join(a.dir, "maha_test.npy"), np.concatenate([normal, anomalous]))
    labels = rng.random(a.auroc_n) < 0.5
    scores = np.round(rng.standard_normal(a.auroc_n) + 0.8 * labels, 4)
    np.save(os.path.join(a.dir, "auroc_scores.npy"), scores.astype(np.float64))
    np.save(os.path.join(a.dir, "auroc_labels.npy"), labels)


if __name__ == "__main__":
    main()
