import ArgumentParser
import ControlPlane
import Foundation
import Recorder
import ScenarioKit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one scenario under several scaling policies on the same seeds (common random numbers), side by side.",
        discussion: "Example: stormglass compare black-friday --policy hpa --policy predictive --replications 5")

    @Argument(help: "Scenario name.")
    var scenario: String

    @Option(name: .customLong("policy"), help: "A policy for every service: \(ScalingPolicies.knownNames.joined(separator: ", ")) (repeatable).")
    var policies: [String] = []

    @Option(help: "Seeds per policy (seed, seed+1, …); every policy sees the same traffic on each seed.")
    var replications: Int = 1

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var database: DatabaseOption
    @OptionGroup var charts: ChartOptions

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        guard policies.count >= 1 else { throw InputError("give at least one --policy (e.g. --policy hpa --policy predictive)") }
        guard replications >= 1 else { throw InputError("--replications must be ≥ 1") }
        let (base, params) = try options.resolve(scenario)
        var jobs: [RunJob] = []
        for p in policies {
            var spec = base
            do { try spec.set("policy", p) } catch let e as ParameterError { throw InputError(e.description) }
            for r in 0..<replications {
                var ps = params
                ps["policy"] = p
                jobs.append(RunJob(spec: spec, seed: base.seed + UInt64(r), label: p, replication: r, parameters: ps))
            }
        }
        let store = try ResultsStore(path: database.db)
        let done = try RunExecutor(store: store, progress: ProgressLine(quiet: quiet)).run(jobs)
        print("\(scenario): \(policies.count) policies × \(replications) seed\(replications == 1 ? "" : "s") (\(base.seed)…\(base.seed + UInt64(replications - 1))), \(base.duration) each")
        print(try ComparisonReport.table(store, groups: policies.map { p in (p, done.filter { $0.job.label == p }.map(\.runID)) }))
        if charts.plots {
            for p in policies { if let id = done.first(where: { $0.job.label == p })?.runID { charts.draw(database: database.db, run: id, prefix: "\(scenario)-\(p)") } }
            charts.drawSweep(database: database.db, scenario: scenario, labels: policies, keys: ["policy"])
        }
        print("\nresults: \(database.db) (runs \(done.map(\.runID).min() ?? 0)…\(done.map(\.runID).max() ?? 0))")
        if Interrupt.isRequested { throw ExitCode(Exit.interrupted) }
    }
}

/// Side-by-side figures per group of runs (a policy, a sweep point): mean ± 95 % CI half-width.
enum ComparisonReport {
    static let metrics: [(key: String, service: String, title: String, style: SummaryReport.Style)] = [
        ("slo_violation_minutes", "*", "SLO-violation min", .minutes), ("availability", "*", "availability", .percent),
        ("cost", "*", "cost", .money)]

    static func table(_ store: ResultsStore, groups: [(String, [Int64])], firstColumn: String = "policy") throws -> String {
        var t = TextTable([firstColumn, "SLO-violation min", "availability", "p95 (worst service)", "p99 (worst service)", "cost", "scaling actions", "oscillations"])
        for (name, ids) in groups {
            let runs = try ids.map { try store.summary(run: $0) }
            func stat(_ values: [Double], _ style: SummaryReport.Style) -> String {
                guard !values.isEmpty else { return "–" }
                let (m, h) = Statistics.meanAndHalfWidth95(values)
                return ids.count > 1 ? "\(SummaryReport.format(m, style)) ±\(SummaryReport.format(h, style))" : SummaryReport.format(m, style)
            }
            let whole = { (k: String) in runs.compactMap { $0["*"]?[k] } }
            let isService = { (key: String) in key != "*" && !key.contains(":") }
            let worst = { (k: String) in runs.map { r in r.filter { isService($0.key) }.compactMap { $0.value[k] }.max() ?? 0 } }
            let sum = { (k: String) in runs.map { r in r.filter { isService($0.key) }.compactMap { $0.value[k] }.reduce(0, +) } }
            t.add([name, stat(whole("slo_violation_minutes"), .minutes), stat(whole("availability"), .percent),
                   stat(worst("p95_s"), .millis), stat(worst("p99_s"), .millis), stat(whole("cost"), .money),
                   stat(sum("scaling_actions"), .plain), stat(sum("oscillations"), .plain)])
        }
        return t.rendered
    }
}
