import ArgumentParser
import Charts
import Foundation
import Lab
import Recorder

/// Chart options shared by `run`, `plot` (and later `compare` and `sweep`).
struct ChartOptions: ParsableArguments {
    @Flag(help: "Draw charts with gnuplot after the run.")
    var plots = false

    @Flag(help: "Charts as SVG instead of PNG.")
    var svg = false

    @Option(help: "Folder for charts.")
    var plotsDir: String = "plots"

    var format: ChartFormat { svg ? .svg : .png }

    /// Draws the run's charts; a missing gnuplot is one line on stderr, never a failure of the run.
    func draw(database: String, run id: Int64, prefix: String? = nil) {
        do {
            let charts = RunCharts(databasePath: database, outputDirectory: plotsDir, format: format)
            let files = try waitFor { try await charts.render(run: id, prefix: prefix, shouldStop: { Interrupt.isRequested }) }
            print("charts: " + (files.count > 4 ? "\(files.count) files in \(plotsDir)/ (\((files.first as NSString?)?.lastPathComponent ?? "") …)" : files.joined(separator: ", ")))
        } catch {
            FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
        }
    }
}

extension ChartOptions {
    /// Cost vs SLO-violation scatter (Pareto front marked) and, for two numeric parameters, a heatmap.
    func drawSweep(database: String, scenario: String, labels: [String], keys: [String], prefix: String? = nil) {
        do {
            let charts = SweepCharts(databasePath: database, outputDirectory: plotsDir, format: format)
            let files = try waitFor { try await charts.render(scenario: scenario, labels: labels, keys: keys, prefix: prefix) }
            print("charts: " + files.joined(separator: ", "))
        } catch {
            FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Draw charts of a recorded run with gnuplot.")

    @OptionGroup var recorded: RecordedRunOptions

    @Option(help: "File name prefix (default: run<ID>).")
    var prefix: String?

    @Flag(help: "Charts as SVG instead of PNG.")
    var svg = false

    @Option(help: "Folder for charts.")
    var plotsDir: String = "plots"

    func run() throws {
        let (store, id) = try recorded.open()
        try store.requireSamples(run: id, for: "charts")
        let charts = RunCharts(databasePath: recorded.file, outputDirectory: plotsDir, format: svg ? .svg : .png)
        let files = try waitFor { [prefix] in try await charts.render(run: id, prefix: prefix, shouldStop: { Interrupt.isRequested }) }
        files.forEach { print($0) }
    }
}
