// madpipe-bench: madpipe's benchmarks as one release-built tool with typed options (no
// environment knobs): model training and extraction throughput against the sgemm peak, the
// transformer's forward/backward speed, and the detector benchmarks bench/detectors/run.sh runs
// beside numpy and scikit-learn. Each prints `BENCH name=...` lines. Build and run:
//   swift build -c release --product madpipe-bench && .build/release/madpipe-bench --help
// Accuracy benchmarks are pipelines instead (bench/quality.yaml).

import ArgumentParser

struct MadpipeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "madpipe-bench",
        abstract: "madpipe's speed benchmarks (run a release build).",
        subcommands: [TrainingBench.self, ExtractionBench.self, TransformerBench.self,
                      MahalanobisBench.self, AUROCBench.self, SAEStepBench.self, StreamCovarianceBench.self])
}

MadpipeBench.main()
