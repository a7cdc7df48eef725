import ArgumentParser
import Foundation
import Lab

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Stormglass's speed; prints `name: value unit` lines.",
        discussion: "Build in release mode first: swift build -c release && .build/release/stormglass bench")

    enum Case: String, ExpressibleByArgument, CaseIterable {
        case mmc, daily, retries, predictor, autoscaler, recording, memory, scale, scaleMemory = "scale-memory", largeShop = "large-shop"
    }

    @Option(help: "Only these benchmarks (\(Case.allCases.map(\.rawValue).joined(separator: ", "))); repeatable.")
    var only: [Case] = []

    /// Not in the default set: minutes each (`scale`: 20 simulated minutes × 4 shapes × 2;
    /// `large-shop`: a fluid day and 10 request-level minutes).
    static let onRequest: Set<Case> = [.scale, .scaleMemory, .largeShop]

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; figures are meaningless. Use swift build -c release.\n".utf8))
        #endif
        let cases = only.isEmpty ? Case.allCases.filter { !Self.onRequest.contains($0) } : only
        for c in cases {
            switch c {
            case .mmc: Benchmarks.mmc().forEach { print($0.line) }
            case .daily: Benchmarks.dailyCycle().forEach { print($0.line) }
            case .retries: Benchmarks.retryOverhead().forEach { print($0.line) }
            case .predictor: Benchmarks.predictor().forEach { print($0.line) }
            case .autoscaler: Benchmarks.autoscaler().forEach { print($0.line) }
            case .recording: try Benchmarks.recordingOverhead(try ScenarioCatalog.require("black-friday").spec).forEach { print($0.line) }
            case .scale: try Benchmarks.scale().forEach { print($0.line) }
            case .largeShop:
                let minutes = Double(ProcessInfo.processInfo.environment["STORMGLASS_BENCH_MINUTES"] ?? "10") ?? 10
                try Benchmarks.fluidScale(try ScenarioCatalog.require("large-shop").spec, requestMinutes: minutes).forEach { print($0.line) }
            case .scaleMemory:
                let mib = try probe(["bench-memory", "--scale", Benchmarks.ScaleShape.chains1000.rawValue])
                print(Benchmarks.Figure(name: "scale_1000_services_depth_4_peak_memory_mib", value: mib, unit: "MiB").line)
            case .memory:
                let one = try probe(["bench-memory", "--days", "1"]), seven = try probe(["bench-memory", "--days", "7"])
                print(Benchmarks.Figure(name: "peak_memory_1_day_mib", value: one, unit: "MiB").line)
                print(Benchmarks.Figure(name: "peak_memory_7_days_mib", value: seven, unit: "MiB").line)
                print(Benchmarks.Figure(name: "memory_growth_7_days_vs_1_day_percent", value: (seven - one) / one * 100, unit: "%").line)
            }
            fflush(stdout)
        }
    }

    /// Runs `stormglass bench-memory` in a fresh process so each peak is its own.
    func probe(_ arguments: [String]) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
                              : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0])
        p.arguments = arguments
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
    @Option var scale: String?
    func run() throws {
        if let scale {
            guard let shape = Benchmarks.ScaleShape(rawValue: scale) else { throw InputError("--scale \(scale): no such shape") }
            print(try Benchmarks.peakMemoryOfScaleRun(shape, minutes: 20))
        } else {
            print(try Benchmarks.peakMemoryOfRun(days: Double(days)))
        }
    }
}
