import Foundation
import GRDB
import Recorder
import Telemetry

/// Draws the per-run charts from a results database.
public struct RunCharts {
    public let databasePath: String
    public let outputDirectory: String
    public let format: ChartFormat

    public init(databasePath: String, outputDirectory: String = "plots", format: ChartFormat = .png) {
        self.databasePath = databasePath; self.outputDirectory = outputDirectory; self.format = format
    }

    struct Shade { var from: Double; var to: Double; var label: String; var color: String }

    /// Renders every chart for run `id`; returns the files written.
    @discardableResult
    public func render(run id: Int64, prefix: String? = nil) throws -> [String] {
        let gnuplot = try Gnuplot()
        do { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) } catch {
            throw ChartError.unwritable(outputDirectory)
        }
        let db = try DatabaseQueue(path: databasePath)
        let base = prefix ?? "run\(id)"
        var written: [String] = []
        try db.read { db in
            let scenario = try String.fetchOne(db, sql: "SELECT scenario FROM runs WHERE id = ?", arguments: [id]) ?? "?"
            let end = try Double.fetchOne(db, sql: "SELECT MAX(t) FROM service_samples WHERE run_id = ?", arguments: [id]) ?? 0
            let shades = try faultShades(db, id, end: end)
            let services = try Row.fetchAll(db, sql: "SELECT service, slo_p95_seconds, slo_error_rate, capacity_per_replica FROM services WHERE run_id = ? ORDER BY rowid", arguments: [id])
            for s in services {
                let name: String = s["service"]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT t / 3600.0 AS h, arrivals / interval AS rate, ready, starting, desired, p50, p95, p99,
                           error_rate, queue_depth, mean_queue_wait, cpu_utilization, failed, rejected, timed_out, interval
                    FROM service_samples WHERE run_id = ? AND service = ? ORDER BY t
                    """, arguments: [id, name])
                let cap: Double = s["capacity_per_replica"]
                let title = "\(scenario) · \(name) (run \(id))"
                let file = { (kind: String) in try Script.outputPath(directory: outputDirectory, name: "\(base)-\(name)-\(kind).\(format.rawValue)") }

                // Load vs capacity, with replicas on the right axis.
                var script = Script.header(format: format, output: try file("load"), title: "Load vs capacity — \(title)", ylabel: "requests / s")
                script += Script.datablock("d", rows.map { r in
                    [r["h"], r["rate"], Double(r["ready"] as Int) * cap, Double(r["desired"] as Int), Double(r["ready"] as Int)]
                })
                script += shadeCommands(shades)
                script += """
                set y2label 'replicas'
                set y2tics
                set yrange [0:*]
                set y2range [0:\(Double(rows.map { peakReplicas($0) }.max() ?? 1) * 1.15 + 1)]
                plot $d using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'arrival rate', \\
                     $d using 1:3 with lines lw 2 lc rgb '#2ca02c' title 'capacity (ready × per-replica)', \\
                     $d using 1:4 axes x1y2 with steps lw 1 dt 2 lc rgb '#ff7f0e' title 'desired replicas', \\
                     $d using 1:5 axes x1y2 with steps lw 1.5 lc rgb '#d62728' title 'ready replicas'\(shadeKeys(shades))

                """
                try gnuplot.run(script); written.append(try file("load"))

                // Latency percentiles and the SLO line.
                let slo: Double = s["slo_p95_seconds"]
                script = Script.header(format: format, output: try file("latency"), title: "Latency — \(title)", ylabel: "latency (ms)")
                script += Script.datablock("d", rows.map { r in
                    [r["h"], (r["p50"] as Double) * 1000, (r["p95"] as Double) * 1000, (r["p99"] as Double) * 1000]
                })
                script += shadeCommands(shades)
                script += """
                set logscale y
                plot $d using 1:2 with lines lw 1 lc rgb '#2ca02c' title 'p50', \\
                     $d using 1:3 with lines lw 1.5 lc rgb '#1f77b4' title 'p95', \\
                     $d using 1:4 with lines lw 1 lc rgb '#9467bd' title 'p99', \\
                     \(slo * 1000) with lines lw 2 dt 2 lc rgb '#d62728' title 'p95 SLO (\(Int(slo * 1000)) ms)'\(shadeKeys(shades))

                """
                try gnuplot.run(script); written.append(try file("latency"))

                // Error rate by cause.
                let sloErr: Double = s["slo_error_rate"]
                script = Script.header(format: format, output: try file("errors"), title: "Errors — \(title)", ylabel: "errors / s and error rate (%)")
                script += Script.datablock("d", rows.map { r in
                    let i: Double = r["interval"]
                    return [r["h"], (r["error_rate"] as Double) * 100, Double(r["failed"] as Int) / i,
                            Double(r["rejected"] as Int) / i, Double(r["timed_out"] as Int) / i]
                })
                script += shadeCommands(shades)
                script += """
                set yrange [0:*]
                plot $d using 1:2 with lines lw 2 lc rgb '#d62728' title 'error rate (%)', \\
                     \(sloErr * 100) with lines lw 1.5 dt 2 lc rgb '#000000' title 'error-rate SLO (\(sloErr * 100)%)', \\
                     $d using 1:3 with lines lw 1 lc rgb '#8c564b' title 'failed / s', \\
                     $d using 1:4 with lines lw 1 lc rgb '#ff7f0e' title 'rejected / s', \\
                     $d using 1:5 with lines lw 1 lc rgb '#7f7f7f' title 'timed out / s'\(shadeKeys(shades))

                """
                try gnuplot.run(script); written.append(try file("errors"))

                // Queue depth and wait.
                script = Script.header(format: format, output: try file("queue"), title: "Queue — \(title)", ylabel: "requests waiting")
                script += Script.datablock("d", rows.map { r in
                    [r["h"], Double(r["queue_depth"] as Int), (r["mean_queue_wait"] as Double) * 1000, (r["cpu_utilization"] as Double) * 100]
                })
                script += shadeCommands(shades)
                script += """
                set y2label 'mean queue wait (ms) · utilization (%)'
                set y2tics
                set yrange [0:*]
                set y2range [0:*]
                plot $d using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'queue depth', \\
                     $d using 1:3 axes x1y2 with lines lw 1 lc rgb '#ff7f0e' title 'mean queue wait (ms)', \\
                     $d using 1:4 axes x1y2 with lines lw 1 dt 3 lc rgb '#2ca02c' title 'utilization (%)'\(shadeKeys(shades))

                """
                try gnuplot.run(script); written.append(try file("queue"))

                // Predicted vs actual arrival rate at the predictor's longest horizon, with the interval as a band.
                if let horizon = try Double.fetchOne(db, sql: "SELECT MAX(horizon) FROM predictions WHERE run_id = ? AND service = ? AND model = 'auto'", arguments: [id, name]) {
                    let preds = try Row.fetchAll(db, sql: """
                        SELECT (made_at + horizon) / 3600.0 AS h, value, lower, upper, actual FROM predictions
                        WHERE run_id = ? AND service = ? AND model = 'auto' AND horizon = ? ORDER BY made_at
                        """, arguments: [id, name, horizon])
                    if !preds.isEmpty {
                        script = Script.header(format: format, output: try file("prediction"),
                                               title: "Predicted vs actual arrival rate, \(Int(horizon / 60)) min ahead — \(title)", ylabel: "requests / s")
                        script += Script.datablock("d", preds.map { r in
                            [r["h"], r["value"], (r["lower"] as Double?) ?? .nan, (r["upper"] as Double?) ?? .nan, (r["actual"] as Double?) ?? .nan]
                        })
                        script += shadeCommands(shades)
                        script += """
                        set yrange [0:*]
                        plot $d using 1:3:4 with filledcurves fc rgb '#aec7e8' fs transparent solid 0.5 title '95 % prediction interval', \\
                             $d using 1:5 with lines lw 1 lc rgb '#000000' title 'actual', \\
                             $d using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'forecast (auto)'\(shadeKeys(shades))

                        """
                        try gnuplot.run(script); written.append(try file("prediction"))
                    }
                }
            }

            // Accuracy by horizon per model (all services' arrival-rate forecasts).
            let acc = try Row.fetchAll(db, sql: """
                SELECT model, horizon, AVG(accuracy) a FROM forecast_accuracy WHERE run_id = ? AND accuracy IS NOT NULL
                GROUP BY model, horizon ORDER BY horizon, model
                """, arguments: [id])
            if !acc.isEmpty {
                let models = Array(Set(acc.map { $0["model"] as String })).sorted { $0 == "auto" ? true : ($1 == "auto" ? false : $0 < $1) }
                let horizons = Array(Set(acc.map { $0["horizon"] as Double })).sorted()
                let out = try Script.outputPath(directory: outputDirectory, name: "\(base)-accuracy.\(format.rawValue)")
                var script = Script.header(format: format, output: out, title: "Prediction accuracy by horizon (1 − MAPE) — \(scenario) (run \(id))", ylabel: "accuracy (%)")
                script = script.replacingOccurrences(of: "set xlabel 'time (hours since start)'", with: "set xlabel 'forecast horizon'")
                var rows: [[Double]] = []
                for (i, h) in horizons.enumerated() {
                    rows.append([Double(i)] + models.map { m in (acc.first { ($0["model"] as String) == m && ($0["horizon"] as Double) == h }?["a"] as Double?).map { $0 * 100 } ?? .nan })
                }
                script += Script.datablock("d", rows)
                script += "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\nset yrange [0:100]\n"
                script += "set xtics (" + horizons.enumerated().map { "\"\(Int($0.element / 60)) min\" \($0.offset)" }.joined(separator: ", ") + ")\n"
                script += "plot " + models.enumerated().map { "$d using \($0.offset + 2) title \(Script.literal($0.element)) noenhanced" }.joined(separator: ", ") + "\n"
                try gnuplot.run(script); written.append(out)
            }
        }
        return written
    }

    private func peakReplicas(_ r: Row) -> Int { Swift.max(r["desired"] as Int, r["ready"] as Int) }

    /// Faults (and later incidents) as shaded time spans.
    func faultShades(_ db: Database, _ id: Int64, end: Double) throws -> [Shade] {
        var open: [String: Double] = [:]
        var shades: [Shade] = []
        for r in try Row.fetchAll(db, sql: "SELECT t, kind, subject FROM events WHERE run_id = ? AND kind IN (?, ?) ORDER BY t",
                                       arguments: [id, EventKind.faultStart.rawValue, EventKind.faultEnd.rawValue]) {
            let subject: String = r["subject"], t: Double = r["t"], kind: String = r["kind"]
            if kind == EventKind.faultStart.rawValue { open[subject] = t } else if let s = open.removeValue(forKey: subject) {
                shades.append(Shade(from: s / 3600, to: t / 3600, label: subject, color: "#ff9896"))
            }
        }
        var incidents: [String: Double] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT t, kind, subject FROM events WHERE run_id = ? AND kind IN (?, ?) ORDER BY t",
                                       arguments: [id, EventKind.incidentOpen.rawValue, EventKind.incidentClose.rawValue]) {
            let subject: String = r["subject"], t: Double = r["t"], kind: String = r["kind"]
            if kind == EventKind.incidentOpen.rawValue { incidents[subject] = t } else if let s = incidents.removeValue(forKey: subject) {
                shades.append(Shade(from: s / 3600, to: t / 3600, label: subject, color: "#ffbb78"))
            }
        }
        for (subject, s) in incidents { shades.append(Shade(from: s / 3600, to: end / 3600, label: subject, color: "#ffbb78")) }
        // A permanent fault is shaded from its start for a visible sliver, then marked by a line.
        for (subject, s) in open { shades.append(Shade(from: s / 3600, to: Swift.min(end, s + Swift.max(60, end / 200)) / 3600, label: subject, color: "#ff9896")) }
        return shades.sorted { $0.from < $1.from }
    }

    func shadeCommands(_ shades: [Shade]) -> String {
        shades.map { s in
            // Faults over the full height, incidents as a band along the bottom, so both stay visible.
            let top = s.color == "#ffbb78" ? "0.06" : "1"
            return "set object rect from \(s.from), graph 0 to \(s.to), graph \(top) fc rgb '\(s.color)' fs transparent solid 0.5 noborder behind\n"
        }.joined()
    }

    /// A legend entry for the shading (an invisible plot with a filled key sample).
    func shadeKeys(_ shades: [Shade]) -> String {
        var out = ""
        let faults = Set(shades.filter { $0.color == "#ff9896" }.map(\.label)).sorted()
        let incidents = shades.filter { $0.color == "#ffbb78" }.count
        if !faults.isEmpty { out += ", \\\n     NaN with boxes fs solid 0.35 lc rgb '#ff9896' title \(Script.literal("fault: " + faults.joined(separator: ", "))) noenhanced" }
        if incidents > 0 { out += ", \\\n     NaN with boxes fs solid 0.35 lc rgb '#ffbb78' title \(Script.literal("incident\(incidents == 1 ? "" : "s")"))" }
        return out
    }
}
