// SupervisorTests: starting a command under the supervisor runs none of the process's atfork
// handlers. glibc's fork runs them; OpenBLAS's (which shuts its thread pool down) then waited
// forever inside the supervisor on a mutex copied locked from madpipe, a hang seen in CI.

import Foundation
import XCTest
import PipelineStore
#if canImport(Glibc)
import Glibc
#endif

/// The file an atfork prepare handler appends a byte to, while a test watches; nil otherwise.
nonisolated(unsafe) private var atforkMarker: UnsafeMutablePointer<CChar>?

final class SupervisorTests: XCTestCase {
    func testStartingACommandRunsNoAtforkHandler() throws {
        let dir = NSTemporaryDirectory() + "madpipe-supervisor-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let marker = dir + "/prepare-handlers-run"
        XCTAssertTrue(FileManager.default.createFile(atPath: marker, contents: nil))
        // The handler stays registered for the process (there is no unregistering); it does
        // nothing once the marker is cleared. open and write are async-signal-safe, so it may run
        // in the supervisor too.
        atforkMarker = strdup(marker)
        defer { let p = atforkMarker; atforkMarker = nil; free(p) }
        XCTAssertEqual(pthread_atfork({
            guard let path = atforkMarker else { return }
            let fd = open(path, O_WRONLY | O_APPEND)
            if fd >= 0 { _ = write(fd, "x", 1); close(fd) }
        }, nil, nil), 0)

        let pid = try Supervisor.spawn(["/bin/sh", "-c", "echo ran > out.txt"], directory: dir,
                                       environment: ["PATH": "/usr/bin:/bin"], logPath: dir + "/log.txt")
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertEqual(status, 0, "the supervisor exits as its command did")
        XCTAssertEqual(try String(contentsOfFile: dir + "/out.txt", encoding: .utf8), "ran\n")
        let runs = try Data(contentsOf: URL(fileURLWithPath: marker)).count
        XCTAssertEqual(runs, 0, "atfork prepare handlers ran \(runs) time(s) while starting the command")
    }
}
