import Reports
import Lab
import ArgumentParser
import Foundation
import Recorder
import SimulationKernel

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Summarise recorded runs: SLO-violation minutes, availability, latency, cost.")

    @OptionGroup var recorded: RecordedRunOptions

    @Flag(help: "Prediction accuracy of every model, not only the auto ensemble.")
    var models = false

    func run() throws {
        let (store, id) = try recorded.open()
        let runs = try store.runs(), file = recorded.file
        let r = runs.first { $0.id == id }!
        if recorded.runID == nil, runs.count > 1 {
            var t = TextTable(["run", "scenario", "seed", "label", "status", "simulated", "wall"])
            for x in runs.suffix(10) {
                t.add([String(x.id), x.scenario, String(UInt64(bitPattern: x.seed)), x.label, x.status.rawValue,
                       String(format: "%.0fs", x.simulatedSeconds), x.wallSeconds.map { String(format: "%.2fs", $0) } ?? "–"])
            }
            print("\(runs.count) runs in \(file)\(runs.count > 10 ? " (last 10)" : ""):")
            print(t.rendered)
            print("")
        }
        if let prometheus = LiveTable.prometheus(of: r) {
            print("run \(r.id): \(r.scenario) session on \(prometheus), policies \(r.label), \(r.status)")
            try LiveTable.print(store: store, run: r.id)
            try LiveTable.printProblems(store: store, run: r.id)
            return
        }
        // Seeds are stored as their bit pattern in SQLite's signed integers: shown as given to --seed.
        print("run \(r.id): \(r.scenario), seed \(UInt64(bitPattern: r.seed))\(r.label.isEmpty ? "" : ", \(r.label)"), \(r.status)"
              + (r.parameters == "{}" ? "" : ", parameters \(r.parameters)"))
        if r.status == .interrupted || r.status == .running {
            let until = try store.recordedUntil(run: r.id)
            print(r.status == .interrupted
                  ? "  interrupted: its writer (\(r.writer ?? "unknown")) stopped without finishing; recorded up to \(SimDuration.seconds(until)) of \(SimDuration.seconds(r.simulatedSeconds)) (summary figures are written when a run ends)"
                  : "  still being written by \(r.writer ?? "another process"); recorded up to \(SimDuration.seconds(until)) of \(SimDuration.seconds(r.simulatedSeconds))")
        }
        print(try SummaryReport.run(store, id, allModels: models))
        for impact in try ForecastOnlyImpact.estimate(store, run: id) { print(impact.summary) }
    }
}
