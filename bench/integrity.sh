#!/usr/bin/env bash
# integrity.sh: what the store's integrity and containment guarantees (issue 19) cost, measured
# side by side: two madpipe binaries (BEFORE and AFTER), and Snakemake where bench/.venv has it, on
#   1. the 200-stage chains (20 x 10 `cat` command stages): first run and no-op re-run;
#   2. 10,000 built-in `write` stages: no-op re-run;
#   3. SIGKILL and resume: 4 chains of 10 stages of 0.2 s, madpipe killed with SIGKILL after 12 records,
#      then the resume run: its wall time and how many stages it executed (must be the rest);
#   4. two concurrent runners on one cache: wall time of both, and each stage run once.
#
#   BEFORE=/path/to/old/madpipe AFTER=.build/release/madpipe bash bench/integrity.sh
#
# Raw hyperfine exports go to bench/out/integrity/ (git-ignored); the tables are printed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/out/integrity
RUNS=${BENCH_FAST_RUNS:-10}
: "${BEFORE:?set BEFORE to the madpipe binary to compare against}"
AFTER=${AFTER:-$(dirname "$HERE")/.build/release/madpipe}
BEFORE=$(realpath "$BEFORE"); AFTER=$(realpath "$AFTER")
command -v hyperfine >/dev/null || { echo "integrity.sh: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
[[ -x "$HERE/.venv/bin/snakemake" ]] && export PATH=$HERE/.venv/bin:$PATH
rm -rf "$OUT"; mkdir -p "$OUT"
say() { printf '\n== %s\n' "$*" >&2; }
hf() { local name=$1; shift; hyperfine --style basic --export-json "$OUT/$name.json" "$@" >&2; }

say "1. chains: first run and no-op, before / after$(command -v snakemake >/dev/null && echo ' / snakemake')"
python3 "$HERE/gen_chains.py" "$OUT/w" --chains 20 --length 10
for v in before after; do mkdir -p "$OUT/$v"; cp "$OUT/w/madpipe/chains.yaml" "$OUT/$v/"; done
hf chains_first --runs 5 --prepare "rm -rf $OUT/before/cache $OUT/after/cache" \
    -n before "cd $OUT/before && $BEFORE run chains.yaml --jobs 2 --quiet --cache cache" \
    -n after "cd $OUT/after && $AFTER run chains.yaml --jobs 2 --quiet --cache cache"
sync; sleep 2
peer=()
if command -v snakemake >/dev/null; then
    (cd "$OUT/w/snakemake" && snakemake --cores 2 --quiet all >/dev/null 2>&1)
    peer=(-n snakemake "cd $OUT/w/snakemake && snakemake --cores 2 --quiet all")
fi
hf chains_noop --warmup 1 --runs "$RUNS" \
    -n before "cd $OUT/before && $BEFORE run chains.yaml --jobs 2 --quiet --cache cache" \
    -n after "cd $OUT/after && $AFTER run chains.yaml --jobs 2 --quiet --cache cache" "${peer[@]}"

say "2. 10,000 write stages: no-op"
for v in before after; do
    python3 "$HERE/sweep.py" gen "$OUT/sweep-$v" 10000 >/dev/null
    bin=$BEFORE; [[ $v == after ]] && bin=$AFTER
    (cd "$OUT/sweep-$v" && "$bin" run sweep.yaml --jobs 2 --quiet --cache cache)
done
sync; sleep 2
hf sweep_noop --warmup 1 --runs 5 \
    -n before "cd $OUT/sweep-before && $BEFORE run sweep.yaml --quiet --cache cache" \
    -n after "cd $OUT/sweep-after && $AFTER run sweep.yaml --quiet --cache cache"

# A chains pipeline whose stages each sleep 0.2 s and log their id to runs.txt.
slow_chains() {
    local dir=$1
    mkdir -p "$dir"
    {
        echo "pipeline: slow"
        echo "matrix: {chain: [0, 1, 2, 3]}"
        echo "stages:"
        for i in $(seq 0 9); do
            echo "  s$i:"
            echo "    kind: command"
            echo "    over: [chain]"
            [[ $i -gt 0 ]] && echo "    inputs: {prev: s$((i - 1))}"
            echo "    run: \"sleep 0.2 && echo s$i-\${chain} > out.txt && echo s$i-\${chain} >> $dir/runs.txt\""
            echo "    outs: [out.txt]"
        done
    } > "$dir/p.yaml"
}

say "3. SIGKILL after 12 of 40 records, then resume"
printf '| binary | records at kill | resume wall (s) | executed on resume | commands run in all (40 = none twice) |\n|---|---|---|---|---|\n' > "$OUT/kill.md"
for v in before after; do
    bin=$BEFORE; [[ $v == after ]] && bin=$AFTER
    d=$OUT/kill-$v; rm -rf "$d"; slow_chains "$d"
    (cd "$d" && exec "$bin" run p.yaml --jobs 4 --quiet --cache cache) & pid=$!
    while [[ $(ls "$d/cache/stages" 2>/dev/null | wc -l) -lt 12 ]]; do sleep 0.02; done
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    at_kill=$(ls "$d/cache/stages" | wc -l)
    t0=$(date +%s.%N)
    executed=$(cd "$d" && "$bin" run p.yaml --jobs 4 --json --quiet --cache cache | python3 -c 'import json,sys; print(json.load(sys.stdin)["executed"])')
    t1=$(date +%s.%N)
    sleep 1
    printf '| %s | %s | %.2f | %s | %s |\n' "$v" "$at_kill" "$(python3 -c "print($t1 - $t0)")" "$executed" "$(wc -l < "$d/runs.txt")" >> "$OUT/kill.md"
done

say "4. two concurrent runners"
printf '| binary | wall of both (s) | commands run (40 = each once) |\n|---|---|---|\n' > "$OUT/concurrent.md"
for v in before after; do
    bin=$BEFORE; [[ $v == after ]] && bin=$AFTER
    d=$OUT/conc-$v; rm -rf "$d"; slow_chains "$d"
    t0=$(date +%s.%N)
    (cd "$d" && "$bin" run p.yaml --jobs 2 --quiet --cache cache) & a=$!
    (cd "$d" && "$bin" run p.yaml --jobs 2 --quiet --cache cache) & b=$!
    wait "$a" "$b"
    t1=$(date +%s.%N)
    printf '| %s | %.2f | %s |\n' "$v" "$(python3 -c "print($t1 - $t0)")" "$(wc -l < "$d/runs.txt")" >> "$OUT/concurrent.md"
done

say "results"
python3 - "$OUT" <<'EOF'
import json, sys, os
out = sys.argv[1]
for name, title in [("chains_first", "200-stage chains, first run"), ("chains_noop", "200-stage chains, no-op"),
                    ("sweep_noop", "10,000 write stages, no-op")]:
    rs = json.load(open(os.path.join(out, name + ".json")))["results"]
    print(f"\n{title}\n\n| command | mean (ms) | sd (ms) | min (ms) |\n|---|---|---|---|")
    for r in rs:
        print(f"| {r['command']} | {r['mean']*1000:.1f} | {r['stddev']*1000:.1f} | {r['min']*1000:.1f} |")
EOF
printf '\nSIGKILL and resume (4 chains x 10 stages of 0.2 s, --jobs 4)\n\n'; cat "$OUT/kill.md"
printf '\nTwo concurrent runners (--jobs 2 each)\n\n'; cat "$OUT/concurrent.md"
