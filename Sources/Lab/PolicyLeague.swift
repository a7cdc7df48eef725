import ClusterModel
import ControlPlane
import Foundation
import Recorder
import ScenarioKit
import SimulationKernel
import Telemetry

/// Every trace of a folder replayed through one standard service under each policy, on the same seeds,
/// and each policy judged against the HPA on the same trace.
public struct PolicyLeague: Sendable {
    /// The standard service a trace is replayed into; the same for every trace and policy.
    ///
    /// One service whose load follows the trace, rescaled so its highest point is `peak` requests/s.
    /// Each replica serves one request at a time (gamma work, median 100 ms, p99 300 ms: about
    /// 9 requests/s at full CPU), takes a lognormal 90 s (p99 240 s) to start, and costs $0.05 an
    /// hour; 2…60 replicas; the SLO is p95 ≤ 1 s and errors ≤ 1 %. Only queueing breaches it: a quiet
    /// 15 s interval holds a handful of requests, so its p95 is its slowest one, and the work's own
    /// tail must stay under a second. A gamma's does (one request in 8·10⁹); a lognormal's with the
    /// same median and p99 does not (one in 2·10⁶: on the tweet traces, one interval in a fortnight
    /// that breached under every policy, a single slow request on an idle replica). One free node
    /// holds every replica, so cost is the replicas'. Runs last the trace's length, at most `longest`.
    public struct Model: Sendable, Equatable {
        public var peak: Double = 50
        public var longest: SimDuration = .days(14)
        public init(peak: Double = 50, longest: SimDuration = .days(14)) { self.peak = peak; self.longest = longest }

        /// One request's work: gamma, shape 3.2912 and scale 33.732 ms, the one whose median is
        /// 100 ms and p99 300 ms (mean 111 ms; scipy.stats.gamma.ppf).
        public static let work = Distribution.gamma(shape: 3.2912, scale: 0.033732)

        /// The replicas the service starts with: what the trace's first rate needs at the HPA's 60 %
        /// target (so no policy is judged on a cold start it had no history to foresee), within 2…60.
        public func initialReplicas(firstRate: Double) -> Int {
            let perReplica = 0.6 / Self.work.mean
            return min(60, max(2, Int((firstRate / perReplica).rounded(.up))))
        }

        public func scenario(trace path: String, name: String, duration: SimDuration, firstRate: Double = 0) -> ScenarioSpec {
            Scenario(name, "League: \((path as NSString).lastPathComponent) replayed into the standard service") {
                RunFor(duration)
                // One free node that holds all 60 replicas: placement cannot matter (the results are
                // those of eight nodes), and a run records one node's scrapes, not eight's (48 MB a
                // fortnight's run, not 80).
                NodePool("general", count: 1, cpuMillicores: 32000, memoryMiB: 65536, pricePerHour: 0)
                Service("app") {
                    Replicas(initialReplicas(firstRate: firstRate), min: 2, max: 60)
                    Concurrency(1)
                    Resources(cpuMillicores: 500, memoryMiB: 512)
                    ServiceTime(Self.work)
                    Startup(.lognormal(median: 90, p99: 240))
                    SLO(p95: .seconds(1), errorRate: 0.01)
                    Price(perReplicaHour: 0.05)
                    Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
                }
                Traffic(to: "app", replaying: path, valuesAre: .countPerRow, peak: peak)
            }.spec
        }
    }

    public var traces: [String]
    public var policies: [String]
    public var replications: Int
    public var seed: UInt64
    public var model: Model

    /// Seeds per trace and policy unless asked otherwise. Four, not two: on a quiet trace the
    /// breaches come from one to three bursts a fortnight, and whether a replica arrives in time is
    /// the luck of its start-up draws.
    public static let defaultReplications = 4

    public init(traces: [String], policies: [String], replications: Int = defaultReplications, seed: UInt64 = 1, model: Model = Model()) {
        self.traces = traces; self.policies = policies; self.replications = replications; self.seed = seed; self.model = model
    }

    /// The league's name for a trace file: `league-` and its name without `.csv`.
    public static func scenarioName(trace path: String) -> String {
        "league-" + ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// One job per trace, policy and seed; every problem of every trace at once.
    public func jobs(extra: [ScenarioSpec] = []) throws -> [RunJob] {
        var problems: [String] = []
        var specs: [ScenarioSpec] = []
        for path in traces {
            let series: MetricSeries
            do { series = try MetricSeries.load(path, options: TraceReadOptions(nonNegative: true, repeatedTimestamps: true)) } catch {
                problems.append("\(error)"); continue
            }
            guard series.points.count >= 2 else { problems.append("\(path): need at least 2 rows"); continue }
            let span = series.points.last!.time - series.points.first!.time + series.typicalInterval
            let duration = min(model.longest, SimDuration.seconds(span.rounded(.down)))
            let highest = series.points.map(\.value).max() ?? 0
            let firstRate = highest > 0 ? series.points[0].value / highest * model.peak : 0
            let spec = model.scenario(trace: path, name: Self.scenarioName(trace: path), duration: duration, firstRate: firstRate)
            problems += spec.validate().map { "\(path): \($0)" }
            specs.append(spec)
        }
        guard problems.isEmpty else { throw InvalidInput(problems.joined(separator: "\n")) }
        var jobs: [RunJob] = []
        for base in specs + extra {
            for p in policies {
                var spec = base
                do { try spec.set("policy", p) } catch { throw InvalidInput("\(base.name): \(error)") }
                for r in 0..<replications {
                    jobs.append(RunJob(spec: spec, seed: seed &+ UInt64(r), label: p, replication: r,
                                       parameters: ["policy": p, "league": "1"]))
                }
            }
        }
        return jobs
    }

    /// One policy on one trace: means over the seeds.
    public struct Entry: Sendable {
        public var trace: String, policy: String
        public var sloMinutes: Double, cost: Double, scalingActions: Double, oscillations: Double
        public var verdict: Verdict?
    }

    /// How a policy did against the HPA on the same trace and seeds.
    public enum Verdict: String, Sendable {
        case win, tie, loss
    }

    /// The rule, stated once (docs/results/league.md): SLO-violation minutes count as equal within
    /// half a minute or 5 % of the HPA's. More minutes lose. Fewer minutes win when the cost is at
    /// most 10 % above the HPA's, and lose otherwise. Equal minutes win at a cost at least 1 %
    /// below the HPA's, tie up to 3 % above it, and lose beyond.
    public static func verdict(_ e: Entry, against hpa: Entry) -> Verdict {
        let tolerance = max(0.5, 0.05 * hpa.sloMinutes)
        let costRatio = hpa.cost > 0 ? e.cost / hpa.cost : 1
        if e.sloMinutes > hpa.sloMinutes + tolerance { return .loss }
        if e.sloMinutes < hpa.sloMinutes - tolerance { return costRatio <= 1.10 ? .win : .loss }
        if costRatio <= 0.99 { return .win }
        return costRatio <= 1.03 ? .tie : .loss
    }

    /// Entries from the recorded runs, in trace then policy order, judged against `baseline`.
    public static func entries(_ store: ResultsStore, runs: [CompletedRun], baseline: String = "hpa") throws -> [Entry] {
        var order: [String] = []
        var grouped: [String: [String: [RunFigures]]] = [:]
        for r in runs {
            let name = r.job.spec.name
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: [:]][r.job.label, default: []].append(try store.summary(run: r.runID))
        }
        let policies = runs.map(\.job.label).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var out: [Entry] = []
        for trace in order {
            var rows: [Entry] = []
            for p in policies {
                guard let figures = grouped[trace]?[p], !figures.isEmpty else { continue }
                func mean(_ f: (RunFigures) -> Double) -> Double { figures.map(f).reduce(0, +) / Double(figures.count) }
                func services(_ m: SummaryMetric) -> (RunFigures) -> Double { { r in r.services.compactMap { r[.service($0), m] }.reduce(0, +) } }
                rows.append(Entry(trace: trace, policy: p, sloMinutes: mean { $0[.run, .sloViolationMinutes] ?? 0 }, cost: mean { $0[.run, .cost] ?? 0 },
                                  scalingActions: mean(services(.scalingActions)), oscillations: mean(services(.oscillations))))
            }
            if let hpa = rows.first(where: { $0.policy == baseline }) {
                for i in rows.indices where rows[i].policy != baseline { rows[i].verdict = verdict(rows[i], against: hpa) }
            }
            out += rows
        }
        return out
    }
}
