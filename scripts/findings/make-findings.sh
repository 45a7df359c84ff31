#!/usr/bin/env bash
# Regenerates docs/findings/ (tables, twins.csv included, and report figures) and the generated
# parts of docs/findings.md (provenance block, every quoted number, the quirky models beside their
# truthful twins, and METHOD.md section 9's findings judged on the quirky-minus-twin differences;
# see findings.py's docstring) from a bundle of the full run of pipelines/quirky-mad.yaml. Refuses a
# bundle of another pipeline, one made with -p overrides or --only, and missing, duplicate or
# degenerate rows, writing nothing then. Needs python3 (standard library), GNU tar and zstd;
# verifies the bundle first when a madpipe binary is found ($MADPIPE, else
# .build/release/madpipe, else PATH).
#
#   scripts/findings/make-findings.sh quirky-mad.tar.zst [DOCS_DIR]    # DOCS_DIR default: docs
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUNDLE.tar.zst [DOCS_DIR]" >&2
    exit 2
fi
bundle=$1
here=$(cd "$(dirname "$0")" && pwd)
docs=${2:-$here/../../docs}
[ -f "$bundle" ] || { echo "make-findings: error: no bundle at $bundle" >&2; exit 1; }

madpipe=${MADPIPE:-}
if [ -z "$madpipe" ] && [ -x "$here/../../.build/release/madpipe" ]; then madpipe=$here/../../.build/release/madpipe; fi
if [ -z "$madpipe" ] && command -v madpipe >/dev/null; then madpipe=madpipe; fi
if [ -n "$madpipe" ]; then
    "$madpipe" bundle verify "$bundle" >&2 || { echo "make-findings: error: $bundle does not verify" >&2; exit 1; }
else
    echo "make-findings: note: no madpipe binary found (set MADPIPE); the bundle is not verified" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only the manifest and the published results; the objects are not needed here.
if ! tar --zstd -xf "$bundle" -C "$tmp" --wildcards 'MANIFEST.json' 'results/*' 2>"$tmp/tar.err"; then
    echo "make-findings: error: cannot unpack MANIFEST.json and results/ from $bundle: $(head -3 "$tmp/tar.err")" >&2
    exit 1
fi
python3 "$here/findings.py" "$tmp" "$bundle" "$docs"
