#!/usr/bin/env bash
# bench/detectors/run.sh: issue 3's detector benchmarks, madpipe and numpy/scikit-learn side by
# side in one run: Mahalanobis fit + score, AUROC on many scores, SAE training-step throughput
# against the sgemm peak, and the peak memory of streaming covariance over a > 4 GiB file.
#
#   bench/detectors/run.sh                  full sizes (about 10 minutes on the loaded 2-core VM)
#   DETBENCH_QUICK=1 bench/detectors/run.sh small sizes, to check the harness (about a minute)
#
# Knobs (environment): DETBENCH_MAHA_N / _MAHA_D / _MAHA_TEST (4000 / 4096 / 8000),
# DETBENCH_AUROC_N (1000000), DETBENCH_SAE_D / _SAE_EXPANSION / _SAE_K / _SAE_BATCH / _SAE_STEPS
# (1024 / 8 / 32 / 256 / 10), DETBENCH_STREAM_GIB / _STREAM_D (4.25 / 4096), DETBENCH_ROUNDS (2:
# numpy and madpipe alternate, best round kept), DETBENCH_REPEATS (1, timed runs within a round),
# DETBENCH_DIR (scratch, default /tmp/madpipe-detbench-PID, deleted afterwards unless
# DETBENCH_KEEP=1), DETBENCH_OUT (logs and the table, default bench/out/detectors),
# DETBENCH_SKIP_BUILD=1 (reuse the release build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

if [ "${DETBENCH_QUICK:-0}" = 1 ]; then
    : "${DETBENCH_MAHA_N:=400}" "${DETBENCH_MAHA_D:=512}" "${DETBENCH_MAHA_TEST:=800}" "${DETBENCH_AUROC_N:=100000}"
    : "${DETBENCH_SAE_D:=256}" "${DETBENCH_SAE_STEPS:=4}" "${DETBENCH_STREAM_GIB:=0.25}" "${DETBENCH_STREAM_D:=256}" "${DETBENCH_ROUNDS:=1}"
fi
MAHA_N=${DETBENCH_MAHA_N:-4000}; MAHA_D=${DETBENCH_MAHA_D:-4096}; MAHA_TEST=${DETBENCH_MAHA_TEST:-8000}
AUROC_N=${DETBENCH_AUROC_N:-1000000}
SAE_D=${DETBENCH_SAE_D:-1024}; SAE_EXPANSION=${DETBENCH_SAE_EXPANSION:-8}; SAE_K=${DETBENCH_SAE_K:-32}
SAE_BATCH=${DETBENCH_SAE_BATCH:-256}; SAE_STEPS=${DETBENCH_SAE_STEPS:-10}
STREAM_GIB=${DETBENCH_STREAM_GIB:-4.25}; STREAM_D=${DETBENCH_STREAM_D:-4096}
REPEATS=${DETBENCH_REPEATS:-1}; ROUNDS=${DETBENCH_ROUNDS:-2}
dir=${DETBENCH_DIR:-/tmp/madpipe-detbench-$$}
out=${DETBENCH_OUT:-$root/bench/out/detectors}
mkdir -p "$dir" "$out"
cleanup() { if [ "${DETBENCH_KEEP:-0}" != 1 ]; then rm -rf "$dir"; fi; }
trap cleanup EXIT

# Python: bench/.venv when it has numpy and scikit-learn, else bench/detectors/.venv (created here).
py=""
for candidate in "$root/bench/.venv/bin/python" "$here/.venv/bin/python"; do
    if [ -x "$candidate" ] && "$candidate" -c "import numpy, scipy, sklearn" 2>/dev/null; then py=$candidate; break; fi
done
if [ -z "$py" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet numpy scipy scikit-learn
    py="$here/.venv/bin/python"
fi

log="$out/bench.log"
: > "$log"
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    echo "# $("$py" -c 'import numpy, sklearn; print("numpy", numpy.__version__, "scikit-learn", sklearn.__version__)')"
} | tee -a "$log"

echo "== inputs (numpy) in $dir"
"$py" "$here/make_inputs.py" --dir "$dir" --maha-n "$MAHA_N" --maha-d "$MAHA_D" --maha-test "$MAHA_TEST" --auroc-n "$AUROC_N"

bench="$root/.build/release/madpipe-bench"
if [ "${DETBENCH_SKIP_BUILD:-0}" != 1 ]; then
    echo "== swift build -c release --product madpipe-bench"
    swift build -c release --product madpipe-bench 2>&1 | tail -3
fi

# The machine is shared: numpy and madpipe take turns, ROUNDS times, and report.py keeps each
# tool's best round, so a burst of load from elsewhere does not land on one side only.
for round in $(seq "$ROUNDS"); do
    echo "== round $round: numpy / scikit-learn"
    "$py" "$here/bench_numpy.py" --dir "$dir" --repeats "$REPEATS" 2>&1 | tee -a "$log"
    echo "== round $round: madpipe (madpipe-bench)"
    { "$bench" mahalanobis --dir "$dir" --repeats "$REPEATS"
      "$bench" auroc --dir "$dir"
      "$bench" sae-step --d "$SAE_D" --expansion "$SAE_EXPANSION" --k "$SAE_K" --batch "$SAE_BATCH" --steps "$SAE_STEPS"
    } 2>&1 | tee -a "$log"
done
rm -f "$dir"/maha_*.npy "$dir"/auroc_*.npy

echo "== streaming covariance: ${STREAM_GIB} GiB file (generated in chunks under $dir)"
stream="$dir/stream/trusted/activations.safetensors"
"$py" "$here/make_stream.py" --out "$stream" --gib "$STREAM_GIB" --d "$STREAM_D" | tee -a "$log"
cp "$stream.check.json" "$out/stream.check.json"
# A process of its own, so the peak RSS is the streaming's alone.
/usr/bin/time -v -o "$out/stream-time.txt" "$bench" stream-covariance --file "$stream" 2>&1 | grep -E "BENCH|rror" | tee -a "$log"
rm -f "$stream"

echo "== report"
"$py" "$here/report.py" --log "$log" --dir "$dir" --check "$out/stream.check.json" --time-v "$out/stream-time.txt" | tee "$out/table.md"
