import Foundation
import Telemetry

/// The headline figures of one run, each computed exactly as DESIGN.md defines it, from the same
/// scrape stream the database stores (so a SQL query over the samples gives the same numbers).
public struct RunSummary: @unchecked Sendable, Equatable {
    public struct ServiceFigures: Sendable, Equatable {
        public var service: String
        public var requests = 0
        public var completed = 0
        public var errors = 0
        public var breachIntervals = 0
        public var sloViolationMinutes = 0.0
        public var p50 = 0.0, p95 = 0.0, p99 = 0.0
        public var replicaSeconds = 0.0
        public var replicaCost = 0.0
        public var peakReplicas = 0
        /// Applied scaling changes, and oscillations detected (and damped) by the autoscaler.
        public var scalingActions = 0
        public var oscillations = 0
        /// Successful ÷ all finished requests (1 when there were none).
        public var availability: Double { completed + errors > 0 ? Double(completed) / Double(completed + errors) : 1 }
        public var meanReplicas: Double = 0
    }

    public var services: [ServiceFigures]
    public var nodeCost = 0.0
    public var simulatedSeconds = 0.0
    /// Per injected fault: recovery, detection and mitigation times.
    public var impacts: [FaultImpact] = []
    /// Steady-state probes before the faults and after recovery.
    public var probes: [(probe: Probe, phase: String, passed: Bool)] = []

    /// Weighted share of steady-state probes that passed (1 when there are none).
    public var resilienceScore: Double {
        let total = probes.reduce(0) { $0 + $1.probe.weight }
        return total > 0 ? probes.filter(\.passed).reduce(0) { $0 + $1.probe.weight } / total : 1
    }

    public static func == (a: RunSummary, b: RunSummary) -> Bool {
        a.services == b.services && a.nodeCost == b.nodeCost && a.simulatedSeconds == b.simulatedSeconds && a.impacts == b.impacts
    }

    public var sloViolationMinutes: Double { services.reduce(0) { $0 + $1.sloViolationMinutes } }
    public var cost: Double { nodeCost + services.reduce(0) { $0 + $1.replicaCost } }
    public var availability: Double {
        let ok = services.reduce(0) { $0 + $1.completed }, all = services.reduce(0) { $0 + $1.completed + $1.errors }
        return all > 0 ? Double(ok) / Double(all) : 1
    }

    /// Named figures as stored in the `summaries` table (service "*" = whole run).
    public var figures: [(service: String, metric: String, value: Double)] {
        var out: [(String, String, Double)] = []
        for s in services {
            out += [(s.service, "requests", Double(s.requests)), (s.service, "errors", Double(s.errors)),
                    (s.service, "availability", s.availability), (s.service, "slo_violation_minutes", s.sloViolationMinutes),
                    (s.service, "breach_intervals", Double(s.breachIntervals)),
                    (s.service, "p50_s", s.p50), (s.service, "p95_s", s.p95), (s.service, "p99_s", s.p99),
                    (s.service, "replica_cost", s.replicaCost), (s.service, "mean_replicas", s.meanReplicas),
                    (s.service, "peak_replicas", Double(s.peakReplicas)),
                    (s.service, "scaling_actions", Double(s.scalingActions)), (s.service, "oscillations", Double(s.oscillations))]
        }
        out += [("*", "slo_violation_minutes", sloViolationMinutes), ("*", "availability", availability),
                ("*", "cost", cost), ("*", "node_cost", nodeCost), ("*", "simulated_seconds", simulatedSeconds),
                ("*", "resilience_score", resilienceScore)]
        // Fault figures under the fault's name (a missing figure is stored as NULL: not recovered / not detected).
        for f in impacts {
            out += [("fault:" + f.fault, "start_s", f.start), ("fault:" + f.fault, "recovery_s", f.recoverySeconds ?? .nan),
                    ("fault:" + f.fault, "detect_s", f.detectSeconds ?? .nan), ("fault:" + f.fault, "mitigate_s", f.mitigateSeconds ?? .nan)]
        }
        for p in probes { out.append(("probe:" + p.probe.name, p.phase, p.passed ? 1 : 0)) }
        return out
    }
}

/// Accumulates a `RunSummary` scrape by scrape.
struct SummaryAccumulator {
    let slos: [String: SLO]
    let servicePrices: [String: Double]
    let poolPrices: [String: Double]
    var figures: [String: RunSummary.ServiceFigures] = [:]
    var order: [String]
    var nodeCost = 0.0
    var elapsed = 0.0
    var replicaTimeSum: [String: Double] = [:]
    var oscillations: [String: Int] = [:]
    var impacts: [FaultImpact] = []
    var probes: [(probe: Probe, phase: String, passed: Bool)] = []

    mutating func count(_ decisions: [ScalingDecision]) {
        for d in decisions where !d.dryRun && d.final != d.current { figures[d.service]?.scalingActions += 1 }
    }

    init(spec: ScenarioSpec) {
        slos = Dictionary(spec.services.map { ($0.name, $0.slo) }, uniquingKeysWith: { a, _ in a })
        servicePrices = Dictionary(spec.services.map { ($0.name, $0.model.pricePerReplicaHour) }, uniquingKeysWith: { a, _ in a })
        poolPrices = Dictionary(spec.pools.map { ($0.name, $0.pricePerHour) }, uniquingKeysWith: { a, _ in a })
        order = spec.services.map(\.name)
        for s in order { figures[s] = .init(service: s) }
    }

    /// DESIGN.md: an interval breaches when p95 exceeds the SLO or the error rate exceeds its SLO.
    static func breaches(_ s: ServiceSample, _ slo: SLO) -> Bool {
        s.p95 > slo.p95.seconds || s.errorRate > slo.errorRate
    }

    mutating func add(_ scrape: Scrape) {
        elapsed = scrape.time
        for s in scrape.services {
            guard var f = figures[s.service], let slo = slos[s.service] else { continue }
            f.requests += s.completed + s.errors
            f.completed += s.completed
            f.errors += s.errors
            if SummaryAccumulator.breaches(s, slo) {
                f.breachIntervals += 1
                f.sloViolationMinutes += s.interval / 60
            }
            f.replicaSeconds += s.replicaSeconds
            f.replicaCost = f.replicaSeconds * (servicePrices[s.service] ?? 0) / 3600
            f.peakReplicas = max(f.peakReplicas, s.readyReplicas + s.startingReplicas)
            f.meanReplicas = elapsed > 0 ? f.replicaSeconds / elapsed : 0
            figures[s.service] = f
        }
        // Node cost per interval by the node's state at the scrape (up or provisioning is billed).
        for n in scrape.nodes where n.state.isBilled {
            nodeCost += scrape.interval * (poolPrices[n.pool] ?? 0) / 3600
        }
    }

    /// Run-wide percentiles from the latency histogram buckets: the smallest bucket upper edge at
    /// which the cumulative count reaches ⌈p·total⌉ (the query in the README does the same).
    static func percentile(_ buckets: [(upperMicros: UInt64, count: UInt64)], _ p: Double) -> Double {
        let total = buckets.reduce(0) { $0 + $1.count }
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((p * Double(total)).rounded(.up)))
        var cum: UInt64 = 0
        for b in buckets {
            cum += b.count
            if cum >= rank { return Double(b.upperMicros) / 1e6 }
        }
        return Double(buckets.last!.upperMicros) / 1e6
    }

    func summary(latencyBuckets: [String: [(upperMicros: UInt64, count: UInt64)]]) -> RunSummary {
        RunSummary(services: order.map { name in
            var f = figures[name]!
            f.oscillations = oscillations[name] ?? 0
            let b = latencyBuckets[name] ?? []
            f.p50 = SummaryAccumulator.percentile(b, 0.50)
            f.p95 = SummaryAccumulator.percentile(b, 0.95)
            f.p99 = SummaryAccumulator.percentile(b, 0.99)
            return f
        }, nodeCost: nodeCost, simulatedSeconds: elapsed, impacts: impacts, probes: probes)
    }
}
