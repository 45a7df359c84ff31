#!/usr/bin/env python3
"""Tests of findings.py (standard library only; scripts/test.sh runs them):

    python3 -m unittest discover -s scripts/findings

Each test writes a small unpacked bundle (MANIFEST.json, results/ tables and report figures) and a
findings.md with the markers to a temporary directory and runs findings.py on it as a process. The
tables are built so that the quoted numbers are known in closed form (a detector equal to
mahalanobis plus a constant correlates +1 with it, one equal to 1 minus it -1).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "findings.py")
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PAGE = "# Findings\n\n<!-- generated:provenance -->\nold\n<!-- /generated:provenance -->\n\ntext\n\n" \
       "<!-- generated:numbers -->\nold\n<!-- /generated:numbers -->\n\nmore text\n"
# (model, dataset): quirkiness coefficient; mahalanobis AUROC at layers 0, 1 and aggregated.
MODELS = {("m1", "addition"): (0.9, [0.60, 0.90, 0.85]), ("m1", "squaring"): (0.0, [0.55, 0.70, 0.65]),
          ("m2", "addition"): (0.5, [0.50, 0.80, 0.75]), ("m2", "squaring"): (-0.1, [0.65, 0.60, 0.62])}


def svg(panels):
    return "<svg>" + "".join(f'<text x="1">{t}</text><text x="2" class="r-squared">R² = {r}</text>' for t, r in panels) + "</svg>"


class FindingsScriptTests(unittest.TestCase):
    def make(self, root, pipeline="quirky-mad", drop=None, auroc_override=None):
        records = [{"key": f"k{i}", "stage": f"s{i}", "started": f"2026-12-07T10:0{i}:00.000Z", "seconds": 60.0,
                    "environment": {"version": "0.1.0", "commit": COMMIT, "dirty": "clean", "blas": "OpenBLAS x",
                                    "blasCore": "Haswell", "blasThreads": "1", "cpu": "cpu", "os": "os", "swift": "6.3"}}
                   for i in range(3)]
        manifest = {"format": "madpipe-bundle", "pipeline": pipeline, "selection": {"only": [], "overrides": []},
                    "vars": {"seed": "0"}, "provenance": {"engine": "0.1.0", "commit": COMMIT, "dirty": "clean"},
                    "current": [r["key"] for r in records], "records": records}
        res = os.path.join(root, "unpacked", "results")
        os.makedirs(os.path.join(res, "report", "figures"))
        with open(os.path.join(root, "unpacked", "MANIFEST.json"), "w") as f:
            json.dump(manifest, f)
        tables = {
            "quirkiness.csv": ["model,dataset,alice_accuracy,bob_accuracy,quirkiness"]
            + [f"{m},{d},0.8,0.7,{q}" for (m, d), (q, _) in MODELS.items()],
            "separation.csv": ["model,dataset,layer,separation,between_total_ratio"]
            + [f"{m},{d},{l},{a * 2},0.1" for (m, d), (_, aurocs) in MODELS.items() for l, a in enumerate(aurocs[:2])],
            "best-layer.csv": ["model,dataset,detector,best_layer,validation_auroc,test_auroc"],
            "auroc.csv": ["model,dataset,detector,layer,subset,auroc"],
        }
        for (m, d), (_, aurocs) in MODELS.items():
            for det, f in [("mahalanobis", lambda a: a), ("flow-mahalanobis", lambda a: a + 0.01), ("sae-l0", lambda a: 1 - a)]:
                for layer, a in zip(["0", "1", "aggregate"], aurocs):
                    for subset in ["all", "agree", "disagree"]:
                        tables["auroc.csv"].append(f"{m},{d},{det},{layer},{subset},{f(a):.6f}")
                tables["best-layer.csv"].append(f"{m},{d},{det},1,{f(aurocs[1]):.6f},{f(aurocs[1]):.6f}")
        if auroc_override:
            tables["auroc.csv"][1] = auroc_override
        for name, lines in tables.items():
            if name != drop:
                with open(os.path.join(res, name), "w") as f:
                    f.write("\n".join(lines) + "\n")
        figures = {"auroc-vs-separation.svg": svg([("AUROC vs separation (S-curve fitted to mahalanobis)", "0.900")]),
                   "separation-vs-logits.svg": svg([("S vs logit separation (labels)", "0.100"), ("S vs logit variance", "0.200"),
                                                    ("S vs Alice–Bob logit separation", "0.300")])}
        for name in ["auroc-per-layer.svg", "auroc-aggregate.svg", "auroc-vs-quirkiness.svg", "losses.svg"]:
            figures[name] = "<svg/>"
        for name, text in figures.items():
            with open(os.path.join(res, "report", "figures", name), "w", encoding="utf-8") as f:
                f.write(text)
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "findings.md"), "w") as f:
            f.write(PAGE)
        with open(os.path.join(root, "bundle.tar.zst"), "wb") as f:
            f.write(b"bundle bytes")

    def run_script(self, root):
        return subprocess.run([sys.executable, SCRIPT, os.path.join(root, "unpacked"), os.path.join(root, "bundle.tar.zst"),
                               os.path.join(root, "docs")], capture_output=True, text=True)

    def page(self, root):
        with open(os.path.join(root, "docs", "findings.md")) as f:
            return f.read()

    def test_writes_provenance_numbers_and_copies(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root)
            p = self.run_script(root)
            self.assertEqual(p.returncode, 0, p.stderr)
            page = self.page(root)
            self.assertIn(f"commit `{COMMIT}`, tree `clean`", page)
            self.assertIn(f"SHA-256 `{hashlib.sha256(b'bundle bytes').hexdigest()}`", page)
            self.assertIn("2026-12-07 10:00-10:03 UTC, **3.0 minutes**", page)
            self.assertIn("2 of the 4 models are quirky: m1 addition, m2 addition.", page)
            self.assertIn("| flow-mahalanobis | +1.00 | 0.010 | 8 |", page)
            self.assertIn("| sae-l0 | -1.00 |", page)
            self.assertIn("S-curve R² = 0.900", page)
            self.assertIn("aggregate means 0.728 vs 0.718 | **reproduced** |", page)     # flow: r 1, difference 0.01
            self.assertIn("aggregate means 0.282 vs 0.718 | **not reproduced** |", page)  # sae-l0: r -1
            self.assertIn("Alice-Bob logit separation 0.300", page)
            self.assertTrue(page.startswith("# Findings\n\n<!-- generated:provenance -->\n- **Bundle**"))
            self.assertTrue(page.endswith("<!-- /generated:numbers -->\n\nmore text\n"))
            self.assertNotIn("\nold\n", page)
            for name in ["auroc.csv", "separation-vs-logits.svg"]:
                with open(os.path.join(root, "unpacked", "results", name) if name.endswith(".csv")
                          else os.path.join(root, "unpacked", "results", "report", "figures", name), "rb") as a, \
                        open(os.path.join(root, "docs", "findings", name), "rb") as b:
                    self.assertEqual(a.read(), b.read())

    def test_refuses_another_pipeline(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, pipeline="quickstart")
            p = self.run_script(root)
            self.assertEqual(p.returncode, 1)
            self.assertIn("is a bundle of pipeline 'quickstart', not 'quirky-mad'", p.stderr)
            self.assertEqual(self.page(root), PAGE)

    def test_refuses_a_missing_table(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, drop="best-layer.csv")
            p = self.run_script(root)
            self.assertEqual(p.returncode, 1)
            self.assertIn("publishes no results/best-layer.csv", p.stderr)
            self.assertEqual(self.page(root), PAGE)
            self.assertFalse(os.path.exists(os.path.join(root, "docs", "findings")))

    def test_refuses_a_nan(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, auroc_override="m1,addition,mahalanobis,0,all,nan")
            p = self.run_script(root)
            self.assertEqual(p.returncode, 1)
            self.assertIn("results/auroc.csv line 2, column auroc: nan", p.stderr)
            self.assertEqual(self.page(root), PAGE)


if __name__ == "__main__":
    unittest.main()
