#!/usr/bin/env python3
"""Makes docs/findings/ and the generated parts of docs/findings.md from an unpacked bundle of
pipelines/quirky-mad.yaml (standard library only; run through scripts/findings/make-findings.sh).

    python3 findings.py UNPACKED_DIR BUNDLE_FILE DOCS_DIR

UNPACKED_DIR holds the bundle's MANIFEST.json and results/. The script copies the published tables
and report figures to DOCS_DIR/findings/, and rewrites the text between the marker pairs
`<!-- generated:provenance -->` / `<!-- /generated:provenance -->` and `<!-- generated:numbers -->`
/ `<!-- /generated:numbers -->` in DOCS_DIR/findings.md: which code, machine and run made the
bundle, and every number the page quotes, computed here from the tables (the S-curve and
logit-level R² are read from the report's figures, which computed them). Anything missing or
degenerate (a NaN, a correlation of a constant) stops it with exit status 1 and a message; it
writes nothing before every input has been read and every number computed.
"""
import csv
import hashlib
import json
import math
import os
import re
import shutil
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

PIPELINE = "quirky-mad"
TABLES = ["auroc.csv", "best-layer.csv", "quirkiness.csv", "separation.csv"]
FIGURES = ["auroc-per-layer.svg", "auroc-aggregate.svg", "auroc-vs-quirkiness.svg", "auroc-vs-separation.svg",
           "losses.svg", "separation-vs-logits.svg"]
COLUMNS = {
    "auroc.csv": ["model", "dataset", "detector", "layer", "subset", "auroc"],
    "best-layer.csv": ["model", "dataset", "detector", "best_layer", "validation_auroc", "test_auroc"],
    "quirkiness.csv": ["model", "dataset", "alice_accuracy", "bob_accuracy", "quirkiness"],
    "separation.csv": ["model", "dataset", "layer", "separation"],
}
# A model counts as quirky when its quirkiness coefficient (nats, METHOD.md section 7) exceeds this.
QUIRKY_MIN = 0.1
# The detector whose AUROC the other detectors and the separation are compared with.
REFERENCE = "mahalanobis"
ENV_FIELDS = ["version", "commit", "dirty", "blas", "blasCore", "blasThreads", "cpu", "os", "swift"]


class FindingsError(Exception):
    pass


def read_table(results, name):
    path = os.path.join(results, name)
    if not os.path.isfile(path):
        raise FindingsError(f"the bundle publishes no results/{name} (is it a bundle of the full {PIPELINE} run?)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise FindingsError(f"results/{name} has no rows")
    missing = [c for c in COLUMNS[name] if c not in rows[0]]
    if missing:
        raise FindingsError(f"results/{name} lacks the column(s) {', '.join(missing)}")
    return rows


def number(row, column, name, line):
    text = row[column]
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise FindingsError(f"results/{name} line {line}, column {column}: {text!r} is not a number")
    if not math.isfinite(v):
        raise FindingsError(f"results/{name} line {line}, column {column}: {text} (degenerate data; the page quotes no NaN)")
    return v


def mean(xs, what):
    if not xs:
        raise FindingsError(f"no values for {what}")
    return sum(xs) / len(xs)


def pearson(x, y, what):
    n = len(x)
    if n < 3:
        raise FindingsError(f"{what}: {n} pairs, a correlation needs 3")
    mx, my = sum(x) / n, sum(y) / n
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    if sx == 0 or sy == 0:
        raise FindingsError(f"{what}: one side is constant, the correlation is undefined")
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / (sx * sy)


def timestamp(text, what):
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise FindingsError(f"{what}: {text!r} is not a timestamp madpipe writes")


def f3(v):
    return f"{v:.3f}"


def signed(v):
    return f"{v:+.2f}" if round(v, 2) != 0 else "0.00"


def r_squared(path, titles):
    """The R² a report figure prints in each of its panels (`<text ...>TITLE</text>` followed by
    `<text class="r-squared">R² = 0.568</text>`), for the panel titles that start with `titles`."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    found, title = {}, None
    for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
        text = text.strip()
        if text.startswith("R²") or text == "R² undefined":
            m = re.fullmatch(r"R² = (-?[0-9.]+)", text)
            if not m:
                raise FindingsError(f"{name}: panel {title!r} prints {text!r}")
            if title is not None:
                found[title] = float(m.group(1))
            continue
        for t in titles:
            if text.startswith(t):
                title = t
    missing = [t for t in titles if t not in found]
    if missing:
        raise FindingsError(f"{name} prints no R² for the panel(s) {', '.join(missing)}")
    return [found[t] for t in titles]


# ---------------------------------------------------------------------------------------------
# Provenance


def provenance(manifest, bundle_file):
    records = manifest.get("records", [])
    current = set(manifest.get("current", []))
    run = [r for r in records if r.get("key") in current]
    if not run:
        raise FindingsError("the bundle's manifest names no current stage records")
    sha = hashlib.sha256()
    with open(bundle_file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    size = os.path.getsize(bundle_file)

    env = {}
    for field in ENV_FIELDS:
        values = Counter(str((r.get("environment") or {}).get(field, "(not recorded)")) for r in run)
        if len(values) == 1:
            env[field] = f"`{next(iter(values))}`"
        else:
            env[field] = ", ".join(f"`{v}` ({n} stages)" for v, n in values.most_common())
    starts = [timestamp(r["started"], f"record {r['stage']}: started") for r in run]
    ends = [s + timedelta(seconds=float(r.get("seconds", 0))) for s, r in zip(starts, run)]
    first, last = min(starts), max(ends)
    wall = (last - first).total_seconds()
    busy = sum(float(r.get("seconds", 0)) for r in run)
    slowest = sorted(run, key=lambda r: -float(r.get("seconds", 0)))[:4]
    sel = manifest.get("selection", {})
    overrides = sel.get("overrides") or []
    vars_ = manifest.get("vars", {})
    p = manifest.get("provenance", {})
    note = manifest.get("note") or ""

    lines = [
        f"- **Bundle**: `{os.path.basename(bundle_file)}`, SHA-256 `{sha.hexdigest()}`, {size / 1e6:.1f} MB, "
        f"exported by madpipe {p.get('engine', '?')} (commit `{p.get('commit', '?')}`, {p.get('dirty', '?')}), "
        f"created {p.get('created', '?')}" + (f"; note: \"{note}\"" if note else "") + ".",
        f"- **Code** that ran the {len(run)} stage instances (from their records): madpipe {env['version']}, "
        f"commit {env['commit']}, tree {env['dirty']}.",
        f"- **Numeric environment**: BLAS {env['blas']}, core {env['blasCore']}, BLAS threads {env['blasThreads']}; "
        f"CPU {env['cpu']}; OS {env['os']}; Swift {env['swift']}.",
        f"- **Run**: {first:%Y-%m-%d %H:%M}-{last:%H:%M} UTC, **{wall / 60:.1f} minutes** from the first stage's start to "
        f"the last one's end ({busy / 60:.1f} stage-minutes in all); slowest stages: "
        + ", ".join(f"`{r['stage']}` {float(r['seconds']) / 60:.1f} min" for r in slowest) + ".",
        "- **Vars**: " + ", ".join(f"{k}={v}" for k, v in vars_.items())
        + (f"; overrides {' '.join(overrides)}" if overrides else "; no overrides") + ".",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Numbers


def numbers(results):
    tabs = {name: read_table(results, name) for name in TABLES}

    quirk, order_m, order_d = {}, [], []
    for i, r in enumerate(tabs["quirkiness.csv"], start=2):
        key = (r["model"], r["dataset"])
        quirk[key] = tuple(number(r, c, "quirkiness.csv", i) for c in ("alice_accuracy", "bob_accuracy", "quirkiness"))
        if r["model"] not in order_m: order_m.append(r["model"])
        if r["dataset"] not in order_d: order_d.append(r["dataset"])
    pairs = [(m, d) for m in order_m for d in order_d if (m, d) in quirk]
    quirky = [k for k in pairs if quirk[k][2] > QUIRKY_MIN]
    plain = [k for k in pairs if k not in quirky]

    A, dets = {}, []
    for i, r in enumerate(tabs["auroc.csv"], start=2):
        A[(r["model"], r["dataset"], r["detector"], r["layer"], r["subset"])] = number(r, "auroc", "auroc.csv", i)
        if r["detector"] not in dets: dets.append(r["detector"])
    if REFERENCE not in dets:
        raise FindingsError(f"results/auroc.csv has no {REFERENCE} rows")
    B = {}
    for i, r in enumerate(tabs["best-layer.csv"], start=2):
        B[(r["model"], r["dataset"], r["detector"])] = (r["best_layer"], number(r, "test_auroc", "best-layer.csv", i))
    # separation.csv writes nan where the activations do not vary (Tr Sigma = 0, e.g. a layer that is
    # one embedding row); those layers are named on the page and left out of the correlations.
    S, undefined = {}, []
    for i, r in enumerate(tabs["separation.csv"], start=2):
        if r["separation"].strip().lower() == "nan":
            undefined.append(f"{r['model']} {r['dataset']} layer {r['layer']}")
            continue
        S[(r["model"], r["dataset"], r["layer"])] = number(r, "separation", "separation.csv", i)

    def agg(k, det, subset="all"):
        key = (k[0], k[1], det, "aggregate", subset)
        if key not in A:
            raise FindingsError(f"results/auroc.csv has no aggregate/{subset} row for {k[0]} {k[1]} {det}")
        return A[key]

    def best(k, det):
        if (k[0], k[1], det) not in B:
            raise FindingsError(f"results/best-layer.csv has no row for {k[0]} {k[1]} {det}")
        return B[(k[0], k[1], det)]

    def layers(k, det):
        return sorted({key[3] for key in A if key[:3] == (k[0], k[1], det) and key[3] != "aggregate"}, key=int)

    out = []
    # Quirkiness.
    out.append(f"Quirkiness on the hard test split (`quirkiness.csv`): Alice's accuracy on her labels / Bob's on his / "
               f"the quirkiness coefficient (nats); **bold**: quirky, i.e. coefficient > {QUIRKY_MIN}.\n")
    out.append("| model | " + " | ".join(d.replace("_", " ") for d in order_d) + " |")
    out.append("|---" * (len(order_d) + 1) + "|")
    for m in order_m:
        cells = []
        for d in order_d:
            if (m, d) not in quirk:
                cells.append("")
                continue
            a, b, q = quirk[(m, d)]
            cell = f"{a:.3f} / {b:.3f} / {signed(q)}"
            cells.append(f"**{cell}**" if (m, d) in quirky else cell)
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    out.append(f"\n{len(quirky)} of the {len(pairs)} models are quirky: "
               + (", ".join(f"{m} {d}" for m, d in quirky) if quirky else "none") + ".\n")

    # Per-detector summary.
    out.append("Per detector (`auroc.csv`, `best-layer.csv`): the mean test AUROC of the layer-aggregated score over all "
               "models, over the quirky and the other models, its Pearson r with the quirkiness coefficient across the "
               "models, its mean on the agree / disagree rows (disagree: Alice's and Bob's labels differ); and the mean "
               "(min-max) test AUROC at the best layer chosen on validation, quirky / other models.\n")
    out.append("| detector | aggregate, all | quirky | other | r with quirkiness | agree | disagree | best layer, quirky | best layer, other |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for det in dets:
        ks = [k for k in pairs if (k[0], k[1], det, "aggregate", "all") in A]
        if not ks:
            continue
        allv = [agg(k, det) for k in ks]
        qv = [agg(k, det) for k in ks if k in quirky]
        pv = [agg(k, det) for k in ks if k in plain]
        r = pearson([quirk[k][2] for k in ks], allv, f"{det}: aggregate AUROC vs quirkiness")
        ag = mean([agg(k, det, "agree") for k in ks], f"{det} agree")
        dg = mean([agg(k, det, "disagree") for k in ks], f"{det} disagree")
        bq = [best(k, det)[1] for k in ks if k in quirky]
        bp = [best(k, det)[1] for k in ks if k in plain]
        rng = lambda v: f"{mean(v, det):.3f} ({min(v):.3f}-{max(v):.3f})" if v else "-"
        summary[det] = dict(all=mean(allv, det), q=mean(qv, det) if qv else None, p=mean(pv, det) if pv else None,
                            bq=mean(bq, det) if bq else None, bp=mean(bp, det) if bp else None)
        out.append(f"| {det} | {f3(summary[det]['all'])} | {f3(summary[det]['q']) if qv else '-'} | "
                   f"{f3(summary[det]['p']) if pv else '-'} | {r:+.2f} | {f3(ag)} | {f3(dg)} | {rng(bq)} | {rng(bp)} |")

    # Reference detector per layer.
    last_layer = {}
    out.append(f"\n{REFERENCE} test AUROC per layer (layer i is the residual stream entering block i, the last one the "
               f"final block's output), layer-aggregated, and the layer chosen on validation with its test AUROC:\n")
    all_layers = sorted({key[3] for key in A if key[2] == REFERENCE and key[3] != "aggregate"}, key=int)
    out.append("| model | dataset | quirky | " + " | ".join(f"layer {l}" for l in all_layers) + " | aggregate | best layer (test) |")
    out.append("|---" * (len(all_layers) + 5) + "|")
    middle_best = 0
    for k in pairs:
        ls = layers(k, REFERENCE)
        last_layer[k] = ls[-1] if ls else None
        bl, bt = best(k, REFERENCE)
        if k in quirky and ls and bl not in (ls[0], ls[-1]):
            middle_best += 1
        cells = [f3(A[(k[0], k[1], REFERENCE, l, "all")]) if (k[0], k[1], REFERENCE, l, "all") in A else "" for l in all_layers]
        out.append(f"| {k[0]} | {k[1]} | {'yes' if k in quirky else ''} | " + " | ".join(cells)
                   + f" | {f3(agg(k, REFERENCE))} | {bl} ({f3(bt)}) |")

    # Layer 0 of each model family: a single embedding row when positions are rotary.
    zero = {}
    for m in order_m:
        v = [a for key, a in A.items() if key[0] == m and key[2] != "attribution" and key[3] == "0" and key[4] == "all"]
        if v: zero[m] = (min(v), max(v))
    out.append("\nLayer 0 (the input of block 0), test AUROC of every detector on activations (all but attribution, "
               "whose layer 0 is block 0's heads), all test rows: " + "; ".join(f"{m} {lo:.3f}-{hi:.3f}" for m, (lo, hi) in zero.items()) + ".")

    # Detectors against the reference, layer by layer.
    out.append(f"\nPer-layer test AUROC of each detector against {REFERENCE}'s at the same model, dataset and layer "
               f"(Pearson r, mean absolute difference, number of layers):\n")
    out.append(f"| detector | r with {REFERENCE} | mean abs. difference | n |")
    out.append("|---|---|---|---|")
    tracking = {}
    for det in dets:
        if det == REFERENCE:
            continue
        x, y = [], []
        for key, v in A.items():
            if key[2] == REFERENCE and key[3] != "aggregate" and key[4] == "all":
                k2 = (key[0], key[1], det, key[3], "all")
                if k2 in A:
                    x.append(v); y.append(A[k2])
        if len(x) < 3:
            continue
        r = pearson(x, y, f"{det} vs {REFERENCE} per layer")
        mad = mean([abs(a - b) for a, b in zip(x, y)], det)
        tracking[det] = (r, mad, len(x))
        out.append(f"| {det} | {r:+.2f} | {mad:.3f} | {len(x)} |")

    # Separation.
    x, y = [], []
    for (m, d, l), s in S.items():
        key = (m, d, REFERENCE, l, "all")
        if key in A:
            x.append(s); y.append(A[key])
    rsep = pearson(x, y, f"separation vs {REFERENCE} AUROC per layer")
    fig = os.path.join(results, "report", "figures")
    scurve = r_squared(os.path.join(fig, "auroc-vs-separation.svg"), [f"AUROC vs separation (S-curve fitted to {REFERENCE})"])
    logits = r_squared(os.path.join(fig, "separation-vs-logits.svg"),
                       ["S vs logit separation (labels)", "S vs logit variance", "S vs Alice–Bob logit separation"])
    out.append(f"\nHidden-state separation (`separation.csv`) per layer: {min(S.values()):.3f}-{max(S.values()):.3f}; "
               f"Pearson r with {REFERENCE}'s AUROC at the same layer {rsep:+.2f} (n = {len(x)}); the report's S-curve "
               f"fit of AUROC on separation (its figure auroc-vs-separation) R² = {scurve[0]:.3f}. The largest separation "
               f"over layers against logit-level measures (figure separation-vs-logits), R²: label separation of the "
               f"logits {logits[0]:.3f}, logit variance {logits[1]:.3f}, Alice-Bob logit separation {logits[2]:.3f}."
               + (f" Separation is undefined (nan: the activations do not vary) at {len(undefined)} layers, left out: "
                  + ", ".join(undefined) + "." if undefined else ""))

    # Verdicts on METHOD.md section 9, by the rules stated on the page.
    def track_verdict(det):
        if det not in tracking:
            return "no data", "-"
        r, mad, n = tracking[det]
        here = f"per-layer r = {r:+.2f}, mean abs. difference {mad:.3f} (n = {n}); aggregate means {summary[det]['all']:.3f} vs {summary[REFERENCE]['all']:.3f}"
        if r >= 0.9 and mad <= 0.05:
            return here, "**reproduced**"
        if r >= 0.7:
            return here, "**partly**: correlated, not closely"
        return here, "**not reproduced**"

    ref = summary[REFERENCE]
    if not quirky:
        det_here, det_verdict = "no quirky model", "**not testable**"
    else:
        det_here = (f"{REFERENCE} at the best layer: quirky models {ref['bq']:.3f}, other models "
                    + (f"{ref['bp']:.3f}" if ref["bp"] is not None else "-")
                    + f"; best layer a middle one for {middle_best} of {len(quirky)} quirky models")
        unspecific = ref["bp"] is not None and ref["bq"] - ref["bp"] < 0.05
        if ref["bq"] < 0.75:
            det_verdict = "**not reproduced**" + ("; the other models score as high or higher" if unspecific else "")
        elif unspecific:
            det_verdict = "**not as a finding about mechanisms**: the other models score as high or higher"
        else:
            det_verdict = "**reproduced**"
    sep_verdict = ("**reproduced**" if scurve[0] >= 0.5 else "**partly**" if scurve[0] >= 0.2 else "**not reproduced**")
    flow_here, flow_verdict = track_verdict("flow-mahalanobis")
    sae_here, sae_verdict = track_verdict("sae-l0")
    out.append("\n| METHOD.md section 9 | measured here | verdict by the rule below |")
    out.append("|---|---|---|")
    out.append(f"| Arithmetic quirks are detectable (high AUROC at middle layers) | {det_here} | {det_verdict} |")
    out.append(f"| Separation explains AUROC (S-curve) | S-curve R² = {scurve[0]:.3f}; per-layer r = {rsep:+.2f} (n = {len(x)}) | {sep_verdict} |")
    out.append(f"| flow-Mahalanobis tracks raw Mahalanobis closely | {flow_here} | {flow_verdict} |")
    out.append(f"| SAE scores track raw Mahalanobis | {sae_here} | {sae_verdict} |")
    out.append(f"\nRules (fixed in scripts/findings/findings.py, not tuned to this run): detectable when {REFERENCE}'s "
               f"mean best-layer test AUROC on the quirky models is at least 0.75, and about mechanisms only when it "
               f"exceeds the other models' by at least 0.05; separation explains AUROC when the S-curve R² is at least "
               f"0.5 (partly from 0.2); a detector tracks {REFERENCE} closely when the per-layer r is at least 0.9 and "
               f"the mean absolute difference at most 0.05 (partly when r is at least 0.7).")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def replace_block(text, name, body, page):
    begin, end = f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise FindingsError(f"{page} lacks the markers {begin} ... {end}")
    return text[:i + len(begin)] + "\n" + body + "\n" + text[j:]


def main(argv):
    if len(argv) != 4:
        raise FindingsError("usage: findings.py UNPACKED_DIR BUNDLE_FILE DOCS_DIR")
    unpacked, bundle_file, docs = argv[1:]
    try:
        with open(os.path.join(unpacked, "MANIFEST.json")) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise FindingsError(f"{bundle_file}: no readable MANIFEST.json ({e}); is it a madpipe bundle?")
    if manifest.get("format") != "madpipe-bundle":
        raise FindingsError(f"{bundle_file}: not a madpipe bundle")
    if manifest.get("pipeline") != PIPELINE:
        raise FindingsError(f"{bundle_file} is a bundle of pipeline {manifest.get('pipeline')!r}, not {PIPELINE!r}")
    sel = manifest.get("selection", {})
    if sel.get("only"):
        raise FindingsError(f"{bundle_file} holds only {sel['only']}: the page needs the full run")
    if sel.get("overrides"):
        raise FindingsError(f"{bundle_file} was made with overrides {sel['overrides']}: the page describes the committed defaults")
    results = os.path.join(unpacked, "results")
    for name in TABLES:
        if not os.path.isfile(os.path.join(results, name)):
            raise FindingsError(f"the bundle publishes no results/{name} (is it a bundle of the full {PIPELINE} run?)")
    for fig in FIGURES:
        if not os.path.isfile(os.path.join(results, "report", "figures", fig)):
            raise FindingsError(f"the bundle publishes no results/report/figures/{fig}")

    prov = provenance(manifest, bundle_file)
    nums = numbers(results)
    page = os.path.join(docs, "findings.md")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    text = replace_block(text, "provenance", prov, page)
    text = replace_block(text, "numbers", nums, page)

    target = os.path.join(docs, "findings")
    os.makedirs(target, exist_ok=True)
    for name in TABLES:
        shutil.copyfile(os.path.join(results, name), os.path.join(target, name))
    for fig in FIGURES:
        shutil.copyfile(os.path.join(results, "report", "figures", fig), os.path.join(target, fig))
    with open(page, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.normpath(target)}/ ({len(TABLES)} tables, {len(FIGURES)} figures) and the generated parts of {os.path.normpath(page)}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except FindingsError as e:
        print(f"make-findings: error: {e}", file=sys.stderr)
        sys.exit(1)
