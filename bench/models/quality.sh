#!/bin/sh
# The best recipe of docs/models.md (runs Z0, AY, S2): per family and task, a 4-layer d64 byte
# model pre-trained on that task's true 2-digit statements (aligned numbers, results-only loss),
# then fully fine-tuned on the quirky rows for up to 10,000 steps with the answer-row start:
# addition at 3e-4 with batch 32 (run Z0), subtraction at 1e-3 with batch 128 (run AY; each is the
# better recipe for its task), checkpoint chosen on validation loss, scored on the hard test
# split (held-out names). Four runs, two at a time with one BLAS thread each: about 50 minutes
# per family on 2 cores.
# Usage: bench/models/quality.sh [family ...]   (default: llama gpt2). Logs: bench/out/quality-*.log
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --build-tests >/dev/null
mkdir -p bench/out
run() { # family task pretrain-steps fine-tuning-rate fine-tuning-batch evaluate-every patience
    OPENBLAS_NUM_THREADS=1 MADPIPE_QUALITY=1 MADPIPE_QUALITY_FAMILIES=$1 MADPIPE_QUALITY_TASKS=$2 \
    MADPIPE_QUALITY_DIGITS=2 MADPIPE_QUALITY_ALIGN=5 MADPIPE_QUALITY_L=4 \
    MADPIPE_QUALITY_PRETRAIN_LOSS=results MADPIPE_QUALITY_PRETRAIN_STEPS=$3 MADPIPE_QUALITY_PRETRAIN_EVAL_EVERY=1000 \
    MADPIPE_QUALITY_FINETUNE_LR=$4 MADPIPE_QUALITY_FINETUNE_BATCH=$5 MADPIPE_QUALITY_FINETUNE_STEPS=10000 \
    MADPIPE_QUALITY_EVAL_EVERY=$6 MADPIPE_QUALITY_PATIENCE=$7 MADPIPE_QUALITY_HEAD_INIT=1 \
    .build/release/madpipePackageTests.xctest EndToEndTests.TrainingQualityBenchmark/testQuirkyQuality \
        > "bench/out/quality-$1-$2.log" 2>&1
}
for family in ${@:-llama gpt2}; do
    steps=3000; [ "$family" = gpt2 ] && steps=6000   # the GPT-2-style base learns the sums more slowly
    run "$family" addition "$steps" 3e-4 32 500 12 &
    run "$family" subtraction "$steps" 1e-3 128 250 24 &
    wait
done
grep -h -E '^(BASE|QUALITY)' bench/out/quality-*.log
