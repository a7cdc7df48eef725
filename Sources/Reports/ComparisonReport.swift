import Recorder
import Telemetry

/// Side-by-side figures per group of runs (a policy, a sweep point): mean ± 95 % CI half-width.
public enum ComparisonReport {
    /// One row per group: whole-run SLO minutes, availability and cost; the worst service's p95/p99;
    /// scaling actions and oscillations summed over services.
    public static func table(_ store: ResultsStore, groups: [(String, [Int64])], firstColumn: String = "policy") throws -> String {
        var t = TextTable([firstColumn, "SLO-violation min", "availability", "p95 (worst service)", "p99 (worst service)", "cost", "scaling actions", "oscillations"])
        for (name, ids) in groups {
            let runs = try ids.map { try store.summary(run: $0) }
            func stat(_ values: [Double], _ style: SummaryReport.Style) -> String { SummaryReport.estimateCell(values, style, runs: ids.count) }
            let whole = { (m: SummaryMetric) in runs.compactMap { $0[.run, m] } }
            let worst = { (m: SummaryMetric) in runs.map { r in r.services.compactMap { r[.service($0), m] }.max() ?? 0 } }
            let sum = { (m: SummaryMetric) in runs.map { r in r.services.compactMap { r[.service($0), m] }.reduce(0, +) } }
            t.add([name, stat(whole(.sloViolationMinutes), .minutes), stat(whole(.availability), .percent),
                   stat(worst(.p95), .millis), stat(worst(.p99), .millis), stat(whole(.cost), .money),
                   stat(sum(.scalingActions), .plain), stat(sum(.oscillations), .plain)])
        }
        return t.rendered
    }
}
