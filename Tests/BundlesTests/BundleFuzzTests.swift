// BundleFuzzTests: mutated bundles (random byte flips, truncations, appended garbage) and archives
// rebuilt with libarchive with random hostile entries (names, types, drops, repeats, order, sizes)
// fed to verify and import. Each must either succeed with verified content (the store then passes
// `verify` and holds complete records) or fail with a BundleError, leaving the store exactly as it
// was. Seeded, so failures reproduce.

import Base
import Foundation
import PipelineCore
import PipelineStore
@testable import Bundles
import XCTest

final class BundleFuzzTests: XCTestCase {
    func testMutatedBundlesSucceedVerifiedOrFailCleanly() throws {
        let f = try BundleFixture("fuzz")
        let original = Array(FileSystem.read(try f.bundle())!)
        var rng = SplitMix64(seed: 0x6D61_6470_6970_65)
        var outcomes = ["ok": 0, "refused": 0]
        let target = try Store(root: f.dir + "/fuzzstore")
        let iterations = 150
        for i in 0..<iterations {
            var bytes = original
            switch i % 4 {
            case 0:  // a few random byte flips anywhere
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 1:  // truncation
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 2:  // garbage appended, or one flip near the end (tar trailer, zstd checksum)
                if Bool.random(using: &rng) {
                    bytes += (0..<Int.random(in: 1...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                } else {
                    bytes[bytes.count - Int.random(in: 1...min(64, bytes.count), using: &rng)] ^= 0x40
                }
            default:  // a single bit flip
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
            let p = f.dir + "/m\(i).tar.zst"
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            let verified: Bool
            do { try BundleReader.read(path: p); verified = true } catch is BundleError { verified = false }

            FileSystem.remove(f.dir + "/fuzzdir")
            let before = snapshot(target.root)
            do {
                let r = try BundleImporter.importBundle(path: p, into: target, pipelineDirectory: f.dir + "/fuzzdir", overwrite: true)
                XCTAssertTrue(verified, "iteration \(i): import succeeded where verify failed")
                XCTAssertEqual(target.verify().map(\.description), [], "iteration \(i): imported content verifies")
                for rec in r.manifest.records { XCTAssertNotNil(target.completeRecord(rec.key), "iteration \(i)") }
                outcomes["ok"]! += 1
            } catch let e as BundleError {
                XCTAssertFalse(verified, "iteration \(i): import failed (\(e)) where verify succeeded")
                XCTAssertFalse("\(e)".isEmpty)
                XCTAssertEqual(snapshot(target.root), before, "iteration \(i): a failed import changed the store (\(e))")
                XCTAssertFalse(FileSystem.exists(f.dir + "/fuzzdir"), "iteration \(i)")
                outcomes["refused"]! += 1
            }
            FileSystem.remove(p)
        }
        XCTAssertEqual(outcomes["ok"]! + outcomes["refused"]!, iterations)
        XCTAssertGreaterThan(outcomes["refused"]!, iterations / 2, "most mutations are caught: \(outcomes)")
    }

    /// Archives rebuilt with libarchive from the valid bundle's own entries, with one random
    /// structural change: a hostile name, a link/device/fifo/directory entry, a dropped, repeated,
    /// reordered or resized entry. Every one must be refused, leaving the store as it was.
    func testCraftedEntriesAreAllRefusedCleanly() throws {
        let f = try BundleFixture("craft")
        let path = try f.bundle()
        var entries: [RawEntry] = []
        let summary = try BundleReader.read(path: path)
        entries.append(RawEntry(name: "MANIFEST.json", data: summary.manifest.json))
        for e in summary.manifest.entries {
            let source = e.path.hasPrefix("objects/") ? f.store.objectPath(e.digest) : nil
            let bytes: [UInt8]
            if let source, let d = FileSystem.read(source) { bytes = Array(d) } else { bytes = try XCTUnwrap(extract(path, e.path)) }
            entries.append(RawEntry(name: e.path, data: bytes))
        }
        // Sanity: the rebuilt archive (same entries, same order) is accepted.
        let rebuilt = f.dir + "/rebuilt.tar.zst"
        try RawTar.write(entries, to: rebuilt)
        XCTAssertNoThrow(try BundleReader.read(path: rebuilt))

        let names = ["/etc/passwd", "../../x", "objects/../../../tmp/x", "results/./a", "results//b", "pipeline/a\\b",
                     "results/\u{01}ctl", "objects/" + String(repeating: "0", count: 64), "MANIFEST.json", "results/new.csv"]
        var rng = SplitMix64(seed: 42)
        let target = try Store(root: f.dir + "/craftstore")
        for i in 0..<60 {
            var list = entries
            let k = Int.random(in: 1..<list.count, using: &rng)
            switch i % 6 {
            case 0: list.insert(RawEntry(name: names.randomElement(using: &rng)!, data: [1, 2, 3]), at: Int.random(in: 1...list.count, using: &rng))
            case 1:
                let kinds: [RawEntry.Kind] = [.symlink("/etc/passwd"), .hardlink(list[k].name), .directory, .fifo, .device]
                list[k] = RawEntry(name: list[k].name, kind: kinds.randomElement(using: &rng)!)
            case 2: list.remove(at: k)
            case 3: list.insert(list[k], at: Int.random(in: 1...list.count, using: &rng))
            case 4: list.swapAt(0, k)
            default:
                if list[k].data.isEmpty || Bool.random(using: &rng) { list[k].data.append(0) } else { list[k].data.removeLast() }
            }
            let p = f.dir + "/craft\(i).tar.zst"
            try RawTar.write(list, to: p)
            XCTAssertThrowsError(try BundleReader.read(path: p), "case \(i)")
            let before = snapshot(target.root)
            XCTAssertThrowsError(try BundleImporter.importBundle(path: p, into: target, pipelineDirectory: f.dir + "/craftdir"), "case \(i)") { e in
                XCTAssertTrue(e is BundleError, "case \(i): \(e)")
            }
            XCTAssertEqual(snapshot(target.root), before, "case \(i)")
            XCTAssertFalse(FileSystem.exists(f.dir + "/craftdir"), "case \(i)")
        }
    }

    /// One entry's bytes, read with GNU tar (an independent reader).
    func extract(_ archive: String, _ name: String) -> [UInt8]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar", "--zstd", "-xOf", archive, name]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return nil }
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? Array(d) : nil
    }
}
