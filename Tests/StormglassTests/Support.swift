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

/// Runs blocking work (waiting on processes for minutes) on a thread of its own, so the test does not hold
/// one of the few threads Swift concurrency shares with every other test running meanwhile.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// The built `stormglass` executable: beside the test binary, else the release build's.
var stormglassExecutable: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stormglass").path
    return FileManager.default.isExecutableFile(atPath: beside) ? beside : repositoryRoot.appendingPathComponent(".build/release/stormglass").path
}

/// A `stormglass` command running beside the test (a testbed, a load, a session); stopped with SIGTERM
/// when the test is done with it, however the test ends.
final class BackgroundCommand: @unchecked Sendable {
    let process = Process()
    let out: String, err: String

    init(_ args: [String]) throws {
        let dir = temporaryDirectory("background")
        out = dir + "/stdout"; err = dir + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.executableURL = URL(fileURLWithPath: stormglassExecutable)
        process.arguments = args
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
    }

    /// Waits for it to end by itself, at most `seconds` (then stops it); its output.
    func wait(atMost seconds: Double) -> CommandOutput {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        stop()
        return CommandOutput(code: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// SIGTERM, and SIGKILL if it has not ended 60 s later.
    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs the built `stormglass` executable (beside the test binary) as a user would, in `directory`.
/// With `signal`, sends it `after` seconds into the run (Ctrl-C is SIGINT, CI cancellation SIGTERM), `times`
/// times half a second apart. `environment` is added to ours.
func stormglassProcess(_ args: [String], in directory: String? = nil, signal: Int32? = nil, after: Double = 0, times: Int = 1,
                       environment: [String: String] = [:]) throws -> CommandOutput {
    let executable = stormglassExecutable
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
