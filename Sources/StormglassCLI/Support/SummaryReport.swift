import Foundation
import Recorder
import SimulationKernel
import Telemetry

/// The summary tables `run` and `show` print, read back from the database so both always agree.
enum SummaryReport {
    static func format(_ v: Double?, _ style: Style) -> String {
        guard let v, v.isFinite else { return "–" }
        switch style {
        case .count: return String(Int(v.rounded()))
        case .percent: return String(format: "%.3f%%", v * 100)
        case .millis: return String(format: "%.0f ms", v * 1000)
        case .minutes: return String(format: "%.2f", v)
        case .money: return String(format: "$%.2f", v)
        case .plain: return String(format: "%.2f", v)
        case .plain3: return String(format: "%.3f", v)
        case .percent1: return String(format: "%.1f%%", v * 100)
        }
    }
    enum Style { case count, percent, percent1, millis, minutes, money, plain, plain3 }

    /// One run: a row per service plus the whole-run line.
    static func run(_ store: ResultsStore, _ id: Int64, allModels: Bool = false) throws -> String {
        let figures = try store.summary(run: id)
        let services = try store.services(run: id)
        var t = TextTable(["service", "requests", "availability", "p50", "p95", "p99", "SLO-violation min", "replica cost", "mean replicas"])
        for s in services {
            let f = figures[s] ?? [:]
            t.add([s, format(f["requests"], .count), format(f["availability"], .percent), format(f["p50_s"], .millis),
                   format(f["p95_s"], .millis), format(f["p99_s"], .millis), format(f["slo_violation_minutes"], .minutes),
                   format(f["replica_cost"], .money), format(f["mean_replicas"], .plain)])
        }
        let all = figures["*"] ?? [:]
        var out = t.rendered
        out += "\n\nSLO-violation minutes: \(format(all["slo_violation_minutes"], .minutes))"
        out += "   availability: \(format(all["availability"], .percent))"
        out += "   cost: \(format(all["cost"], .money)) (nodes \(format(all["node_cost"], .money)))"
        let faults = figures.keys.filter { $0.hasPrefix("fault:") }.sorted { (figures[$0]?["start_s"] ?? 0) < (figures[$1]?["start_s"] ?? 0) }
        if !faults.isEmpty {
            var t = TextTable(["fault", "starts", "time to detect", "time to mitigate", "recovery time"])
            func secs(_ v: Double?, _ missing: String) -> String { v.map { String(format: "%.0f s", $0) } ?? missing }
            for f in faults {
                let x = figures[f]!
                t.add([String(f.dropFirst(6)), SimDuration.seconds(x["start_s"] ?? 0).description, secs(x["detect_s"], "not detected"),
                       secs(x["mitigate_s"], "none"), secs(x["recovery_s"], "not recovered")])
            }
            out += "\n\n" + t.rendered
        }
        let probes = figures.keys.filter { $0.hasPrefix("probe:") }.sorted()
        if !probes.isEmpty {
            out += "\n\nSteady-state hypothesis: " + probes.map { p in
                let x = figures[p]!
                let phases = ["before", "after"].compactMap { ph in x[ph].map { "\(ph) \($0 == 1 ? "✓" : "✗")" } }
                return "\(p.dropFirst(6)) (\(phases.joined(separator: ", ")))"
            }.joined(separator: "; ")
            out += String(format: "\nResilience score: %.0f%%", (all["resilience_score"] ?? 1) * 100)
        }
        let accuracy = try store.accuracy(run: id)
        if !accuracy.isEmpty { out += "\n\n" + accuracyTable(accuracy, models: allModels ? nil : ["auto"]) }
        return out
    }

    /// Prediction accuracy per service and horizon (DESIGN.md's definitions).
    static func accuracyTable(_ records: [AccuracyRecord], models: Set<String>?) -> String {
        var t = TextTable(["service", "metric", "model", "horizon", "forecasts", "accuracy", "MAPE", "sMAPE", "MASE", "hit ±10%", "coverage"])
        for r in records where models?.contains(r.model) ?? true {
            t.add([r.service, r.metric, r.model, "\(SimDuration.seconds(r.horizon))", String(r.count), format(r.accuracy, .percent1),
                   format(r.mape, .percent1), format(r.smape, .percent1), format(r.mase, .plain3), format(r.hitRate, .percent1),
                   format(r.coverage, .percent1)])
        }
        return "Prediction accuracy\(models == nil ? "" : " (auto model; --models for every model)"):\n" + t.rendered
    }

    /// Several runs of one kind (replications): each figure as mean ± 95 % CI half-width.
    static func replications(_ store: ResultsStore, _ ids: [Int64]) throws -> String {
        let all = try ids.map { try store.summary(run: $0) }
        guard let first = ids.first else { return "" }
        let services = try store.services(run: first)
        func stat(_ service: String, _ metric: String) -> (Double, Double)? {
            let xs = all.compactMap { $0[service]?[metric] }
            guard !xs.isEmpty else { return nil }
            return Statistics.meanAndHalfWidth95(xs)
        }
        func cell(_ service: String, _ metric: String, _ style: Style) -> String {
            guard let (m, h) = stat(service, metric) else { return "–" }
            return ids.count > 1 ? "\(format(m, style)) ±\(format(h, style))" : format(m, style)
        }
        var t = TextTable(["service", "availability", "p95", "p99", "SLO-violation min", "replica cost"])
        for s in services {
            t.add([s, cell(s, "availability", .percent), cell(s, "p95_s", .millis), cell(s, "p99_s", .millis),
                   cell(s, "slo_violation_minutes", .minutes), cell(s, "replica_cost", .money)])
        }
        t.add(["(run)", cell("*", "availability", .percent), "", "", cell("*", "slo_violation_minutes", .minutes), cell("*", "cost", .money)])
        return "\(ids.count) replications (mean ± 95% CI half-width):\n" + t.rendered
    }
}

/// Small statistics used by reports and gates.
enum Statistics {
    /// Mean and the 95 % Student-t half-width (0 for one value).
    static func meanAndHalfWidth95(_ xs: [Double]) -> (Double, Double) {
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        guard xs.count > 1 else { return (mean, 0) }
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, tQuantile975(df: xs.count - 1) * (variance / n).squareRoot())
    }

    /// Two-sided 95 % Student-t quantile.
    static func tQuantile975(df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df >= 1 && df <= table.count { return table[df - 1] }
        return df > 120 ? 1.96 : 2.0
    }
}
