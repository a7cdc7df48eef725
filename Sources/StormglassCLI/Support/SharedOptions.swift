import ArgumentParser
import Recorder

/// `--quiet`, for the commands that run simulations (the progress line is drawn on a terminal only anyway).
struct ProgressOptions: ParsableArguments {
    @Flag(help: "No progress display.")
    var quiet = false

    var line: ProgressLine { ProgressLine(quiet: quiet) }
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
