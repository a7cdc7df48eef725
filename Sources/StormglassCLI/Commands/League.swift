import Telemetry
import ArgumentParser
import ControlPlane
import Foundation
import Lab
import Recorder
import Reports
import ScenarioKit
import SimulationKernel

struct League: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A policy league on public traces: every trace of a folder replayed through one standard service under each policy, on the same seeds.",
        discussion: """
        The standard service (docs/results/league.md): one service whose load follows the trace, rescaled to \
        --peak requests/s; one request at a time per replica, gamma work (median 100 ms, p99 300 ms), \
        90 s lognormal start-up, 2…60 replicas at $0.05 an hour, SLO p95 ≤ 1 s and ≤ 1 % errors. \
        Each policy is judged against the HPA on the same trace: fewer SLO-violation minutes at no more than \
        +10 % cost win; equal minutes (within half a minute or 5 %) win at ≥ 1 % less cost, tie up to +3 %.
        Example: \(CommandName.current) league --traces traces/nab --policy hpa --policy predictive --replications 2
        """)

    @Option(help: "A folder of `timestamp,value` CSV traces, one file, or promql:'QUERY' with --prometheus.")
    var traces: String = "traces/nab"

    @Option(name: .customLong("policy"), help: "A policy (repeatable; default \(League.defaultPolicies.joined(separator: ", "))): \(ScalingPolicies.knownNames.joined(separator: ", ")).")
    var policies: [String] = []

    static let defaultPolicies = ["hpa", "predictive", "aws-predictive", "gcp-predictive", "azure-predictive", "crane-percentile"]

    @Option(name: .customLong("scenario"), help: "Also run this scenario under each policy (repeatable).")
    var scenarios: [String] = []

    @Option(help: "Seeds per trace and policy (seed, seed+1, …).")
    var replications: Int = PolicyLeague.defaultReplications

    @Option(help: "First seed.")
    var seed: UInt64 = 1

    @Option(help: "Requests per second at each trace's highest point.")
    var peak: Double = 50

    @Option(help: "Longest simulated time per trace (longer traces are cut).")
    var longest: String = "14d"

    @OptionGroup var source: PrometheusOptions
    @OptionGroup var database: DatabaseOption
    @OptionGroup var charts: ChartOptions

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        try source.install()
        let policies = self.policies.isEmpty ? Self.defaultPolicies : self.policies
        var problems: [String] = []
        if !(1...1000).contains(replications) { problems.append("--replications \(replications): must be in 1…1000") }
        if !(peak.isFinite && peak > 0 && peak <= 100_000) { problems.append("--peak \(peak): must be in (0, 100000] requests/s") }
        let longest = SimDuration(parsing: self.longest)
        if longest == nil || longest! < .minutes(1) || longest! > .days(366) { problems.append("--longest \(self.longest): not a duration from 1m to 366d") }
        for p in policies where ScalingPolicies.named(p) == nil {
            problems.append("--policy \(p): no such policy (\(ScalingPolicies.knownNames.joined(separator: ", ")))")
        }
        if Set(policies).count != policies.count { problems.append("--policy: each policy once") }
        let files = traceFiles(traces, option: "--traces", problems: &problems)
        var extra: [ScenarioSpec] = []
        for name in scenarios {
            if let s = ScenarioCatalog.named(name) { extra.append(s.spec) } else {
                problems.append("--scenario \(name): no such scenario (\(ScenarioCatalog.all.map(\.name).joined(separator: ", ")))")
            }
        }
        guard problems.isEmpty, let longest else { throw InputError(problems.joined(separator: "\n")) }
        let league = PolicyLeague(traces: files, policies: policies, replications: replications, seed: seed,
                                  model: PolicyLeague.Model(peak: peak, longest: longest))
        let jobs: [RunJob]
        jobs = try league.jobs(extra: extra)
        let recording = try database.recording(default: .summaries)
        let store = try database.openForRecording()
        var executor = RunExecutor(store: store, progress: progress.line)
        executor.recording = recording
        let done = try executor.run(jobs)
        if Interrupt.isRequested { throw ExitCode.interrupted }
        let baseline = policies.contains("hpa") ? "hpa" : policies[0]
        let entries = try PolicyLeague.entries(store, runs: done, baseline: baseline)
        print(Self.render(entries, policies: policies, baseline: baseline, traces: files.count + extra.count, replications: replications, seed: seed, peak: peak))
        // A forecast-only policy scaled like the HPA; say what enabling it would have done.
        var impacts: [String: [ForecastOnlyImpact]] = [:]
        for d in done { impacts["\(d.job.spec.name)|\(d.job.label)", default: []] += try ForecastOnlyImpact.estimate(store, run: d.runID) }
        let dry = impacts.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
        if !dry.isEmpty {
            var t = TextTable(["trace", "policy", "SLO-violation min", "enabled (est.)", "cost", "enabled (est.)"])
            for (key, list) in dry {
                let parts = key.split(separator: "|").map(String.init)
                let n = Double(list.count)
                t.add([parts[0].replacingOccurrences(of: "league-", with: ""), parts[1],
                       String(format: "%.1f", list.map(\.sloMinutes).reduce(0, +) / n), String(format: "%.1f", list.map(\.estimatedSLOMinutes).reduce(0, +) / n),
                       String(format: "$%.2f", list.map(\.cost).reduce(0, +) / n), String(format: "$%.2f", list.map(\.estimatedCost).reduce(0, +) / n)])
            }
            print("\nforecast-only policies: what enabling them would have changed (estimated from the same runs):\n" + t.rendered)
        }
        if charts.plots {
            for name in Set(entries.map(\.trace)).sorted() {
                charts.drawSweep(database: database.db, scenario: name, labels: policies, keys: ["policy"], prefix: name)
            }
        }
        print("\nresults: \(database.db) (runs \(done.map(\.runID).min() ?? 0)…\(done.map(\.runID).max() ?? 0))")
    }

    static func render(_ entries: [PolicyLeague.Entry], policies: [String], baseline: String, traces: Int, replications: Int, seed: UInt64, peak: Double) -> String {
        var out = "league: \(traces) trace\(traces == 1 ? "" : "s") × \(policies.count) policies × \(replications) seed\(replications == 1 ? "" : "s") (from \(seed)), peak \(String(format: "%g", peak)) req/s; means over the seeds\n"
        var t = TextTable(["trace", "policy", "SLO-violation min", "cost", "cost vs \(baseline)", "scaling actions", "oscillations", "vs \(baseline)"])
        var hpaCost: [String: Double] = [:]
        for e in entries where e.policy == baseline { hpaCost[e.trace] = e.cost }
        for e in entries {
            let ratio = hpaCost[e.trace].map { $0 > 0 ? String(format: "%+.1f%%", (e.cost / $0 - 1) * 100) : "–" } ?? "–"
            t.add([e.trace.replacingOccurrences(of: "league-", with: ""), e.policy, String(format: "%.1f", e.sloMinutes), String(format: "$%.2f", e.cost),
                   e.policy == baseline ? "" : ratio, String(format: "%.0f", e.scalingActions), String(format: "%.0f", e.oscillations), e.verdict?.rawValue ?? ""])
        }
        out += t.rendered + "\n"
        var s = TextTable(["policy", "wins", "ties", "losses", "SLO-violation min (total)", "cost (total)"])
        for p in policies {
            let mine = entries.filter { $0.policy == p }
            func count(_ v: PolicyLeague.Verdict) -> String { p == baseline ? "" : String(mine.filter { $0.verdict == v }.count) }
            s.add([p, count(.win), count(.tie), count(.loss), String(format: "%.1f", mine.map(\.sloMinutes).reduce(0, +)),
                   String(format: "$%.2f", mine.map(\.cost).reduce(0, +))])
        }
        out += "\nagainst \(baseline):\n" + s.rendered
        return out
    }
}
