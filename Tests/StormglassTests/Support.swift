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
