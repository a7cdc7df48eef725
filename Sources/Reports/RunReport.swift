import Foundation
import Recorder
import SimulationKernel
import Statistics
import Telemetry

/// The summary tables `run` and `show` print, read back from the database so both always agree.
public enum SummaryReport {
    public static func format(_ v: Double?, _ style: Style) -> String {
        guard let v, v.isFinite else { return "–" }
        switch style {
        case .count: return String(Int(v.rounded()))
        case .percent: return String(format: "%.3f%%", v * 100)
        case .millis: return String(format: "%.0f ms", v * 1000)
        case .millis1: return String(format: "%.1f ms", v * 1000)
        case .minutes: return String(format: "%.2f", v)
        case .money: return String(format: "$%.2f", v)
        case .plain: return String(format: "%.2f", v)
        case .plain3: return String(format: "%.3f", v)
        case .percent1: return String(format: "%.1f%%", v * 100)
        }
    }
    public enum Style: Sendable { case count, percent, percent1, millis, millis1, minutes, money, plain, plain3 }

    /// One run: a row per service plus the whole-run line.
    public static func run(_ store: ResultsStore, _ id: Int64, allModels: Bool = false) throws -> String {
        let figures = try store.summary(run: id)
        let services = try store.services(run: id)
        var t = TextTable(["service", "requests", "availability", "p50", "p95", "p99", "mean queue wait", "SLO-violation min", "replica cost",
                           "mean replicas"])
        for name in services {
            let s = SummarySubject.service(name)
            t.add([name, format(figures[s, .requests], .count), format(figures[s, .availability], .percent), format(figures[s, .p50], .millis),
                   format(figures[s, .p95], .millis), format(figures[s, .p99], .millis), format(figures[s, .meanQueueWait], .millis1),
                   format(figures[s, .sloViolationMinutes], .minutes),
                   format(figures[s, .replicaCost], .money), format(figures[s, .meanReplicas], .plain)])
        }
        var out = t.rendered
        out += "\n\nSLO-violation minutes: \(format(figures[.run, .sloViolationMinutes], .minutes))"
        out += "   availability: \(format(figures[.run, .availability], .percent))"
        out += "   cost: \(format(figures[.run, .cost], .money)) (nodes \(format(figures[.run, .nodeCost], .money)))"
        let faults = figures.faults
        if !faults.isEmpty {
            var t = TextTable(["fault", "starts", "time to detect", "time to mitigate", "recovery time"])
            func secs(_ v: Double?, _ missing: String) -> String { v.map { String(format: "%.0f s", $0) } ?? missing }
            for name in faults {
                let f = SummarySubject.fault(name)
                t.add([name, SimDuration.seconds(figures[f, .faultStart] ?? 0).description, secs(figures[f, .detect], "not detected"),
                       secs(figures[f, .mitigate], "none"), secs(figures[f, .recovery], "not recovered")])
            }
            out += "\n\n" + t.rendered
        }
        let probes = figures.probes
        if !probes.isEmpty {
            out += "\n\nSteady-state hypothesis: " + probes.map { name in
                let phases = [(SummaryMetric.probeBefore, "before"), (.probeAfter, "after")].compactMap { metric, phase in
                    figures[.probe(name), metric].map { "\(phase) \($0 == 1 ? "✓" : "✗")" }
                }
                return "\(name) (\(phases.joined(separator: ", ")))"
            }.joined(separator: "; ")
            out += String(format: "\nResilience score: %.0f%%", (figures[.run, .resilienceScore] ?? 1) * 100)
        }
        let accuracy = try store.accuracy(run: id)
        if !accuracy.isEmpty { out += "\n\n" + accuracyTable(accuracy, models: allModels ? nil : ["auto"]) }
        return out
    }

    /// Prediction accuracy per service and horizon (the Definitions article's definitions).
    public static func accuracyTable(_ records: [AccuracyRecord], models: Set<String>?) -> String {
        var t = TextTable(["service", "metric", "model", "horizon", "forecasts", "accuracy", "MAPE", "sMAPE", "MASE", "hit ±10%", "coverage"])
        for r in records where models?.contains(r.model) ?? true {
            t.add([r.service, r.metric, r.model, "\(SimDuration.seconds(r.horizon))", String(r.count), format(r.accuracy, .percent1),
                   format(r.mape, .percent1), format(r.smape, .percent1), format(r.mase, .plain3), format(r.hitRate, .percent1),
                   format(r.coverage, .percent1)])
        }
        return "Prediction accuracy\(models == nil ? "" : " (auto model; --models for every model)"):\n" + t.rendered
    }

    /// Several runs of one kind (replications): each figure as mean ± 95 % CI half-width.
    public static func replications(_ store: ResultsStore, _ ids: [Int64]) throws -> String {
        let all = try ids.map { try store.summary(run: $0) }
        guard let first = ids.first else { return "" }
        let services = try store.services(run: first)
        func cell(_ subject: SummarySubject, _ metric: SummaryMetric, _ style: Style) -> String {
            estimateCell(all.compactMap { $0[subject, metric] }, style, runs: ids.count)
        }
        var t = TextTable(["service", "availability", "p95", "p99", "SLO-violation min", "replica cost"])
        for name in services {
            let s = SummarySubject.service(name)
            t.add([name, cell(s, .availability, .percent), cell(s, .p95, .millis), cell(s, .p99, .millis),
                   cell(s, .sloViolationMinutes, .minutes), cell(s, .replicaCost, .money)])
        }
        t.add(["(run)", cell(.run, .availability, .percent), "", "", cell(.run, .sloViolationMinutes, .minutes), cell(.run, .cost, .money)])
        return "\(ids.count) replications (mean ± 95% CI half-width):\n" + t.rendered
    }

    /// "mean ±half-width" of a figure over several runs (the 95 % Student-t interval), or the value of one.
    static func estimateCell(_ values: [Double], _ style: Style, runs: Int) -> String {
        guard !values.isEmpty else { return "–" }
        let e = MeanEstimate(values, confidence: 0.95)
        return runs > 1 ? "\(format(e.mean, style)) ±\(format(e.halfWidth, style))" : format(e.mean, style)
    }
}
