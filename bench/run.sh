#!/usr/bin/env bash
# run.sh: the madpipe engine benchmarks, side by side with Snakemake and DVC, in one command.
#
#   bash bench/run.sh
#
# 1. builds madpipe (release), makes bench/.venv with the pinned Snakemake and DVC
#    (bench/requirements.txt) and installs hyperfine with apt-get when it is missing;
# 2. the 200-stage workload (20 chains of 10 `cat` stages) for madpipe, Snakemake and DVC:
#    first run (fresh caches), no-op re-run and status, all with 2 jobs where the tool has jobs;
# 3. a 10,000-stage sweep of built-in `write` stages: first run, no-op re-run, overhead per stage
#    (one axis of 10,000 values; then the same count as a 100 x 100 two-axis matrix);
# 4. hashing throughput of `deps` on a large file against b3sum, sha256sum (and openssl);
# 5. prints the markdown tables and rewrites the generated part of docs/benchmarks.md.
#
# Raw results go to bench/out/ (git-ignored). Knobs (environment variables, defaults in brackets):
#   BENCH_JOBS [2]  BENCH_FIRST_RUNS [5]  BENCH_DVC_FIRST_RUNS [3]  BENCH_FAST_RUNS [10]
#   BENCH_SWEEP [10000]  BENCH_SWEEP_RUNS [3]  BENCH_HASH_MIB [2048]  BENCH_HASH_RUNS [5]
#   BENCH_CHAINS [20]  BENCH_LENGTH [10] (smaller only for a quick check of the harness)
#   MADPIPE (a prebuilt binary; skips the build)  BENCH_NO_DOC=1 (leave docs/benchmarks.md alone)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$HERE/out
JOBS=${BENCH_JOBS:-2}
FIRST_RUNS=${BENCH_FIRST_RUNS:-5}
DVC_FIRST_RUNS=${BENCH_DVC_FIRST_RUNS:-3}
FAST_RUNS=${BENCH_FAST_RUNS:-10}
SWEEP=${BENCH_SWEEP:-10000}
SWEEP_RUNS=${BENCH_SWEEP_RUNS:-3}
HASH_MIB=${BENCH_HASH_MIB:-2048}
HASH_RUNS=${BENCH_HASH_RUNS:-5}
CHAINS=${BENCH_CHAINS:-20}
LENGTH=${BENCH_LENGTH:-10}

say() { printf '\n== %s\n' "$*" >&2; }
# settle: first runs leave hundreds of MB of dirty pages (thousands of small files); flush them so
# their write-back does not land inside the fast timings that follow (it doubled the 10,000-stage
# no-op re-run in one recorded run).
settle() { sync; sleep 2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
if [[ -z "${MADPIPE:-}" ]]; then
    say "building madpipe (release)"
    (cd "$ROOT" && swift build -c release --product madpipe --static-swift-stdlib >&2)
    MADPIPE=$ROOT/.build/release/madpipe
fi
[[ -x "$MADPIPE" ]] || die "no madpipe binary at $MADPIPE"
MADPIPE=$(cd "$(dirname "$MADPIPE")" && pwd)/$(basename "$MADPIPE")

VENV=$HERE/.venv
# venv_ok: the venv exists and holds every pinned requirement.
venv_ok() {
    [[ -x "$VENV/bin/python" ]] || return 1
    local frozen req
    frozen=$("$VENV/bin/pip" freeze 2>/dev/null) || return 1
    while read -r req; do
        [[ -z "$req" || "$req" == \#* ]] && continue
        grep -qixF "$req" <<<"$frozen" || return 1
    done < "$HERE/requirements.txt"
}
if ! venv_ok; then
    say "creating $VENV: $(grep -v '^#' "$HERE/requirements.txt" | tr '\n' ' ')(all versions pinned by bench/constraints.txt)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >&2
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt" -c "$HERE/constraints.txt" >&2
fi
export PATH=$VENV/bin:$PATH
export DVC_NO_ANALYTICS=1

if ! command -v hyperfine >/dev/null; then
    say "installing hyperfine (apt-get)"
    [[ $(id -u) -eq 0 ]] || die "hyperfine is missing: install it with 'apt-get install hyperfine' (as root)"
    (apt-get update -qq && apt-get install -y -qq hyperfine) >&2
fi

if ! command -v b3sum >/dev/null; then
    say "installing b3sum (apt-get), the reference BLAKE3 the hashing benchmark checks against"
    [[ $(id -u) -eq 0 ]] || die "b3sum is missing: install it with 'apt-get install b3sum' (as root)"
    (apt-get update -qq && apt-get install -y -qq b3sum) >&2
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.json
cat /proc/loadavg > "$OUT/load_start.txt"
date -u +%Y-%m-%dT%H:%M:%SZ > "$OUT/started.txt"

# hf NAME ARGS...: hyperfine with the result exported to $OUT/NAME.json. Commands run with sh
# (hyperfine subtracts the shell's own start-up time).
hf() {
    local name=$1; shift
    hyperfine --style basic --export-json "$OUT/$name.json" "$@" >&2
}

# ---------------------------------------------------------------- 200-stage chains
W=$OUT/chains
say "chains: generating $CHAINS x $LENGTH stages for madpipe, snakemake, dvc in $W"
rm -rf "$W"
python3 "$HERE/gen_chains.py" "$W" --chains "$CHAINS" --length "$LENGTH"
cd "$W"

M="cd madpipe && $MADPIPE"
S="cd snakemake && snakemake --cores $JOBS --quiet all"

say "chains: first run (fresh caches), $FIRST_RUNS runs each ($DVC_FIRST_RUNS for DVC)"
hf chains_first_madpipe --runs "$FIRST_RUNS" --prepare "rm -rf madpipe/cache madpipe/results" \
    -n madpipe "$M run chains.yaml --jobs $JOBS --quiet --cache cache"
hf chains_first_snakemake --runs "$FIRST_RUNS" --prepare "rm -rf snakemake/chains snakemake/.snakemake" \
    -n snakemake "$S"
hf chains_first_dvc --runs "$DVC_FIRST_RUNS" --prepare "bash $HERE/dvc_fresh.sh dvc-template dvc" \
    -n dvc "cd dvc && dvc repro --quiet"

say "chains: checking every output file of the three tools"
python3 "$HERE/check_chains.py" "$W" "$MADPIPE" --chains "$CHAINS" --length "$LENGTH" | tee "$OUT/chains_check.txt" >&2

settle
say "chains: no-op re-run, $FAST_RUNS runs each"
hf chains_noop --warmup 1 --runs "$FAST_RUNS" \
    -n madpipe "$M run chains.yaml --jobs $JOBS --quiet --cache cache" \
    -n snakemake "$S" \
    -n dvc "cd dvc && dvc repro --quiet"
(cd madpipe && "$MADPIPE" run chains.yaml --jobs "$JOBS" --json --cache cache) > "$OUT/chains_noop_summary.json"
python3 - "$OUT/chains_noop_summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
if s["executed"] != 0 or s["cached"] != len(s["stages"]):
    sys.exit(f"madpipe no-op re-run executed {s['executed']} stage(s), cached {s['cached']} of {len(s['stages'])}")
print(f"madpipe no-op re-run: executed={s['executed']} cached={s['cached']}", file=sys.stderr)
EOF

say "chains: status, $FAST_RUNS runs each"
hf chains_status --warmup 1 --runs "$FAST_RUNS" \
    -n "madpipe status" "$M status chains.yaml --cache cache" \
    -n "madpipe run --dry-run" "$M run chains.yaml --dry-run --quiet --cache cache" \
    -n "snakemake -n" "cd snakemake && snakemake --cores $JOBS --dry-run --quiet all" \
    -n "snakemake --summary" "cd snakemake && snakemake --cores $JOBS --summary" \
    -n "dvc status" "cd dvc && dvc status --quiet"

# ---------------------------------------------------------------- 10k sweep
W=$OUT/sweep
say "sweep: $SWEEP write stages, first run x $SWEEP_RUNS (fresh cache each)"
rm -rf "$W"
python3 "$HERE/sweep.py" gen "$W" "$SWEEP"
python3 "$HERE/sweep.py" first "$W" "$MADPIPE" "$JOBS" "$SWEEP_RUNS" "$OUT/sweep_first.json" >&2
cd "$W"
settle
say "sweep: no-op re-run and status, $FAST_RUNS runs each"
hf sweep_noop --warmup 1 --runs "$FAST_RUNS" \
    -n "madpipe run (no-op)" "$MADPIPE run sweep.yaml --jobs $JOBS --quiet --cache cache" \
    -n "madpipe status" "$MADPIPE status sweep.yaml --cache cache" \
    -n "madpipe validate (parse+plan only)" "$MADPIPE validate sweep.yaml"
"$MADPIPE" run sweep.yaml --jobs "$JOBS" --json --cache cache > "$OUT/sweep_noop_summary.json"
python3 - "$OUT/sweep_noop_summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
if s["executed"] != 0 or s["cached"] != len(s["stages"]):
    sys.exit(f"madpipe sweep no-op re-run executed {s['executed']} stage(s), cached {s['cached']} of {len(s['stages'])}")
print(f"madpipe sweep no-op re-run: executed={s['executed']} cached={s['cached']}", file=sys.stderr)
EOF

W=$OUT/sweep2d
say "sweep: the same size as a two-axis matrix (about sqrt($SWEEP) x sqrt($SWEEP)): one first run, then no-op"
rm -rf "$W"
python3 "$HERE/sweep.py" gen "$W" "$SWEEP" 2
python3 "$HERE/sweep.py" first "$W" "$MADPIPE" "$JOBS" 1 "$OUT/sweep2d_first.json" >&2
cd "$W"
settle
hf sweep2d_noop --warmup 1 --runs "$FAST_RUNS" \
    -n "madpipe run (no-op)" "$MADPIPE run sweep.yaml --jobs $JOBS --quiet --cache cache" \
    -n "madpipe status" "$MADPIPE status sweep.yaml --cache cache" \
    -n "madpipe validate (parse+plan only)" "$MADPIPE validate sweep.yaml"

# ---------------------------------------------------------------- hashing
W=$OUT/hash
mkdir -p "$W"
cd "$W"
BYTES=$((HASH_MIB * 1024 * 1024))
if [[ ! -f big.bin || $(stat -c %s big.bin) -ne $BYTES ]]; then
    say "hash: writing $HASH_MIB MiB from /dev/urandom to $W/big.bin (once)"
    head -c "$BYTES" /dev/urandom > big.bin
fi
printf 'pipeline: hash\nstages:\n  h:\n    kind: command\n    deps: {big: big.bin}\n    run: "true"\n' > hash.yaml
printf 'pipeline: nodeps\nstages:\n  h:\n    kind: command\n    run: "true"\n' > nodeps.yaml
say "hash: warming the page cache (cat big.bin > /dev/null; the page cache cannot be dropped without privileges)"
cat big.bin > /dev/null
# The digest madpipe records for the dep (its stat cache) must be the file's BLAKE3 (b3sum's).
rm -rf check-cache
"$MADPIPE" run hash.yaml --quiet --cache check-cache
python3 - "$W" <<'EOF' >&2
import json, subprocess, sys, os
d = sys.argv[1]
cache = json.load(open(os.path.join(d, "check-cache", "statcache-v2.json")))
mine = [v[3] for k, v in cache.items() if k.endswith("/big.bin")]
ref = subprocess.run(["b3sum", os.path.join(d, "big.bin")], capture_output=True, text=True, check=True).stdout.split()[0]
if mine != [ref]:
    sys.exit(f"hash: madpipe's digest {mine} differs from b3sum's {ref}")
print(f"hash: madpipe's digest of big.bin equals b3sum's ({ref[:16]}...)")
EOF
say "hash: $HASH_RUNS runs each; madpipe status with a fresh --cache each time (cold stat cache)"
HASH_CMDS=(-n "madpipe status (cold stat cache)" --prepare "rm -rf hcache" "$MADPIPE status hash.yaml --cache hcache"
           -n "madpipe status (no deps, start-up)" --prepare "rm -rf hcache" "$MADPIPE status nodeps.yaml --cache hcache"
           -n "madpipe status (warm stat cache)" --prepare "true" "$MADPIPE status hash.yaml --cache check-cache"
           -n "b3sum (all cores)" --prepare "true" "b3sum big.bin"
           -n "b3sum --num-threads 1" --prepare "true" "b3sum --num-threads 1 big.bin"
           -n "sha256sum" --prepare "true" "sha256sum big.bin")
if command -v openssl >/dev/null; then
    HASH_CMDS+=(-n "openssl dgst -sha256" --prepare "true" "openssl dgst -sha256 big.bin")
fi
hf hash --warmup 1 --runs "$HASH_RUNS" "${HASH_CMDS[@]}"
echo "$BYTES" > "$OUT/hash_bytes.txt"

# ---------------------------------------------------------------- report
cat /proc/loadavg > "$OUT/load_end.txt"
cd "$ROOT"
DOC_ARGS=()
[[ "${BENCH_NO_DOC:-}" == 1 ]] || DOC_ARGS=(--doc "$ROOT/docs/benchmarks.md")
python3 "$HERE/report.py" "$OUT" --madpipe "$MADPIPE" --jobs "$JOBS" "${DOC_ARGS[@]}"
