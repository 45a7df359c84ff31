// SlurmGPUTests: `resources: {gpus: N}` on the one-node test cluster, whose node offers two
// stand-in GPUs (gres gpu:2, scripts/slurm/start.sh): the jobs ask Slurm for the GPUs (the batch
// script Slurm stored has `#SBATCH --gres=gpu:N`, the job's TresPerNode is `gres:gpu:N`), Slurm
// hands them to the stage's command (SLURM_JOB_GPUS, SLURM_GPUS_ON_NODE, CUDA_VISIBLE_DEVICES),
// a stage without `gpus` gets none, and a stage asking for more GPUs than the node has fails at
// submission with an error naming the stage. Skipped, with the reason, when the cluster cannot start.

import Foundation
import XCTest

final class SlurmGPUTests: XCTestCase {
    override func setUpWithError() throws { try TestCluster.require() }

    /// A command stage that writes the GPUs Slurm gave its job to gpus.txt. The id is part of
    /// the command, so stages differing only in `resources` (not part of the key) stay distinct.
    func stage(_ id: String, gpus: Int?) -> String {
        var y = "  \(id):\n    kind: command\n"
        if let n = gpus { y += "    resources: {gpus: \(n)}\n" }
        y += "    run: 'echo \"\(id) jobgpus=$SLURM_JOB_GPUS onnode=$SLURM_GPUS_ON_NODE cuda=$CUDA_VISIBLE_DEVICES\" > gpus.txt'\n"
        y += "    outs: [gpus.txt]\n"
        return y
    }

    /// `scontrol ARGS` (stdout); about a job, empty once Slurm has forgotten it (MinJobAge: 300 s).
    func scontrol(_ args: [String]) -> String { TestCluster.command(["scontrol"] + args) }

    func testGPUStagesAskSlurmForTheirGPUs() throws {
        let name = "gpu-\(UUID().uuidString.prefix(6).lowercased())"
        let s = try Sandbox("slurm-gpu")
        try s.write("p.yaml", "pipeline: \(name)\nstages:\n" + stage("one", gpus: 1) + stage("two", gpus: 2)
            + stage("none", gpus: nil)
            + "outputs:\n  one.txt: one/gpus.txt\n  two.txt: two/gpus.txt\n  none.txt: none/gpus.txt\n")
        let (r, c) = try s.runJSON(["p.yaml", "--executor", "slurm"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(c["executed"], 3)

        // What the stage's command saw: Slurm bound that many (stand-in) GPUs to the job.
        let one = s.read("results/\(name)/one.txt") ?? ""
        XCTAssertTrue(["one jobgpus=0 onnode=1 cuda=0\n", "one jobgpus=1 onnode=1 cuda=1\n"].contains(one), one)
        XCTAssertEqual(s.read("results/\(name)/two.txt"), "two jobgpus=0,1 onnode=2 cuda=0,1\n")
        XCTAssertEqual(s.read("results/\(name)/none.txt"), "none jobgpus= onnode= cuda=\n")

        // What Slurm recorded for each job: the script madpipe submitted and the GPUs requested.
        let jobs = TestCluster.waitForCompletions("madpipe:\(name):", count: 3)
        XCTAssertEqual(jobs.map(\.state), ["COMPLETED", "COMPLETED", "COMPLETED"])
        for (stageId, gpus) in [("one", 1), ("two", 2), ("none", 0)] {
            guard let job = jobs.first(where: { $0.name == "madpipe:\(name):\(stageId)" }) else {
                XCTFail("no Slurm job for \(stageId): \(jobs)")
                continue
            }
            let script = scontrol(["write", "batch_script", job.id, "-"])
            XCTAssertTrue(script.contains("exec-stage"), "Slurm still holds job \(job.id)'s script: \(script)")
            let show = scontrol(["show", "job", job.id])
            if gpus > 0 {
                XCTAssertTrue(script.hasPrefix("#!/bin/sh\n#SBATCH --gres=gpu:\(gpus)\n"), script)
                XCTAssertTrue(show.contains("TresPerNode=gres:gpu:\(gpus)\n"), show)
            } else {
                XCTAssertFalse(script.contains("--gres"), script)
                XCTAssertFalse(show.contains("gres:gpu"), show)
            }
        }
    }

    func testMoreGPUsThanTheNodeHasFailsAtSubmissionNamingTheStage() throws {
        let name = "gpu-\(UUID().uuidString.prefix(6).lowercased())"
        let s = try Sandbox("slurm-gpu-greedy")
        try s.write("p.yaml", "pipeline: \(name)\nstages:\n" + stage("greedy", gpus: 3) + stage("modest", gpus: 1))
        let r = try s.run("run", "p.yaml", "--executor", "slurm", "--keep-going")
        XCTAssertEqual(r.code, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("sbatch failed for stage greedy"), r.stderr)
        XCTAssertTrue(r.stderr.contains("Requested node configuration is not available"), r.stderr)
        XCTAssertEqual(s.recordCount, 1, "the stage asking for one GPU ran: \(r.stderr)")
    }
}
