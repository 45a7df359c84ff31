#!/usr/bin/env bash
# Installs the Debian packages madpipe builds and tests with, only those that are missing.
# Needs root (or sudo). The Swift toolchain (6.x) itself must already be on PATH.
set -euo pipefail
# With --test, also what only the test suite needs: chromium renders the HTML report headlessly;
# numpy runs the example pipelines' stand-in extraction script; b3sum (the reference BLAKE3)
# checks the digest that `madpipe bundle export` prints; python3-venv holds the PyTorch worker's venv
# (scripts/hf/venv.sh).
pkgs=(libyaml-dev libarchive-dev zstd libopenblas-dev liblapacke-dev pkg-config tzdata)
[ "${1:-}" = "--test" ] && pkgs+=(chromium python3-numpy b3sum python3-venv)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift is not on PATH; install the Swift 6 toolchain first" >&2; exit 1; }
