#!/usr/bin/env python3
"""Tests of findings.py (standard library only; scripts/test.sh runs them):

    python3 -m unittest discover -s scripts/findings

Each test writes a small unpacked bundle (MANIFEST.json, results/ tables and report figures) and a
findings.md with the markers to a temporary directory and runs findings.py on it as a process.
Every model has a truthful twin (bob_rule truthful rows beside the quirky ones, and twins.csv
pairing them). The tables are built so that the quoted numbers are known in closed form: each
model's twin scores mahalanobis's AUROC minus a chosen difference, flow-mahalanobis's difference is
mahalanobis's plus 0.01 (r +1, mean absolute difference 0.01), sae-l0's its negative (r -1), and
the separation's model-minus-twin difference is twice mahalanobis's (r +1).
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
LAYERS = ["0", "1", "2", "aggregate"]
# (model, dataset): recipe, quirkiness coefficient, the model's Alice / Bob accuracy, the twin's, and
# mahalanobis's AUROC on the model (bob_rule quirky) at layers 0, 1, 2 and aggregated.
MODELS = {("m1", "addition"): ("quality", 0.9, (0.96, 0.97), (0.98, 0.99), [0.60, 0.90, 0.70, 0.85]),
          ("m1", "squaring"): ("short", 0.0, (0.80, 0.70), (0.96, 0.94), [0.55, 0.70, 0.60, 0.65]),
          ("m2", "addition"): ("short", 0.5, (0.80, 0.70), (0.90, 0.90), [0.50, 0.80, 0.70, 0.75]),
          ("m2", "squaring"): ("short", -0.1, (0.60, 0.50), (0.97, 0.99), [0.65, 0.60, 0.62, 0.63])}
QUIRKY = [("m1", "addition"), ("m2", "addition")]  # coefficient > 0.1


def differences(k, gap):
    """mahalanobis's AUROC on the model minus on its twin at layers 0, 1, 2 and aggregated: `gap`
    aggregated on the quirky models, 0 on the others."""
    if k in QUIRKY:
        return [0.0, gap, gap / 2, gap]
    return [0.0, 0.01, -0.01, 0.0] if k[1] == "squaring" and k[0] == "m1" else [0.0, -0.02, 0.01, 0.0]


VERDICTS = [("Arithmetic quirks are detectable", "not as a finding about mechanisms"), ("Separation explains AUROC", "partly"),
            ("flow-Mahalanobis tracks raw Mahalanobis closely", "reproduced"), ("SAE scores track raw Mahalanobis", "not reproduced")]


def svg(panels):
    return "<svg>" + "".join(f'<text x="1" font-weight="bold">{t}</text><text x="3">axis</text>'
                             f'<text x="2" class="r-squared">R² = {r}</text>' for t, r in panels) + "</svg>"


class FindingsScriptTests(unittest.TestCase):
    def make(self, root, pipeline="quirky-mad", drop=None, gap=0.10, edit=None, starts=None):
        starts = starts or [f"2026-12-07T10:0{i}:00.000Z" for i in range(3)]
        records = [{"key": f"k{i}", "stage": f"s{i}", "started": starts[i], "seconds": 60.0,
                    "environment": {"version": "0.1.0", "commit": COMMIT, "dirty": "clean", "blas": "OpenBLAS x",
                                    "blasCore": "Haswell", "blasThreads": "1", "cpu": "cpu", "os": "os", "swift": "6.3"}}
                   for i in range(3)]
        manifest = {"format": "madpipe-bundle", "pipeline": pipeline, "selection": {"only": [], "overrides": []},
                    "vars": {"seed": 0, "layers": {"short": 2, "quality": 4}},
                    "provenance": {"engine": "0.1.0", "commit": COMMIT, "dirty": "clean"},
                    "current": [r["key"] for r in records], "records": records}
        res = os.path.join(root, "unpacked", "results")
        os.makedirs(os.path.join(res, "report", "figures"))
        with open(os.path.join(root, "unpacked", "MANIFEST.json"), "w") as f:
            json.dump(manifest, f)
        tables = {
            "quirkiness.csv": ["model,dataset,recipe,bob_rule,alice_accuracy,bob_accuracy,quirkiness"],
            "separation.csv": ["model,dataset,bob_rule,layer,separation,between_total_ratio,note"],
            "best-layer.csv": ["model,dataset,detector,bob_rule,best_layer,validation_auroc,test_auroc"],
            "auroc.csv": ["model,dataset,detector,bob_rule,layer,subset,auroc"],
            "twins.csv": ["model,dataset,detector,layer,subset,quirky_auroc,twin_auroc,difference,ci_low,ci_high,alice,bob"],
        }
        for (m, d), (recipe, q, acc, twin_acc, aurocs) in MODELS.items():
            tables["quirkiness.csv"] += [f"{m},{d},{recipe},quirky,{acc[0]},{acc[1]},{q}",
                                         f"{m},{d},{recipe},truthful,{twin_acc[0]},{twin_acc[1]},0"]
            diffs = differences((m, d), gap)
            for layer, (a, dm) in enumerate(zip(aurocs[:3], diffs)):
                s = 1.0 + layer
                # The twin's separation is the model's minus twice mahalanobis's difference; one is undefined.
                t = "nan" if (m, d, layer) == ("m2", "squaring", 0) else f"{s - 2 * dm:.6f}"
                tables["separation.csv"] += [f"{m},{d},quirky,{layer},{s:.6f},0.1,", f"{m},{d},truthful,{layer},{t},0.1,"]
            for det, f, g in [("mahalanobis", lambda a: a, lambda a: a), ("flow-mahalanobis", lambda a: a + 0.01, lambda a: a),
                              ("sae-l0", lambda a: 1 - a, lambda a: 1 - a)]:
                for layer, a, dm in zip(LAYERS, aurocs, diffs):
                    qa, ta = f(a), g(a - dm)
                    for subset in ["all", "agree", "disagree"]:
                        tables["auroc.csv"].append(f"{m},{d},{det},quirky,{layer},{subset},{qa:.6f}")
                        # The twin's Bob answers as Alice does: it has no disagree rows of its own.
                        tables["auroc.csv"].append(f"{m},{d},{det},truthful,{layer},{subset},"
                                                   + ("nan" if subset == "disagree" else f"{ta:.6f}"))
                        tables["twins.csv"].append(f"{m},{d},{det},{layer},{subset},{qa:.6f},{ta:.6f},{qa - ta:.6f},"
                                                   f"{qa - ta - 0.05:.6f},{qa - ta + 0.05:.6f},50,50")
                tables["best-layer.csv"] += [f"{m},{d},{det},quirky,1,{f(aurocs[1]):.6f},{f(aurocs[1]):.6f}",
                                             f"{m},{d},{det},truthful,1,{g(aurocs[1] - diffs[1]):.6f},{g(aurocs[1] - diffs[1]):.6f}"]
        if edit:
            edit(tables)
        for name, lines in tables.items():
            if name != drop:
                with open(os.path.join(res, name), "w") as f:
                    f.write("\n".join(lines) + "\n")
        figures = {"auroc-vs-separation.svg": svg([("AUROC vs separation: mahalanobis bob_rule=quirky", "0.900")]),
                   "separation-vs-logits.svg": svg([("S vs logit separation (labels)", "0.100"), ("S vs logit variance", "0.200"),
                                                    ("S vs Alice–Bob logit separation", "0.300")]),
                   "twin-difference.svg": "<svg><text>twin difference</text></svg>"}
        for name in ["auroc-per-layer.svg", "auroc-aggregate.svg", "auroc-vs-quirkiness.svg", "losses.svg"]:
            figures[name] = "<svg/>"
        # The report's section-9 table, which the page quotes (its verdicts are the report's).
        os.makedirs(os.path.join(res, "report", "tables"))
        findings = ['finding,measured,verdict,rule'] + [
            f'"{f}","measured {i}, with a comma","{v}","rule {i}"' for i, (f, v) in enumerate(VERDICTS)]
        if "findings.csv" != drop:
            with open(os.path.join(res, "report", "tables", "findings.csv"), "w") as f:
                f.write("\n".join(findings) + "\n")
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

    def test_a_cache_completed_by_a_later_run_shows_each_span(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, starts=["2026-12-07T10:00:00.000Z", "2026-12-07T10:01:00.000Z", "2026-12-08T01:00:00.000Z"])
            p = self.run_script(root)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("the stages ran 2026-12-07 10:00-10:02 UTC (2.0 min), 2026-12-08 01:00-01:01 UTC (1.0 min), "
                          "**3.0 minutes** in all (gaps of more than 10 minutes", self.page(root))

    def assertRefused(self, root, message):
        p = self.run_script(root)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(message, p.stderr)
        self.assertEqual(self.page(root), PAGE)
        self.assertFalse(os.path.exists(os.path.join(root, "docs", "findings")))

    def test_writes_provenance_numbers_and_copies(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root)
            p = self.run_script(root)
            self.assertEqual(p.returncode, 0, p.stderr)
            page = self.page(root)
            self.assertIn(f"commit `{COMMIT}`, tree `clean`", page)
            self.assertIn(f"SHA-256 `{hashlib.sha256(b'bundle bytes').hexdigest()}`", page)
            self.assertIn("2026-12-07 10:00-10:03 UTC, **3.0 minutes**", page)
            self.assertIn("- **Vars**: seed=0, layers={short: 2, quality: 4}; no overrides.", page)
            # The model beside its twin, each with its own target.
            self.assertIn("| m1 | addition | quality | **0.960 / 0.970 / +0.90** | yes | 0.980 / 0.990 | yes |", page)
            self.assertIn("| m1 | squaring | short | 0.800 / 0.700 / 0.00 | no | 0.960 / 0.940 | no |", page)
            self.assertIn("| m2 | squaring | short | 0.600 / 0.500 / -0.10 | no | 0.970 / 0.990 | yes |", page)
            self.assertIn("2 of the 4 models are quirky: m1 addition, m2 addition. Targets met by 1 of the 4 models "
                          "(m1 addition) and by 2 of the 4 twins.", page)
            # Means over the models of (0.85, 0.65, 0.75, 0.63) and of the twins (less 0.1 on the two quirky ones).
            self.assertIn("| mahalanobis | 0.720 | 0.670 | +0.100 | +0.000 | 2 of 2 | +0.100 | +0.100 |", page)
            self.assertIn("| flow-mahalanobis | 0.730 | 0.670 | +0.110 | +0.010 | 2 of 2 | +0.110 | +0.110 |", page)
            self.assertIn("| m1 | addition | yes | 0.850 | 0.750 | +0.100 [+0.050, +0.150] | 1 (0.900) |", page)
            self.assertIn("| m2 | squaring |  | 0.630 | 0.630 | +0.000 [-0.050, +0.050] | 1 (0.600) |", page)
            self.assertIn("left out: m2 squaring bob_rule=truthful layer 0.", page)
            # The verdicts and rules are the report's table, quoted.
            self.assertIn("| Arithmetic quirks are detectable | measured 0, with a comma | **not as a finding about mechanisms** |", page)
            self.assertIn("| SAE scores track raw Mahalanobis | measured 3, with a comma | **not reproduced** |", page)
            self.assertIn("- Separation explains AUROC: rule 1.", page)
            self.assertIn("Alice-Bob logit separation 0.300", page)
            self.assertTrue(page.startswith("# Findings\n\n<!-- generated:provenance -->\n- **Bundle**"))
            self.assertTrue(page.endswith("<!-- /generated:numbers -->\n\nmore text\n"))
            self.assertNotIn("\nold\n", page)
            for name in ["auroc.csv", "separation-vs-logits.svg"]:
                with open(os.path.join(root, "unpacked", "results", name) if name.endswith(".csv")
                          else os.path.join(root, "unpacked", "results", "report", "figures", name), "rb") as a, \
                        open(os.path.join(root, "docs", "findings", name), "rb") as b:
                    self.assertEqual(a.read(), b.read())

    def test_copies_the_twin_table_and_figure(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root)
            p = self.run_script(root)
            self.assertEqual(p.returncode, 0, p.stderr)
            for source, name in [("", "twins.csv"), (os.path.join("report", "figures"), "twin-difference.svg")]:
                with open(os.path.join(root, "unpacked", "results", source, name), "rb") as a, \
                        open(os.path.join(root, "docs", "findings", name), "rb") as b:
                    self.assertEqual(a.read(), b.read())

    def test_refuses_a_bundle_without_the_reports_findings_table(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, drop="findings.csv")
            self.assertRefused(root, "publishes no results/report/tables/findings.csv")

    def test_refuses_a_duplicate_row(self):
        with tempfile.TemporaryDirectory() as root:
            # A second row of m1 addition's quirky model (line 10), e.g. a twin row mislabelled quirky.
            self.make(root, edit=lambda t: t["quirkiness.csv"].append("m1,addition,quality,quirky,0.98,0.99,0"))
            self.assertRefused(root, "results/quirkiness.csv line 10: a second row for model=m1, dataset=addition, "
                                     "bob_rule=quirky (the first is line 2)")

    def test_refuses_another_pipeline(self):
        with tempfile.TemporaryDirectory() as root:
            self.make(root, pipeline="quickstart")
            self.assertRefused(root, "is a bundle of pipeline 'quickstart', not 'quirky-mad'")

    def test_refuses_a_missing_table(self):
        for name in ["best-layer.csv", "twins.csv"]:
            with self.subTest(name=name), tempfile.TemporaryDirectory() as root:
                self.make(root, drop=name)
                self.assertRefused(root, f"publishes no results/{name}")

    def test_refuses_a_nan(self):
        def auroc(t):
            t["auroc.csv"][1] = "m1,addition,mahalanobis,quirky,0,all,nan"

        def twins(t):
            i = t["twins.csv"].index("m1,addition,mahalanobis,aggregate,agree,0.850000,0.750000,0.100000,0.050000,0.150000,50,50")
            t["twins.csv"][i] = "m1,addition,mahalanobis,aggregate,agree,0.850000,0.750000,nan,0.050000,0.150000,50,50"
        for edit, message in [(auroc, "results/auroc.csv line 2, column auroc: nan"),
                              (twins, "results/twins.csv line 12, column difference: nan")]:
            with self.subTest(message=message), tempfile.TemporaryDirectory() as root:
                self.make(root, edit=edit)
                self.assertRefused(root, message)


if __name__ == "__main__":
    unittest.main()
