import Foundation
import Lab
import ArgumentParser
import Recorder

/// `--quiet`, for the commands that run simulations (the progress line is drawn on a terminal only anyway).
struct ProgressOptions: ParsableArguments {
    @Flag(help: "No progress display.")
    var quiet = false

    var line: ProgressLine { ProgressLine(quiet: quiet) }

    /// `body` given `evaluate` (a search's batches of runs) counted on a progress line over `total` runs.
    func tracking<T>(_ total: Int, _ evaluate: @escaping ([Overrides]) throws -> [Double?],
                     _ body: (([Overrides]) throws -> [Double?]) throws -> T) rethrows -> T {
        let line = self.line, started = Date()
        defer { line.finish() }
        var done = 0
        return try body { runs in
            let values = try evaluate(runs)
            done += runs.count
            line.update(done: done, of: total, started: started)
            return values
        }
    }
}

/// `[FILE] [--run ID]`: one recorded run, the latest by default (`show`, `report`, `plot`).
struct RecordedRunOptions: ParsableArguments {
    @Argument(help: "Results database.")
    var file: String = "results/stormglass.sqlite"

    @Option(name: .customLong("run"), help: "Run id (default: the latest run).")
    var runID: Int64?

    /// The database, which must exist, and the run asked for (or its latest); in words when there is none.
    func open() throws -> (store: ResultsStore, run: Int64) {
        let store = try ResultsStore.open(existing: file)
        return (store, try store.runID(runID))
    }
}
