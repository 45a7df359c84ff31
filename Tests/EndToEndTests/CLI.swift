// CLI: runs the built `madpipe` binary from tests, in a scratch directory.

import Foundation
import XCTest

struct CLIResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// A scratch project directory with its own cache, and a way to run madpipe in it.
final class Sandbox {
    let dir: String

    init(_ name: String) throws {
        dir = NSTemporaryDirectory() + "madpipe-e2e-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    static var binary: String {
        // Tests run from .build/<config>/<package>PackageTests.xctest; the CLI is built beside it.
        if let env = ProcessInfo.processInfo.environment["MADPIPE_BIN"] { return env }
        let bundle = Bundle(for: Sandbox.self).bundleURL
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let p = dir.appendingPathComponent("madpipe").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return bundle.appendingPathComponent("madpipe").path
    }

    func write(_ name: String, _ text: String) throws {
        let p = dir + "/" + name
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    func process(_ args: [String]) -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sandbox.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["MADPIPE_CACHE"] = dir + "/cache"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        return (p, out, err)
    }

    @discardableResult
    func run(_ args: String...) throws -> CLIResult { try run(args) }

    func run(_ args: [String]) throws -> CLIResult {
        let (p, out, err) = process(args)
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs with --json and returns the summary's counts.
    func runJSON(_ args: [String]) throws -> (CLIResult, [String: Int]) {
        let r = try run(["run"] + args + ["--json"])
        var counts: [String: Int] = [:]
        if let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] {
            for k in ["executed", "cached", "failed", "skipped"] { counts[k] = obj[k] as? Int }
        }
        return (r, counts)
    }

    /// Every stage record (as JSON) of the cache in directory `cache` of the sandbox.
    func records(cache: String = "cache") throws -> [[String: Any]] {
        let stages = dir + "/" + cache + "/stages"
        return try FileManager.default.contentsOfDirectory(atPath: stages).filter { $0.hasSuffix(".json") }.sorted().map { name in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stages + "/" + name))) as? [String: Any], name)
        }
    }

    var recordCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/cache/stages")) ?? []).filter { $0.hasSuffix(".json") }.count
    }

    func lines(_ name: String) -> [String] {
        (read(name) ?? "").split(separator: "\n").map(String.init)
    }
}
