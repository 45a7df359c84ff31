// BLASCoreTests: when madpipe re-executes itself for OpenBLAS's AVX-512 kernels, and how the
// CPU flags are read from /proc/cpuinfo.

import XCTest
@testable import Numerics

final class BLASCoreTests: XCTestCase {
    let avx512 = Set("fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16".split(separator: " ").map(String.init))

    func testAVX2KernelsOnAnAVX512CPUSwitchToSkylakeX() {
        XCTAssertEqual(BLASCore.widerCoreType(core: "Zen", cpuFlags: avx512, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLASCore.widerCoreType(core: "Haswell", cpuFlags: avx512, environment: ["PATH": "/bin"]), "SkylakeX")
    }

    func testKeepsTheKernelsWhenChosenOrNotFaster() {
        XCTAssertNil(BLASCore.widerCoreType(core: "Zen", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Zen"]),
                     "an explicit OPENBLAS_CORETYPE wins (and stops a second re-execution)")
        XCTAssertNil(BLASCore.widerCoreType(core: "SkylakeX", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASCore.widerCoreType(core: "Zen", cpuFlags: avx512.subtracting(["avx512bw"]), environment: [:]),
                     "the SkylakeX kernels need AVX512BW")
        XCTAssertNil(BLASCore.widerCoreType(core: "Zen", cpuFlags: ["avx2", "fma"], environment: [:]))
    }

    func testReadsTheFlagsLineOfCpuinfo() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f\nbugs\t\t: sysret_ss_attrs\n"
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: cpuinfo), ["fpu", "avx2", "avx512f"])
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: "processor\t: 0\n"), [])
    }

    func testNamesTheLoadedKernelSet() {
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
