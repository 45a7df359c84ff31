#!/usr/bin/env python3
"""Reference numbers for the report's numerical helpers (Tests/ReportTests/Fixtures/report).

Writes a small synthetic per-prompt outputs table and, computed independently with numpy and
scipy, the logit-level measures the report derives from it (label separation, variance,
Alice-Bob separation of z = logit_yes - logit_no), the least-squares line and R^2 of a small
point set, and the R^2 of a logistic S-curve fitted with scipy.optimize.curve_fit.

Run from the repository root: python3 scripts/report/make_report_fixtures.py
"""
import csv
import json
import os

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import linregress

OUT = "Tests/ReportTests/Fixtures/report"
rng = np.random.default_rng(20261122)

# Per-prompt outputs: 40 prompts, half Alice half Bob, labels differ by character on some.
rows = []
for i in range(40):
    character = "alice" if i % 2 == 0 else "bob"
    alice_label = int(rng.integers(0, 2))
    bob_label = alice_label if rng.random() < 0.5 else 1 - alice_label
    label = alice_label if character == "alice" else bob_label
    yes = rng.normal(1.5 if label else -1.0, 1.0) + (0.7 if character == "bob" else 0.0)
    no = rng.normal(0.0, 0.5)
    loss_a = float(rng.uniform(0.1, 1.2))
    loss_b = float(rng.uniform(0.1, 1.2))
    rows.append(dict(id=f"p{i}", character=character, label=label, alice_label=alice_label, bob_label=bob_label,
                     agreement="agree" if alice_label == bob_label else "disagree",
                     logit_yes=f"{yes:.6f}", logit_no=f"{no:.6f}", loss_alice=f"{loss_a:.6f}", loss_bob=f"{loss_b:.6f}",
                     log_odds=f"{yes - no:.6f}"))
os.makedirs(OUT, exist_ok=True)
with open(f"{OUT}/outputs.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)

z = np.array([float(r["logit_yes"]) - float(r["logit_no"]) for r in rows])
lab = np.array([r["label"] for r in rows])
ch = np.array([r["character"] for r in rows])
var = z.var()  # population variance
label_sep = (z[lab == 1].mean() - z[lab == 0].mean()) ** 2 / var
char_sep = (z[ch == "alice"].mean() - z[ch == "bob"].mean()) ** 2 / var
la = np.array([float(r["loss_alice"]) for r in rows])
lb = np.array([float(r["loss_bob"]) for r in rows])
losses = [la[ch == "alice"].mean(), lb[ch == "alice"].mean(), lb[ch == "bob"].mean(), la[ch == "bob"].mean()]

# A straight-line fit.
lx = np.array([0.1, 0.4, 0.5, 0.9, 1.3, 1.7])
ly = np.array([0.2, 0.5, 0.4, 1.1, 1.2, 1.9])
lr = linregress(lx, ly)

# An S-curve: AUROC against separation.
sx = np.linspace(0.0, 2.0, 12)
sy = 0.5 + 0.45 / (1 + np.exp(-6.0 * (sx - 1.0))) + rng.normal(0, 0.02, sx.size)
sy = np.round(sy, 6)
def s_curve(x, lo, hi, k, x0):
    return lo + (hi - lo) / (1 + np.exp(-k * (x - x0)))
p, _ = curve_fit(s_curve, sx, sy, p0=[sy.min(), sy.max(), 3.0, 1.0], maxfev=20000)
res = ((sy - s_curve(sx, *p)) ** 2).sum()
tot = ((sy - sy.mean()) ** 2).sum()

expected = {
    "logit": {"label_separation": label_sep, "variance": var, "character_separation": char_sep},
    "losses": losses,
    "line": {"x": lx.tolist(), "y": ly.tolist(), "slope": lr.slope, "intercept": lr.intercept, "r_squared": lr.rvalue ** 2},
    "s_curve": {"x": sx.tolist(), "y": sy.tolist(), "params": p.tolist(), "r_squared": 1 - res / tot},
}
with open(f"{OUT}/expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", OUT)
