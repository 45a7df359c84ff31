#!/usr/bin/env bash
# Creates (once) the virtual environment of the PyTorch worker (python/madpipe_torch) from its
# pinned requirements and prints its interpreter, for MADPIPE_PYTHON. Idempotent: the venv is
# named by the requirements file's digest and kept outside the clone
# (${MADPIPE_TORCH_VENVS:-$HOME/.cache/madpipe}/torch-<digest>), so a second run, or a fresh clone
# on the same machine, reuses it in a second. Torch is the CPU build unless MADPIPE_TORCH_CUDA=1
# (the CUDA wheels are about 5.6 GB). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
req=python/madpipe_torch/requirements.txt
digest="$(cat "$req" <(echo "cuda=${MADPIPE_TORCH_CUDA:-0}") | sha256sum | cut -c1-16)"
venv="${MADPIPE_TORCH_VENVS:-$HOME/.cache/madpipe}/torch-$digest"
check='import torch, transformers, peft, safetensors'
if [ -f "$venv/.complete" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi
echo "venv.sh: creating $venv from $req" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
torch_pin="$(grep -E '^torch==' "$req")"
if [ "${MADPIPE_TORCH_CUDA:-0}" = "1" ]; then cpu=(); else cpu=("${torch_pin}+cpu"); fi
"$venv/bin/pip" install --disable-pip-version-check -q "${cpu[@]}" -r "$req" >&2
"$venv/bin/python" -c "$check"
touch "$venv/.complete"
echo "$venv/bin/python"
