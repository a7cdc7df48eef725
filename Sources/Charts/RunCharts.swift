import Foundation
import Recorder

/// Draws the charts of a recorded run: every `serviceCharts` kind for each service, then every
/// `runCharts` kind once.
public struct RunCharts {
    public let databasePath: String
    public let outputDirectory: String
    public let format: ChartFormat

    /// The charts drawn per service. A new chart kind is one file and one entry here.
    static let serviceCharts: [any ServiceChart] = [LoadChart(), LatencyChart(), ErrorsChart(), QueueChart(), PredictionChart()]
    /// The charts drawn once per run.
    static let runCharts: [any RunChart] = [AccuracyChart()]

    public init(databasePath: String, outputDirectory: String = "plots", format: ChartFormat = .png) {
        self.databasePath = databasePath; self.outputDirectory = outputDirectory; self.format = format
    }

    /// Renders every chart of run `id`; returns the files written. `shouldStop` is asked before and
    /// while each chart is drawn; stopping kills gnuplot and throws `Cancelled` (the charts drawn so far stay).
    @discardableResult
    public func render(run id: Int64, prefix: String? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> [String] {
        let gnuplot = try Gnuplot()
        let data = try RunChartData(store: try ResultsStore.open(existing: databasePath), run: id)
        do { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) } catch {
            throw ChartError.unwritable(outputDirectory)
        }
        let base = prefix ?? "run\(id)"
        var written: [String] = []
        func draw(_ name: String, _ body: (inout GnuplotScript) -> Bool) async throws {
            let file = try GnuplotScript.outputPath(directory: outputDirectory, name: "\(name).\(format.rawValue)")
            if shouldStop() { throw Cancelled() }
            var script = GnuplotScript(format: format, output: file)
            guard body(&script) else { return }
            try await gnuplot.run(script, output: file, shouldStop: shouldStop)
            written.append(file)
        }
        for service in data.services {
            for chart in Self.serviceCharts {
                try await draw("\(base)-\(service.name)-\(chart.kind)") { chart.draw(service, data, into: &$0) }
            }
        }
        for chart in Self.runCharts { try await draw("\(base)-\(chart.kind)") { chart.draw(data, into: &$0) } }
        return written
    }
}
