import ArgumentParser
import Foundation
import Lab

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Stormglass's speed; prints `name: value unit` lines.",
        discussion: "Build in release mode first: swift build -c release && .build/release/stormglass bench")

    enum Case: String, ExpressibleByArgument, CaseIterable {
        case mmc, daily, retries, predictor, autoscaler, recording, memory
    }

    @Option(help: "Only these benchmarks (\(Case.allCases.map(\.rawValue).joined(separator: ", "))); repeatable.")
    var only: [Case] = []

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; figures are meaningless. Use swift build -c release.\n".utf8))
        #endif
        let cases = only.isEmpty ? Case.allCases : only
        for c in cases {
            switch c {
            case .mmc: Benchmarks.mmc().forEach { print($0.line) }
            case .daily: Benchmarks.dailyCycle().forEach { print($0.line) }
            case .retries: Benchmarks.retryOverhead().forEach { print($0.line) }
            case .predictor: Benchmarks.predictor().forEach { print($0.line) }
            case .autoscaler: Benchmarks.autoscaler().forEach { print($0.line) }
            case .recording: try Benchmarks.recordingOverhead(try ScenarioCatalog.require("black-friday").spec).forEach { print($0.line) }
            case .memory:
                let one = try probe(days: 1), seven = try probe(days: 7)
                print(Benchmarks.Figure(name: "peak_memory_1_day_mib", value: one, unit: "MiB").line)
                print(Benchmarks.Figure(name: "peak_memory_7_days_mib", value: seven, unit: "MiB").line)
                print(Benchmarks.Figure(name: "memory_growth_7_days_vs_1_day_percent", value: (seven - one) / one * 100, unit: "%").line)
            }
            fflush(stdout)
        }
    }

    /// Runs `stormglass bench-memory` in a fresh process so each peak is its own.
    func probe(days: Int) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
                              : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0])
        p.arguments = ["bench-memory", "--days", String(days)]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard let v = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw InputError("memory probe failed")
        }
        return v
    }
}

/// Helper for `bench`: records a run of N simulated days and prints this process's peak RSS in MiB.
struct BenchMemory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-memory", abstract: "Internal: peak memory of an N-day run.",
                                                    shouldDisplay: false)
    @Option var days: Int = 1
    func run() throws { print(try Benchmarks.peakMemoryOfRun(days: Double(days))) }
}
