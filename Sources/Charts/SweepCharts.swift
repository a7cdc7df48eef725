import Foundation
import Recorder
import Telemetry

/// Charts across runs: one point per policy or sweep setting.
public struct SweepCharts {
    public let databasePath: String
    public let outputDirectory: String
    public let format: ChartFormat

    public init(databasePath: String, outputDirectory: String = "plots", format: ChartFormat = .png) {
        self.databasePath = databasePath; self.outputDirectory = outputDirectory; self.format = format
    }

    /// Mean cost and SLO-violation minutes of one setting's finished runs.
    struct Point { var label: String; var cost: Double; var slo: Double }

    static func points(_ store: ResultsStore, scenario: String, labels: [String]) throws -> [Point] {
        let runs = try store.runs().filter { $0.scenario == scenario && $0.status == .finished }
        return try labels.compactMap { label in
            let figures = try runs.filter { $0.label == label }.map { try store.summary(run: $0.id) }
            let costs = figures.compactMap { $0[.run, .cost] }, slos = figures.compactMap { $0[.run, .sloViolationMinutes] }
            guard !costs.isEmpty, !slos.isEmpty else { return nil }
            return Point(label: label, cost: costs.reduce(0, +) / Double(costs.count), slo: slos.reduce(0, +) / Double(slos.count))
        }
    }

    /// Points no other point beats on both cost and SLO-violation minutes.
    static func paretoFront(_ ps: [(cost: Double, slo: Double)]) -> [Int] {
        ps.indices.filter { i in
            !ps.indices.contains { j in j != i && ps[j].cost <= ps[i].cost && ps[j].slo <= ps[i].slo && (ps[j].cost < ps[i].cost || ps[j].slo < ps[i].slo) }
        }
    }

    @discardableResult
    public func render(scenario: String, labels: [String], keys: [String], prefix: String? = nil) async throws -> [String] {
        let gnuplot = try Gnuplot()
        let pts = try Self.points(try ResultsStore.open(existing: databasePath), scenario: scenario, labels: labels)
        guard !pts.isEmpty else { return [] }
        do { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) } catch {
            throw ChartError.unwritable(outputDirectory)
        }
        let base = prefix ?? "\(scenario)-sweep"
        var files: [String] = []
        let scatter = try GnuplotScript.outputPath(directory: outputDirectory, name: "\(base)-cost-vs-slo.\(format.rawValue)")
        var s = GnuplotScript(format: format, output: scatter)
        CostVsSLOChart(scenario: scenario, points: pts, front: Set(Self.paretoFront(pts.map { ($0.cost, $0.slo) }))).draw(into: &s)
        try await gnuplot.run(s, output: scatter)
        files.append(scatter)
        if keys.count >= 2, let heatmap = HeatmapChart(scenario: scenario, points: pts, x: keys[0], y: keys[1]) {
            let file = try GnuplotScript.outputPath(directory: outputDirectory, name: "\(base)-heatmap.\(format.rawValue)")
            var h = GnuplotScript(format: format, output: file)
            heatmap.draw(into: &h)
            try await gnuplot.run(h, output: file)
            files.append(file)
        }
        return files
    }
}

/// Cost against SLO-violation minutes, one point per setting, the Pareto front joined.
struct CostVsSLOChart {
    var scenario: String
    var points: [SweepCharts.Point]
    var front: Set<Int>

    func draw(into s: inout GnuplotScript) {
        s.set(.title, "Cost vs SLO violation — \(scenario) (mean per setting)")
        s.set(.xlabel, "cost ($ per run)")
        s.set(.ylabel, "SLO-violation minutes")
        s.data("all", points.map { [$0.cost, $0.slo] })
        s.data("front", points.enumerated().filter { front.contains($0.offset) }.map(\.element).sorted { $0.cost < $1.cost }.map { [$0.cost, $0.slo] })
        // Settings that land on the same spot (several policies that never acted differently) share one label.
        var spots: [(cost: Double, slo: Double, labels: [String])] = []
        for p in points {
            if let i = spots.firstIndex(where: { abs($0.cost - p.cost) <= 0.002 * max(1, abs(p.cost)) && abs($0.slo - p.slo) < 0.05 }) {
                spots[i].labels.append(p.label)
            } else {
                spots.append((p.cost, p.slo, [p.label]))
            }
        }
        for spot in spots { s.label(spot.labels.joined(separator: ", "), at: spot.cost, spot.slo) }
        s.code("set offsets graph 0.05, graph 0.25, graph 0.1, 0")
        s.range(.y, 0, nil)
        s.plot([.data("all", using: "1:2", "with points pt 7 ps 1.3", .setting, title: "setting"),
                .data("front", using: "1:2", "with linespoints pt 6 ps 2 lw 1.5", .pareto, title: "Pareto front")])
    }
}

/// SLO-violation minutes over two swept parameters: one cell per pair of swept values (averaged over
/// any other swept keys), ticks at exactly the swept values, a solid colour scale.
struct HeatmapChart {
    var scenario: String, x: String, y: String
    var xs: [Double], ys: [Double]
    var cells: [[Double]]   // [yIndex][xIndex], nan where no run

    init?(scenario: String, points: [SweepCharts.Point], x: String, y: String) {
        var sums: [Double: [Double: (Double, Int)]] = [:]
        for p in points {
            let kv = Dictionary(p.label.split(separator: ",").compactMap { part -> (String, String)? in
                let f = part.split(separator: "=", maxSplits: 1).map(String.init)
                return f.count == 2 ? (f[0], f[1]) : nil
            }, uniquingKeysWith: { a, _ in a })
            guard let vx = kv[x].flatMap(Double.init), let vy = kv[y].flatMap(Double.init) else { continue }
            let c = sums[vx]?[vy] ?? (0, 0)
            sums[vx, default: [:]][vy] = (c.0 + p.slo, c.1 + 1)
        }
        let xs = sums.keys.sorted(), ys = Set(sums.values.flatMap(\.keys)).sorted()
        guard xs.count * ys.count >= 2 else { return nil }
        self.scenario = scenario; self.x = x; self.y = y; self.xs = xs; self.ys = ys
        cells = ys.map { vy in xs.map { vx in sums[vx]?[vy].map { $0.0 / Double($0.1) } ?? .nan } }
    }

    func draw(into s: inout GnuplotScript) {
        s.set(.title, "SLO-violation minutes — \(scenario): \(x) × \(y)")
        s.set(.xlabel, x)
        s.set(.ylabel, y)
        s.set(.cblabel, "SLO-violation minutes (mean)")
        var rows: [[Double]] = []
        for (j, row) in cells.enumerated() { for (i, z) in row.enumerated() { rows.append([Double(i), Double(j), z]) } }
        s.data("h", rows)
        s.code("""
        set style fill solid 1.0 noborder
        set palette defined (0 '#2ca02c', 1 '#ffdd57', 2 '#d62728')
        set key off
        set offsets 0, 0, 0, 0
        set grid noytics
        set tics out
        """)
        s.range(.x, -0.5, Double(xs.count) - 0.5)
        s.range(.y, -0.5, Double(ys.count) - 0.5)
        s.range(.cb, 0, nil)
        s.tics(.x, xs.enumerated().map { (label: String(format: "%g", $0.element), at: Double($0.offset)) })
        s.tics(.y, ys.enumerated().map { (label: String(format: "%g", $0.element), at: Double($0.offset)) })
        s.plot([.raw("$h using 1:2:3 with image"), .raw("$h using 1:2:(sprintf('%.1f', $3)) with labels font ',9' tc rgb '#000000'")])
    }
}
