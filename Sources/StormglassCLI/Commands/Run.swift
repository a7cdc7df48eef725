import Telemetry
import Reports
import Lab
import ArgumentParser
import Foundation
import Recorder
import ScenarioKit

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and record it to SQLite.",
        discussion: "Example: \(CommandName.current) run black-friday --seed 7 --set surge.multiplier=6 --duration 12h")

    @Argument(help: "Scenario name (see `\(CommandName.current) list`).")
    var scenario: String

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption

    @Option(help: "Independent replications (seeds seed, seed+1, …), run in parallel.")
    var replications: Int = 1

    @Option(help: "A label stored with the run (e.g. the change under test).")
    var label: String = ""

    @OptionGroup var progress: ProgressOptions

    @OptionGroup var charts: ChartOptions

    func run() throws {
        guard (1...10_000).contains(replications) else { throw InputError("--replications \(replications): must be in 1…10000") }
        let (spec, params) = try options.resolve(scenario)
        let recording = try database.recording(default: .all, drawsRuns: charts.plots)
        let store = try database.openForRecording()
        let jobs = (0..<replications).map {
            RunJob(spec: spec, seed: spec.seed &+ UInt64($0), label: label, replication: $0, parameters: params)
        }
        var executor = RunExecutor(store: store, progress: progress.line)
        executor.recording = recording
        let done = try executor.run(jobs)
        for c in done where replications == 1 {
            let simulated = c.result.status == .finished ? "\(spec.duration) simulated" : "stopped before the end of its \(spec.duration)"
            // A fluid run's requests are flows, not events: its few discrete events say nothing of its pace.
            let pace = spec.fidelity == .fluid ? "fluid: \(c.result.events) discrete events"
                : "\(c.result.events) events, " + String(format: "%.1fM events/s", Double(c.result.events) / max(c.result.wallSeconds, 1e-9) / 1e6)
            print("run \(c.runID): \(spec.name), seed \(c.job.seed), \(simulated) in "
                  + String(format: "%.2fs", c.result.wallSeconds) + " (\(pace)) — \(c.result.status.rawValue)")
            print(try SummaryReport.run(store, c.runID))
        }
        if replications > 1 {
            // An interruption leaves some seeds unrun: name the ones that ran.
            let seeds = done.count == replications ? "seeds \(spec.seed)…\(spec.seed &+ UInt64(replications - 1))"
                : "\(done.count) of \(replications) runs, seeds " + done.map { String($0.job.seed) }.joined(separator: ", ")
            print("runs \(done.map { String($0.runID) }.joined(separator: ", ")): \(spec.name), \(seeds)")
            print(try SummaryReport.replications(store, done.map(\.runID)))
        }
        if charts.plots, let last = done.last { charts.draw(database: database.db, run: last.runID) }
        print("\nresults: \(database.db)")
        if Interrupt.isRequested || done.contains(where: { $0.result.status == .aborted }) {
            print("interrupted: the run is recorded as aborted; everything up to the last scrape is in the database")
            throw ExitCode.interrupted
        }
    }
}
