// BLASCore: which OpenBLAS kernel set runs sgemm. OpenBLAS (0.3.21 here) picks its kernels when
// the library loads, from the CPU model; it does not know AMD Zen 4, so on this AVX-512 machine
// it falls back to its AVX2 (Zen/Haswell) kernels at half the single-thread sgemm peak (~120 vs
// ~250 GFLOP/s), which made a fine-tuning step 1.5x slower (docs/benchmarks.md, "Training step at
// the recipe shape"). The choice can only be made before the library loads, through
// OPENBLAS_CORETYPE, so a program that wants the wide kernels re-executes itself with it set.
// Another kernel set computes sums in another order: training results differ from the AVX2 ones.

import CBLAS
import Foundation

/// The OpenBLAS kernel set, and the switch to the AVX-512 one where the CPU has it.
public enum BLASCore {
    /// The kernel set OpenBLAS chose, e.g. "Zen", "Haswell", "SkylakeX".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// Kernel sets built for AVX2 only.
    static let narrowCores: Set<String> = ["Haswell", "Zen"]
    /// CPU flags OpenBLAS's SkylakeX kernels use.
    static let wideFlags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// The OPENBLAS_CORETYPE to run under instead of the loaded kernel set `core`, or nil to keep
    /// it: "SkylakeX" when OpenBLAS chose an AVX2 set on a CPU with every AVX-512 flag those
    /// kernels use (`cpuFlags`, as /proc/cpuinfo lists them) and the environment does not
    /// already choose a core type.
    public static func widerCoreType(core: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, narrowCores.contains(core), wideFlags.isSubset(of: cpuFlags) else { return nil }
        return "SkylakeX"
    }

    /// The flags of the first processor in /proc/cpuinfo (empty where there is none).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// Re-executes this program with OPENBLAS_CORETYPE set when `widerCoreType` names a faster
    /// kernel set (Linux only); returns when there is none or the re-execution fails. Call
    /// first thing in `main`, before threads or output.
    public static func relaunchWithWiderKernels() {
        #if os(Linux)
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let core = widerCoreType(core: name, cpuFlags: cpuFlags(cpuinfo: cpuinfo),
                                       environment: ProcessInfo.processInfo.environment) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let args = CommandLine.unsafeArgv
        execv("/proc/self/exe", args)
        unsetenv("OPENBLAS_CORETYPE")   // execv returned: it failed; carry on with the loaded kernels
        #endif
    }
}
