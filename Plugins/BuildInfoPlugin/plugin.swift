// BuildInfoPlugin: runs buildinfo.sh (with /bin/sh, which asks git) to write
// BuildInfoGenerated.swift, holding the commit madpipe is built from and whether the tree was
// dirty. It is a build command whose inputs are the git files a commit, checkout or reset
// rewrites (HEAD, its reflog, the index) and every file of Sources/, Plugins/ and Package.swift,
// so the build reruns it whenever any of them changes. (A prebuild command would be simpler, but
// SwiftPM runs plugins' prebuild commands only when it re-plans the build, not on every build:
// a commit that changed no source kept the previous commit in the binary.) The script rewrites
// the file only when its content changes, so an unchanged state recompiles nothing.

import Foundation
import PackagePlugin

@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "generated").appending(path: "BuildInfoGenerated.swift")
        let script = package.appending(path: "Plugins/BuildInfoPlugin/buildinfo.sh")
        return [.buildCommand(
            displayName: "Recording madpipe's git commit",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, package.path, output.path],
            inputFiles: Self.gitFiles(package) + Self.sourceFiles(package),
            outputFiles: [output])]
    }

    /// HEAD, its reflog and the index of the package's git directory (`.git`, or the directory a
    /// worktree's `.git` file names); those that exist.
    static func gitFiles(_ package: URL) -> [URL] {
        let dotGit = package.appending(path: ".git")
        var gitDir = dotGit
        if let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") {
            let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            gitDir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appending(path: path)
        }
        return ["HEAD", "logs/HEAD", "index"].map { gitDir.appending(path: $0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Every regular file under Sources/ and Plugins/, and Package.swift: an edit makes the tree dirty.
    static func sourceFiles(_ package: URL) -> [URL] {
        var files = [package.appending(path: "Package.swift")]
        for dir in ["Sources", "Plugins"] {
            guard let walk = FileManager.default.enumerator(at: package.appending(path: dir), includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in walk where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                files.append(url)
            }
        }
        return files
    }
}
