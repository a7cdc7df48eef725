@testable import Lab
import Foundation
import Scenarios
@testable import StormglassCLI

/// A fresh temporary folder per test.
func temporaryDirectory(_ name: String = #function) -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("stormglass-tests-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(6))").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Runs the command line in-process and returns its exit code.
func stormglass(_ args: String...) -> Int32 {
    ScenarioCatalog.all = Scenarios.all
    return Stormglass.execute(args)
}

/// The repository root (for README.md and scenarios/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What a command printed and how it exited.
struct CommandOutput {
    var code: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.components(separatedBy: "\n") }
}

/// Runs the built `stormglass` executable (beside the test binary) as a user would, in `directory`.
/// With `signal`, sends it `after` seconds into the run (Ctrl-C is SIGINT, CI cancellation SIGTERM), `times`
/// times half a second apart. `environment` is added to ours.
func stormglassProcess(_ args: [String], in directory: String? = nil, signal: Int32? = nil, after: Double = 0, times: Int = 1,
                       environment: [String: String] = [:]) throws -> CommandOutput {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stormglass").path
    let executable = FileManager.default.isExecutableFile(atPath: beside)
        ? beside : repositoryRoot.appendingPathComponent(".build/release/stormglass").path
    let dir = temporaryDirectory("process")
    let out = dir + "/stdout", err = dir + "/stderr"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    p.standardOutput = FileHandle(forWritingAtPath: out)
    p.standardError = FileHandle(forWritingAtPath: err)
    try p.run()
    if let signal {
        Thread.sleep(forTimeInterval: after)
        for n in 0..<times {
            if n > 0 { Thread.sleep(forTimeInterval: 0.5) }
            kill(p.processIdentifier, signal)
        }
    }
    p.waitUntilExit()
    return CommandOutput(code: p.terminationStatus, stdout: try String(contentsOfFile: out, encoding: .utf8),
                         stderr: try String(contentsOfFile: err, encoding: .utf8))
}

/// A shipped public trace (`traces/nab/`).
func trace(_ name: String) -> String { repositoryRoot.appendingPathComponent("traces/nab/\(name)").path }
