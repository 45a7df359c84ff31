// BuildInfoPlugin: before every build of the BuildInfo target, runs buildinfo.sh (with /bin/sh,
// which asks git) to write BuildInfoGenerated.swift, holding the commit madpipe is built from and
// whether the tree was dirty. The script rewrites the file only when that changes, so a no-op or
// release (-wmo) build does not recompile anything because of it.

import Foundation
import PackagePlugin

@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        return [.prebuildCommand(
            displayName: "Recording madpipe's git commit",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [package.appending(path: "Plugins/BuildInfoPlugin/buildinfo.sh").path, package.path,
                        output.appending(path: "BuildInfoGenerated.swift").path],
            outputFilesDirectory: output)]
    }
}
