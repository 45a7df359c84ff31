"""The numpy / scikit-learn side of the detector benchmarks: Mahalanobis fit + score through
numpy's pinv(hermitian=True) path, scikit-learn's roc_auc_score, and numpy's own sgemm rate (for
context: numpy's wheel bundles its own OpenBLAS). Prints `BENCH name=... key=value` lines."""
import argparse
import os
import resource
import time

import numpy as np
from sklearn.metrics import roc_auc_score


def mahalanobis_fit_score(train, test, rcond=1e-3):
    """The seed's path: float64 mean and ML covariance, pinv(hermitian=True) (eigenvalues at or
    below rcond * max|eigenvalue| dropped), score = (x - mu)^T pinv (x - mu) / d."""
    x = train.astype(np.float64)
    mu = x.mean(axis=0)
    cov = np.cov(x, rowvar=False, bias=True)
    precision = np.linalg.pinv(cov, rcond=rcond, hermitian=True)
    t1 = time.perf_counter()
    diff = test.astype(np.float64) - mu
    scores = np.einsum("ij,ij->i", diff @ precision, diff) / x.shape[1]
    return scores, t1


def bench(name, fields):
    print(" ".join([f"BENCH name={name}"] + [f"{k}={v}" for k, v in fields.items()]), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--auroc-repeats", type=int, default=5)
    ap.add_argument("--sgemm-size", type=int, default=2048)
    a = ap.parse_args()

    train = np.load(os.path.join(a.dir, "maha_train.npy"))
    test = np.load(os.path.join(a.dir, "maha_test.npy"))
    best, best_fit, best_score = float("inf"), float("inf"), float("inf")
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        scores, t1 = mahalanobis_fit_score(train, test)
        t2 = time.perf_counter()
        best, best_fit, best_score = min(best, t2 - t0), min(best_fit, t1 - t0), min(best_score, t2 - t1)
    np.save(os.path.join(a.dir, "numpy_maha_scores.npy"), scores)
    bench("mahalanobis_fit_score", {"tool": "numpy", "seconds": f"{best:.4f}", "fit_seconds": f"{best_fit:.4f}",
                                    "score_seconds": f"{best_score:.4f}", "n": train.shape[0], "d": train.shape[1],
                                    "test": test.shape[0],
                                    "peak_rss_mib": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"})

    scores = np.load(os.path.join(a.dir, "auroc_scores.npy"))
    labels = np.load(os.path.join(a.dir, "auroc_labels.npy"))
    best = float("inf")
    for _ in range(a.auroc_repeats):
        t0 = time.perf_counter()
        value = roc_auc_score(labels, scores)
        best = min(best, time.perf_counter() - t0)
    bench("auroc", {"tool": "sklearn", "seconds": f"{best:.5f}", "n": scores.size, "value": f"{value:.15f}"})

    n = a.sgemm_size
    rng = np.random.default_rng(7)
    x = rng.random((n, n), dtype=np.float32) - 0.5
    y = rng.random((n, n), dtype=np.float32) - 0.5
    x @ y
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        x @ y
        best = min(best, time.perf_counter() - t0)
    bench("sgemm_peak", {"tool": "numpy", "gflops": f"{2 * n ** 3 / best / 1e9:.2f}", "size": n})


if __name__ == "__main__":
    main()
