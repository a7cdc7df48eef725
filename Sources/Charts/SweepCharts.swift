import Foundation
import GRDB
import Telemetry

/// Charts across runs: one point per policy or sweep setting.
public struct SweepCharts {
    public let databasePath: String
    public let outputDirectory: String
    public let format: ChartFormat

    public init(databasePath: String, outputDirectory: String = "plots", format: ChartFormat = .png) {
        self.databasePath = databasePath; self.outputDirectory = outputDirectory; self.format = format
    }

    struct Point { var label: String; var cost: Double; var slo: Double }

    /// Mean cost and SLO-violation minutes per label (finished runs of the scenario).
    func points(_ db: Database, scenario: String, labels: [String]) throws -> [Point] {
        try labels.compactMap { label in
            let row = try Row.fetchOne(db, sql: """
                SELECT AVG(c.value) cost, AVG(s.value) slo FROM runs r
                JOIN summaries c ON c.run_id = r.id AND c.service = '*' AND c.metric = 'cost'
                JOIN summaries s ON s.run_id = r.id AND s.service = '*' AND s.metric = 'slo_violation_minutes'
                WHERE r.scenario = ? AND r.label = ? AND r.status = ?
                """, arguments: [scenario, label, RunStatus.finished.rawValue])
            guard let row, let cost = row["cost"] as Double?, let slo = row["slo"] as Double? else { return nil }
            return Point(label: label, cost: cost, slo: slo)
        }
    }

    /// Points no other point beats on both cost and SLO-violation minutes.
    static func paretoFront(_ ps: [(cost: Double, slo: Double)]) -> [Int] {
        ps.indices.filter { i in
            !ps.indices.contains { j in j != i && ps[j].cost <= ps[i].cost && ps[j].slo <= ps[i].slo && (ps[j].cost < ps[i].cost || ps[j].slo < ps[i].slo) }
        }
    }

    @discardableResult
    public func render(scenario: String, labels: [String], keys: [String], prefix: String? = nil) throws -> [String] {
        let gnuplot = try Gnuplot()
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let db = try DatabaseQueue(path: databasePath)
        let pts = try db.read { try points($0, scenario: scenario, labels: labels) }
        guard !pts.isEmpty else { return [] }
        let base = prefix ?? "\(scenario)-sweep"
        var files: [String] = []
        let front = Set(SweepCharts.paretoFront(pts.map { ($0.cost, $0.slo) }))
        let scatter = try Script.outputPath(directory: outputDirectory, name: "\(base)-cost-vs-slo.\(format.rawValue)")
        var s = Script.header(format: format, output: scatter, title: "Cost vs SLO violation — \(scenario) (mean per setting)", ylabel: "SLO-violation minutes")
        s = s.replacingOccurrences(of: "set xlabel 'time (hours since start)'", with: "set xlabel 'cost ($ per run)'")
        s += Script.datablock("all", pts.map { [$0.cost, $0.slo] })
        let frontPts = pts.enumerated().filter { front.contains($0.offset) }.map(\.element).sorted { $0.cost < $1.cost }
        s += Script.datablock("front", frontPts.map { [$0.cost, $0.slo] })
        for p in pts { s += "set label \(Script.literal(p.label)) noenhanced at \(p.cost), \(p.slo) offset 0.8,0.6 font ',8'\n" }
        s += """
        set offsets graph 0.05, graph 0.25, graph 0.1, 0
        set yrange [0:*]
        plot $all using 1:2 with points pt 7 ps 1.3 lc rgb '#1f77b4' title 'setting', \\
             $front using 1:2 with linespoints pt 6 ps 2 lw 1.5 lc rgb '#d62728' title 'Pareto front'

        """
        try gnuplot.run(s)
        files.append(scatter)

        // A heatmap when the first two swept parameters are numeric.
        if keys.count >= 2 {
            let grid = pts.compactMap { p -> (Double, Double, Double)? in
                let kv = Dictionary(p.label.split(separator: ",").compactMap { part -> (String, String)? in
                    let x = part.split(separator: "=", maxSplits: 1).map(String.init)
                    return x.count == 2 ? (x[0], x[1]) : nil
                }, uniquingKeysWith: { a, _ in a })
                guard let x = kv[keys[0]].flatMap(Double.init), let y = kv[keys[1]].flatMap(Double.init) else { return nil }
                return (x, y, p.slo)
            }
            // With more swept keys, cells average over the others.
            var cells: [String: (Double, Double, Double, Int)] = [:]
            for (x, y, z) in grid {
                let k = "\(x)|\(y)"
                let c = cells[k] ?? (x, y, 0, 0)
                cells[k] = (x, y, c.2 + z, c.3 + 1)
            }
            if cells.count >= 2 {
                let heat = try Script.outputPath(directory: outputDirectory, name: "\(base)-heatmap.\(format.rawValue)")
                var h = Script.header(format: format, output: heat, title: "SLO-violation minutes — \(scenario): \(keys[0]) × \(keys[1])", ylabel: keys[1])
                h = h.replacingOccurrences(of: "set xlabel 'time (hours since start)'", with: "set xlabel \(Script.literal(keys[0])) noenhanced")
                let rows = cells.values.map { [$0.0, $0.1, $0.2 / Double($0.3)] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
                h += Script.datablock("h", rows)
                h += """
                set palette defined (0 '#2ca02c', 1 '#ffdd57', 2 '#d62728')
                set cblabel 'SLO-violation minutes (mean)'
                set key off
                set offsets 0.5, 0.5, 0.5, 0.5
                plot $h using 1:2:3 with points pt 5 ps 4 palette notitle, $h using 1:2:(sprintf('%.1f', $3)) with labels font ',8' notitle

                """
                try gnuplot.run(h)
                files.append(heat)
            }
        }
        return files
    }
}
