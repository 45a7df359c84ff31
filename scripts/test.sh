#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the whole test suite in release mode (numeric code is
# about 300x slower in debug builds). `swift test` builds with testable imports enabled, so it
# builds once and runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
# The Slurm executor's tests run against a one-node test cluster (docs/slurm-cluster.md); where it
# cannot start (not root, no packages) they skip with the reason.
if slurm_env="$(bash scripts/slurm/start.sh 2>/tmp/madpipe-test-slurm-start.log)"; then
    eval "$slurm_env"
    trap 'bash scripts/slurm/stop.sh >/dev/null 2>&1 || true' EXIT
else
    echo "test.sh: the Slurm test cluster did not start (see /tmp/madpipe-test-slurm-start.log); its tests will skip" >&2
fi
# The PyTorch worker's venv (pinned requirements, CPU torch; reused across runs, scripts/hf/venv.sh):
# the real-model tests (RealModelEndToEndTests) run the hf-* stages with it; without it they skip.
if MADPIPE_PYTHON="$(bash scripts/hf/venv.sh)"; then
    export MADPIPE_PYTHON
else
    echo "test.sh: the worker's venv could not be created; the real-model tests will skip" >&2
fi
# The findings page's generator (scripts/findings/make-findings.sh) and the cold-run estimate
# (bench/cold-run-estimate.py) are Python: their tests need no build.
python3 -m unittest discover -s scripts/findings
python3 -m unittest bench/test_cold_run_estimate.py
swift test -c release "$@"
