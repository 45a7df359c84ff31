#!/usr/bin/env python3
"""Makes docs/findings/ and the generated parts of docs/findings.md from an unpacked bundle of
pipelines/quirky-mad.yaml (standard library only; run through scripts/findings/make-findings.sh).

    python3 findings.py UNPACKED_DIR BUNDLE_FILE DOCS_DIR

UNPACKED_DIR holds the bundle's MANIFEST.json and results/. The script copies the published tables
and report figures to DOCS_DIR/findings/, and rewrites the text between the marker pairs
`<!-- generated:provenance -->` / `<!-- /generated:provenance -->` and `<!-- generated:numbers -->`
/ `<!-- /generated:numbers -->` in DOCS_DIR/findings.md: which code, machine and run made the
bundle, and every number the page quotes, computed here from the tables (the S-curve and
logit-level R² are read from the report's figures, which computed them).

Every quirky model of the run has a truthful twin (`bob_rule` quirky / truthful in every table but
twins.csv, which pairs them): the page lists both in the quirkiness table, and quotes the report's
table of METHOD.md section 9's four findings judged on the twin differences (quirky AUROC minus twin
AUROC; results/report/tables/findings.csv, whose rules live in Sources/Report/ReportFindings.swift).
Rows are keyed by model, dataset, bob_rule and the table's other key columns; a duplicate key,
anything missing or degenerate (a NaN where a number is quoted) stops it with exit status 1 and a
message naming the table and line; it writes nothing before every input has been read and every
number computed.
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
TABLES = ["auroc.csv", "best-layer.csv", "quirkiness.csv", "separation.csv", "twins.csv"]
FIGURES = ["auroc-per-layer.svg", "auroc-aggregate.svg", "auroc-vs-quirkiness.svg", "auroc-vs-separation.svg",
           "losses.svg", "separation-vs-logits.svg", "twin-difference.svg"]
COLUMNS = {
    "auroc.csv": ["model", "dataset", "detector", "bob_rule", "layer", "subset", "auroc"],
    "best-layer.csv": ["model", "dataset", "detector", "bob_rule", "best_layer", "validation_auroc", "test_auroc"],
    "quirkiness.csv": ["model", "dataset", "recipe", "bob_rule", "alice_accuracy", "bob_accuracy", "quirkiness"],
    "separation.csv": ["model", "dataset", "bob_rule", "layer", "separation"],
    "twins.csv": ["model", "dataset", "detector", "layer", "subset", "quirky_auroc", "twin_auroc", "difference",
                  "ci_low", "ci_high", "alice", "bob"],
}
# The columns that identify a row of each table: two rows with the same values are an error.
KEYS = {
    "auroc.csv": ("model", "dataset", "detector", "bob_rule", "layer", "subset"),
    "best-layer.csv": ("model", "dataset", "detector", "bob_rule"),
    "quirkiness.csv": ("model", "dataset", "bob_rule"),
    "separation.csv": ("model", "dataset", "bob_rule", "layer"),
    "twins.csv": ("model", "dataset", "detector", "layer", "subset"),
}
QUIRKY, TWIN = "quirky", "truthful"
# A model counts as quirky when its quirkiness coefficient (nats, METHOD.md section 7) exceeds this.
QUIRKY_MIN = 0.1
# Issue 23's targets: a quirky model right on both sides with a positive coefficient, a twin truthful on both.
TARGET = 0.95
# The detector whose AUROC the other detectors and the separation are compared with.
REFERENCE = "mahalanobis"
ENV_FIELDS = ["version", "commit", "dirty", "blas", "blasCore", "blasThreads", "cpu", "os", "swift"]


class FindingsError(Exception):
    pass


def read_table(results, name):
    """The table's rows by key (KEYS[name]), each row with its line number under "_line"."""
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
    keyed = {}
    for line, r in enumerate(rows, start=2):
        r["_line"] = line
        if "bob_rule" in r and r["bob_rule"] not in (QUIRKY, TWIN):
            raise FindingsError(f"results/{name} line {line}, column bob_rule: {r['bob_rule']!r} is neither {QUIRKY} nor {TWIN}")
        if "layer" in r and not (r["layer"].isdigit() or (r["layer"] == "aggregate" and name != "separation.csv")):
            raise FindingsError(f"results/{name} line {line}, column layer: {r['layer']!r} is not a layer")
        key = tuple(r[c] for c in KEYS[name])
        if key in keyed:
            raise FindingsError(f"results/{name} line {line}: a second row for "
                                + ", ".join(f"{c}={v}" for c, v in zip(KEYS[name], key))
                                + f" (the first is line {keyed[key]['_line']})")
        keyed[key] = r
    return keyed


def number(row, column, name):
    text = row[column]
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise FindingsError(f"results/{name} line {row['_line']}, column {column}: {text!r} is not a number")
    if not math.isfinite(v):
        raise FindingsError(f"results/{name} line {row['_line']}, column {column}: {text} (degenerate data; the page quotes no NaN)")
    return v


def mean(xs, what):
    if not xs:
        raise FindingsError(f"no values for {what}")
    return sum(xs) / len(xs)


def timestamp(text, what):
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise FindingsError(f"{what}: {text!r} is not a timestamp madpipe writes")


# A gap longer than this in which no stage of the bundle ran splits the run's time into spans.
SPAN_GAP = timedelta(minutes=10)


def run_spans(starts, ends):
    """The spans in which the bundle's stages ran: their intervals merged, split where none ran
    for longer than SPAN_GAP (one span for a run from an empty cache; several when a later run
    completed the cache, or when stages of the first run were since replaced)."""
    spans = []
    for a, b in sorted(zip(starts, ends)):
        if spans and a - spans[-1][1] <= SPAN_GAP:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return spans


def f3(v):
    return f"{v:.3f}"


def d3(v):
    """A difference: signed, 3 decimals."""
    return f"{v:+.3f}"


def signed(v):
    return f"{v:+.2f}" if round(v, 2) != 0 else "0.00"


def mean_or_dash(xs, fmt):
    return fmt(sum(xs) / len(xs)) if xs else "-"


def r_squared(path, titles):
    """The R² a report figure prints in each of its panels, for the panels titled exactly `titles`:
    a panel's title is its bold `<text>`, and its R² the `R² = 0.568` text that follows it."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    found, title = {}, None
    for attrs, text in re.findall(r"<text([^>]*)>([^<]*)</text>", svg):
        text = text.strip()
        if 'font-weight="bold"' in attrs:
            title = text
        elif text.startswith("R²"):
            m = re.fullmatch(r"R² = (-?[0-9.]+)", text)
            if not m:
                raise FindingsError(f"{name}: panel {title!r} prints {text!r}")
            if title in titles:
                found[title] = float(m.group(1))
    missing = [t for t in titles if t not in found]
    if missing:
        raise FindingsError(f"{name} prints no R² for the panel(s) {', '.join(repr(t) for t in missing)}")
    return [found[t] for t in titles]


# ---------------------------------------------------------------------------------------------
# Provenance


def var_text(v):
    """A var's value as the pipeline file writes it: `2`, `{short: 2, quality: 4}`, `[a, b]`."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {var_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(var_text(x) for x in v) + "]"
    return str(v)


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
    spans = run_spans(starts, ends)
    wall = sum((b - a).total_seconds() for a, b in spans)
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
        (f"- **Run**: {spans[0][0]:%Y-%m-%d %H:%M}-{spans[0][1]:%H:%M} UTC, **{wall / 60:.1f} minutes** from the first stage's start to "
         f"the last one's end" if len(spans) == 1 else
         "- **Run**: the stages ran " + ", ".join(
             f"{a:%Y-%m-%d %H:%M}-{b:%H:%M} UTC ({(b - a).total_seconds() / 60:.1f} min)" for a, b in spans)
         + f", **{wall / 60:.1f} minutes** in all (gaps of more than {SPAN_GAP.seconds // 60} minutes in which no stage "
         f"of this bundle ran left out: a cache completed by a later run, or stages since replaced)")
        + f" ({busy / 60:.1f} stage-minutes in all); slowest stages: "
        + ", ".join(f"`{r['stage']}` {float(r['seconds']) / 60:.1f} min" for r in slowest) + ".",
        "- **Vars**: " + ", ".join(f"{k}={var_text(v)}" for k, v in vars_.items())
        + (f"; overrides {' '.join(overrides)}" if overrides else "; no overrides") + ".",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Numbers


def read_verdicts(results):
    """The report's section-9 table: results/report/tables/findings.csv (finding, measured, verdict, rule)."""
    path = os.path.join(results, "report", "tables", "findings.csv")
    if not os.path.isfile(path):
        raise FindingsError("the bundle publishes no results/report/tables/findings.csv (the report's section-9 table)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 4 or any(not (r.get(c) or "").strip() for r in rows for c in ("finding", "measured", "verdict", "rule")):
        raise FindingsError("results/report/tables/findings.csv must hold the four findings with finding, measured, verdict and rule")
    return rows


def numbers(results):
    verdicts = read_verdicts(results)
    tabs = {name: read_table(results, name) for name in TABLES}
    Q, T, B = tabs["quirkiness.csv"], tabs["twins.csv"], tabs["best-layer.csv"]

    # Models: each (model, dataset) with a quirky row and a truthful twin row in quirkiness.csv.
    order_m, order_d = [], []
    for (m, d, rule), r in Q.items():
        if m not in order_m: order_m.append(m)
        if d not in order_d: order_d.append(d)
        other = Q.get((m, d, TWIN if rule == QUIRKY else QUIRKY))
        if other is None:
            raise FindingsError(f"results/quirkiness.csv line {r['_line']}: {m} {d} bob_rule={rule} has no "
                                + ("truthful twin row" if rule == QUIRKY else "quirky model row"))
        if other["recipe"] != r["recipe"]:
            raise FindingsError(f"results/quirkiness.csv lines {r['_line']} and {other['_line']}: {m} {d} names recipe "
                                f"{r['recipe']!r} for one bob_rule and {other['recipe']!r} for the other")
    pairs = [(m, d) for m in order_m for d in order_d if (m, d, QUIRKY) in Q]
    quirk = {k: [number(Q[(*k, QUIRKY)], c, "quirkiness.csv") for c in ("alice_accuracy", "bob_accuracy", "quirkiness")]
             for k in pairs}
    twin_acc = {k: [number(Q[(*k, TWIN)], c, "quirkiness.csv") for c in ("alice_accuracy", "bob_accuracy")] for k in pairs}
    quirky = [k for k in pairs if quirk[k][2] > QUIRKY_MIN]
    plain = [k for k in pairs if k not in quirky]
    dets = []
    for (m, d, det, layer, subset), r in T.items():
        if (m, d) not in quirk:
            raise FindingsError(f"results/twins.csv line {r['_line']}: {m} {d} has no rows in results/quirkiness.csv")
        if det not in dets: dets.append(det)
    if REFERENCE not in dets:
        raise FindingsError(f"results/twins.csv has no {REFERENCE} rows")

    # Twin differences (subset all) checked against auroc.csv's rows of the quirky model and the twin
    # (auroc.csv's twin has no disagree rows of its own: its Bob answers as Alice does).
    A = tabs["auroc.csv"]
    for (m, d, det, layer, subset), r in T.items():
        if subset != "all":
            continue
        q, t, diff = (number(r, c, "twins.csv") for c in ("quirky_auroc", "twin_auroc", "difference"))
        if abs(q - t - diff) > 2e-6:
            raise FindingsError(f"results/twins.csv line {r['_line']}: difference {diff} is not quirky_auroc - twin_auroc ({q - t:.6f})")
        for rule, v in ((QUIRKY, q), (TWIN, t)):
            a = A.get((m, d, det, rule, layer, "all"))
            if a is None:
                raise FindingsError(f"results/auroc.csv has no row for {m} {d} {det} bob_rule={rule} layer {layer} subset all "
                                    f"(results/twins.csv line {r['_line']} quotes one)")
            if abs(number(a, "auroc", "auroc.csv") - v) > 2e-6:
                raise FindingsError(f"results/twins.csv line {r['_line']} gives {'quirky' if rule == QUIRKY else 'twin'} AUROC {v} "
                                    f"where results/auroc.csv line {a['_line']} gives {a['auroc']}")

    def twin(k, det, layer="aggregate", subset="all"):
        """(quirky AUROC, twin AUROC, difference, ci_low, ci_high) of a twins.csv row."""
        r = T.get((k[0], k[1], det, layer, subset))
        if r is None:
            raise FindingsError(f"results/twins.csv has no row for {k[0]} {k[1]} {det} layer {layer} subset {subset}")
        return [number(r, c, "twins.csv") for c in ("quirky_auroc", "twin_auroc", "difference", "ci_low", "ci_high")]

    def best(k, det):
        r = B.get((k[0], k[1], det, QUIRKY))
        if r is None:
            raise FindingsError(f"results/best-layer.csv has no row for {k[0]} {k[1]} {det} bob_rule={QUIRKY}")
        return r["best_layer"], number(r, "test_auroc", "best-layer.csv")

    names = lambda ks: ", ".join(f"{m} {d}" for m, d in ks) if ks else "none"
    out = []
    # Quirkiness, quirky models beside their twins.
    out.append(f"Quirkiness on the hard test split (`quirkiness.csv`): the model fine-tuned on the quirky labels "
               f"(bob_rule {QUIRKY}): its accuracy on Alice's / Bob's labels and its quirkiness coefficient (nats; "
               f"**bold**: quirky, i.e. coefficient > {QUIRKY_MIN}); and its truthful twin (bob_rule {TWIN}): its "
               f"accuracy on Alice's / Bob's prompts, whose labels are the truth on both sides. Target (issue 23): "
               f"the model at least {TARGET} on both sides with a coefficient above 0, the twin at least {TARGET} on both.\n")
    out.append("| model | dataset | recipe | model: Alice / Bob / coefficient | target | twin: Alice / Bob | target |")
    out.append("|---|---|---|---|---|---|---|")
    met_q, met_t = [], []
    for k in pairs:
        a, b, q = quirk[k]
        ta, tb = twin_acc[k]
        if a >= TARGET and b >= TARGET and q > 0: met_q.append(k)
        if ta >= TARGET and tb >= TARGET: met_t.append(k)
        cell = f"{a:.3f} / {b:.3f} / {signed(q)}"
        out.append(f"| {k[0]} | {k[1]} | {Q[(*k, QUIRKY)]['recipe']} | {f'**{cell}**' if k in quirky else cell} | "
                   f"{'yes' if k in met_q else 'no'} | {ta:.3f} / {tb:.3f} | {'yes' if k in met_t else 'no'} |")
    out.append(f"\n{len(quirky)} of the {len(pairs)} models are quirky: {names(quirky)}. Targets met by {len(met_q)} of "
               f"the {len(pairs)} models ({names(met_q)}) and by {len(met_t)} of the {len(pairs)} twins.\n")

    # Per detector: the twin differences of the layer-aggregated score.
    out.append("Per detector (`twins.csv`, layer-aggregated score, model and twin scored on the same test prompts): "
               "the mean test AUROC on the models and on their twins, over all models; the mean difference (model's "
               "AUROC − twin's) over the quirky models and over the other models; for how many quirky models the "
               "difference's 95% paired bootstrap interval lies above 0; and the quirky models' mean difference on the "
               "agree / disagree rows (disagree: Alice's and Bob's labels differ).\n")
    out.append("| detector | AUROC, models | AUROC, twins | difference, quirky models | difference, other models | "
               "interval above 0 | difference, quirky, agree | difference, quirky, disagree |")
    out.append("|---|---|---|---|---|---|---|---|")
    summary = {}
    for det in dets:
        rows = {k: twin(k, det) for k in pairs}
        dq = [rows[k][2] for k in quirky]
        above = sum(1 for k in quirky if rows[k][3] > 0)
        summary[det] = dict(q=mean([v[0] for v in rows.values()], det), t=mean([v[1] for v in rows.values()], det),
                            dq=mean(dq, det) if dq else None, above=above)
        out.append(f"| {det} | {f3(summary[det]['q'])} | {f3(summary[det]['t'])} | {mean_or_dash(dq, d3)} | "
                   f"{mean_or_dash([rows[k][2] for k in plain], d3)} | {above} of {len(quirky)} | "
                   f"{mean_or_dash([twin(k, det, subset='agree')[2] for k in quirky], d3)} | "
                   f"{mean_or_dash([twin(k, det, subset='disagree')[2] for k in quirky], d3)} |")

    # The reference detector per model.
    out.append(f"\n{REFERENCE} per model (`twins.csv`, `best-layer.csv`): the layer-aggregated test AUROC on the model "
               f"and on its twin, the difference with its 95% paired bootstrap interval, and the model's "
               f"layer chosen on validation with its test AUROC (layer i is the residual stream entering block i, the "
               f"last one the final block's output):\n")
    out.append("| model | dataset | quirky | AUROC, model | AUROC, twin | difference [95% interval] | best layer (test) |")
    out.append("|---|---|---|---|---|---|---|")
    for k in pairs:
        q, t, diff, lo, hi = twin(k, REFERENCE)
        bl, bt = best(k, REFERENCE)
        out.append(f"| {k[0]} | {k[1]} | {'yes' if k in quirky else ''} | {f3(q)} | {f3(t)} | {d3(diff)} [{d3(lo)}, {d3(hi)}] "
                   f"| {bl} ({f3(bt)}) |")

    # Separation: the range over the models' layers (the per-layer comparison with the twins is the
    # report's section-9 table).
    # separation.csv writes nan where the activations do not vary (Tr Sigma = 0, e.g. a layer that is
    # one embedding row); those layers are named on the page and left out.
    S = tabs["separation.csv"]
    undefined, sq = [], []
    for (m, d, rule, layer), r in S.items():
        if r["separation"].strip().lower() == "nan":
            undefined.append(f"{m} {d} bob_rule={rule} layer {layer}")
            continue
        other = S.get((m, d, TWIN if rule == QUIRKY else QUIRKY, layer))
        if other is None:
            raise FindingsError(f"results/separation.csv line {r['_line']}: {m} {d} layer {layer} has no "
                                + ("truthful twin row" if rule == QUIRKY else "quirky model row"))
        if rule != QUIRKY or other["separation"].strip().lower() == "nan":
            continue
        sq.append(number(r, "separation", "separation.csv"))
    if not sq:
        raise FindingsError("results/separation.csv has no finite separation of a model beside its twin's")
    fig = os.path.join(results, "report", "figures")
    scurve = r_squared(os.path.join(fig, "auroc-vs-separation.svg"),
                       [f"AUROC vs separation: {REFERENCE} bob_rule={QUIRKY}"])[0]
    logits = r_squared(os.path.join(fig, "separation-vs-logits.svg"),
                       ["S vs logit separation (labels)", "S vs logit variance", "S vs Alice–Bob logit separation"])
    out.append(f"\nHidden-state separation (`separation.csv`) per layer of the models: {min(sq):.3f}-{max(sq):.3f} "
               f"(its change from twin to model against {REFERENCE}'s AUROC change is in the section-9 table below). The report's S-curve fit of the models' (not the "
               f"twins') {REFERENCE} AUROC on separation per layer (figure auroc-vs-separation): R² = {scurve:.3f}. The "
               f"largest separation over layers against logit-level measures, models and twins together (figure "
               f"separation-vs-logits), R²: label separation of the logits {logits[0]:.3f}, logit variance "
               f"{logits[1]:.3f}, Alice-Bob logit separation {logits[2]:.3f}."
               + (f" Separation is undefined (nan: the activations do not vary) at {len(undefined)} layers, left out: "
                  + ", ".join(undefined) + "." if undefined else ""))

    # Verdicts on METHOD.md section 9: the report's table (its rules live in
    # Sources/Report/ReportFindings.swift, one place for the report and this page).
    out.append("\n| METHOD.md section 9 | measured (the report's table) | verdict |")
    out.append("|---|---|---|")
    for r in verdicts:
        out.append(f"| {r['finding']} | {r['measured']} | **{r['verdict']}** |")
    out.append("\nRules (fixed in the report, `Sources/Report/ReportFindings.swift`, not tuned to this run; a model is "
               "quirky when its coefficient exceeds 0.1; difference: a model's AUROC minus its truthful twin's):\n")
    for r in verdicts:
        out.append(f"- {r['finding']}: {r['rule']}.")
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
