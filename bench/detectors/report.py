"""Reads the BENCH lines of one bench/detectors/run.sh run, checks that madpipe and numpy /
scikit-learn agree on the results, and prints a markdown table of the times, ratios and targets."""
import argparse
import json
import os
import re

import numpy as np


def better(new, old):
    """Whether BENCH entry `new` beats `old` of the same benchmark: less time, or more GFLOP/s."""
    if "seconds" in new:
        return float(new["seconds"]) < float(old["seconds"])
    return float(new.get("gflops", 0)) > float(old.get("gflops", 0))


def parse(path):
    """{(name, tool): {key: value}}: the best of the `BENCH name=... key=value ...` lines of each
    benchmark and tool in `path` (one per round), with `rounds` and `all` (every round's time)."""
    found = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"BENCH (.*)$", line.strip())
            if not m:
                continue
            fields = dict(kv.split("=", 1) for kv in m.group(1).split())
            key = (fields["name"], fields.get("tool", ""))
            value = fields.get("seconds", fields.get("gflops"))
            seen = found.get(key, {}).get("all", []) + [value]
            if key not in found or better(fields, found[key]):
                found[key] = fields
            found[key]["all"] = seen
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--check", help="the stream generator's .check.json")
    ap.add_argument("--time-v", help="/usr/bin/time -v output of the streaming run")
    a = ap.parse_args()
    b = parse(a.log)
    rows, verdicts = [], []

    def row(what, ours, theirs, ratio, target, holds, note=""):
        rows.append(f"| {what} | {ours} | {theirs} | {ratio} | {target} | {'holds' if holds else 'MISSES'} | {note} |")
        verdicts.append(holds)

    m, n = b.get(("mahalanobis_fit_score", "madpipe")), b.get(("mahalanobis_fit_score", "numpy"))
    if m and n:
        s_ours = np.load(os.path.join(a.dir, "swift_maha_scores.npy"))
        s_np = np.load(os.path.join(a.dir, "numpy_maha_scores.npy"))
        rel = float(np.max(np.abs(s_ours - s_np)) / np.max(np.abs(s_np)))
        r = float(m["seconds"]) / float(n["seconds"])
        row(f"Mahalanobis fit + score (n {m['n']}, d {m['d']}, {m['test']} test)",
            f"{float(m['seconds']):.2f} s (fit {float(m['fit_seconds']):.2f}, score {float(m['score_seconds']):.2f})",
            f"{float(n['seconds']):.2f} s (fit {float(n['fit_seconds']):.2f}, score {float(n['score_seconds']):.2f})",
            f"{r:.2f}x", "<= 1.0x numpy", r <= 1.0,
            f"max score difference {rel:.1e} of the largest score; rounds (s): madpipe {', '.join(m['all'])}, numpy {', '.join(n['all'])}")
    m, n = b.get(("auroc", "madpipe")), b.get(("auroc", "sklearn"))
    if m and n:
        r = float(m["seconds"]) / float(n["seconds"])
        diff = abs(float(m["value"]) - float(n["value"]))
        row(f"AUROC, {int(m['n']):,} scores (ties)", f"{1000 * float(m['seconds']):.1f} ms",
            f"{1000 * float(n['seconds']):.1f} ms", f"{r:.2f}x", "<= 0.5x sklearn", r <= 0.5,
            f"AUROC {float(m['value']):.6f}, |difference| {diff:.1e}; rounds (s): madpipe {', '.join(m['all'])}, sklearn {', '.join(n['all'])}")
    m = b.get(("sae_step", "madpipe"))
    if m:
        # Against the best sgemm peak of any round (at least the one measured beside this step).
        peak_entry = b.get(("sgemm_peak", "madpipe"), {})
        m["peak_gflops"] = str(max(float(m["peak_gflops"]), float(peak_entry.get("gflops", 0))))
        f = float(m["gflops"]) / float(m["peak_gflops"])
        npk = b.get(("sgemm_peak", "numpy"))
        note = (f"d {m['d']}, {m['latents']} latents, k {m['k']}, batch {m['batch']}: {float(m['seconds']) * 1000:.0f} ms/step, "
                f"{float(m['rows_per_second']):,.0f} rows/s; FLOPs actually executed (encoder GEMM + top-k sparse products) "
                f"{float(m.get('executed_gflops', 'nan')):.1f} GFLOP/s; sgemm at the encoder's shape {float(m['encoder_shape_gflops']):.0f} GFLOP/s")
        if npk:
            note += f"; numpy's sgemm {float(npk['gflops']):.0f} GFLOP/s"
        row("SAE training step (dense-equivalent FLOPs / step time)", f"{float(m['gflops']):.1f} GFLOP/s",
            f"sgemm peak {float(m['peak_gflops']):.1f} GFLOP/s", f"{100 * f:.0f}% of peak", ">= 50% of peak", f >= 0.5, note)
    m = b.get(("stream_covariance", "madpipe"))
    if m:
        peak = float(m["peak_rss_mib"])
        note = f"{int(m['rows']):,} rows x d {m['d']}, {float(m['seconds']):.0f} s, {float(m['gib_per_second']):.2f} GiB/s"
        if a.time_v and os.path.exists(a.time_v):
            t = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(a.time_v).read())
            if t:
                peak = max(peak, int(t.group(1)) / 1024)
                note += f"; /usr/bin/time -v max RSS {int(t.group(1)) / 1024:.0f} MiB"
        if a.check and os.path.exists(a.check):
            c = json.load(open(a.check))
            e1 = abs(float(m["mean_sum"]) - c["mean_sum"]) / max(abs(c["mean_sum"]), 1e-300)
            e2 = abs(float(m["trace"]) - c["trace"]) / c["trace"]
            note += f"; mean and trace match numpy's float64 sums to {max(e1, e2):.1e}"
            file_gib = c["file_bytes"] / 2**30
        else:
            file_gib = float(m["tensor_gib"])
        row(f"Streaming covariance, {file_gib:.2f} GiB safetensors file", f"{peak:.0f} MiB peak RSS", "",
            f"{peak / 1024:.2f} GiB", "< 1 GiB", peak < 1024, note)
    print("| benchmark | madpipe | numpy / scikit-learn | ratio | target | verdict | notes |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{sum(verdicts)} of {len(verdicts)} targets hold")


if __name__ == "__main__":
    main()
