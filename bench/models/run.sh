#!/bin/sh
# Model speed benchmarks (docs/models.md, docs/benchmarks.md): Trainer steps at d_model 256,
# 4 layers, context 128, batch 8 against the measured sgemm peak; ActivationExtractor over 2,048
# quirky prompts; forward/backward times of one pass. Options of each: madpipe-bench <cmd> --help.
# The quality recipe (agreement and quirkiness of fine-tuned models) is a pipeline instead:
#   madpipe run bench/quality.yaml --jobs 2     (about 40 minutes per fine-tune on 2 cores)
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product madpipe-bench >/dev/null
bench=.build/release/madpipe-bench
$bench training "$@"
$bench extraction "$@"
$bench transformer "$@"
