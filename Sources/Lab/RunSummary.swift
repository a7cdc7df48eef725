import ScenarioKit
import Foundation
import Telemetry

/// The headline figures of one run, each computed exactly as the Definitions article defines it, from the same
/// scrape stream the database stores (so a SQL query over the samples gives the same numbers).
public struct RunSummary: @unchecked Sendable, Equatable {
    /// One service's figures over the run.
    public struct ServiceFigures: Sendable, Equatable {
        /// The service's name.
        public var service: String
        /// Requests that arrived (retries included).
        public var requests = 0
        /// Requests answered successfully.
        public var completed = 0
        /// Failed + rejected + timed-out requests.
        public var errors = 0
        /// Scrape intervals in which the service broke its SLO.
        public var breachIntervals = 0
        /// Minutes in which the service broke its SLO (the Definitions article).
        public var sloViolationMinutes = 0.0
        /// Run-wide latency percentiles (seconds), from the merged histogram of every request.
        public var p50 = 0.0, p95 = 0.0, p99 = 0.0
        /// Replica-seconds held (ready and starting replicas).
        public var replicaSeconds = 0.0
        /// What those replica-seconds cost, dollars.
        public var replicaCost = 0.0
        /// The most replicas held (ready + starting) at a scrape.
        public var peakReplicas = 0
        /// Applied scaling changes, and oscillations detected (and damped) by the autoscaler.
        public var scalingActions = 0
        public var oscillations = 0
        /// Successful ÷ all finished requests (1 when there were none).
        public var availability: Double { completed + errors > 0 ? Double(completed) / Double(completed + errors) : 1 }
        /// Replica-seconds ÷ the run's simulated seconds.
        public var meanReplicas: Double = 0
        /// Retried arrivals, requests shed by admission control, and external requests that finally succeeded
        /// (the Definitions article).
        public var retries = 0, shed = 0, goodput = 0
        /// Requests that started service, and the sum of their queue waits (seconds).
        public var started = 0, queueWaitSum = 0.0
        /// Mean of (start of service − arrival) over every request that started service (the Definitions article).
        public var meanQueueWait: Double { started > 0 ? queueWaitSum / Double(started) : 0 }
    }

    /// Per service, in the scenario's order.
    public var services: [ServiceFigures]
    /// What the nodes cost over the run, dollars.
    public var nodeCost = 0.0
    /// The run's simulated length, seconds.
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

    /// Equal services' figures, node cost, length and fault impacts (the probes are not compared).
    public static func == (a: RunSummary, b: RunSummary) -> Bool {
        a.services == b.services && a.nodeCost == b.nodeCost && a.simulatedSeconds == b.simulatedSeconds && a.impacts == b.impacts
    }

    /// SLO-violation minutes summed over the services (the Definitions article).
    public var sloViolationMinutes: Double { services.reduce(0) { $0 + $1.sloViolationMinutes } }
    /// Successful external requests per second over the run (the Definitions article).
    public var goodput: Double { simulatedSeconds > 0 ? Double(services.reduce(0) { $0 + $1.goodput }) / simulatedSeconds : 0 }
    /// Nodes plus replicas, dollars (the Definitions article).
    public var cost: Double { nodeCost + services.reduce(0) { $0 + $1.replicaCost } }
    /// Mean queue wait over every service's requests that started service.
    public var meanQueueWait: Double {
        let started = services.reduce(0) { $0 + $1.started }
        return started > 0 ? services.reduce(0) { $0 + $1.queueWaitSum } / Double(started) : 0
    }
    /// Successful ÷ all finished requests over every service (1 when there were none).
    public var availability: Double {
        let ok = services.reduce(0) { $0 + $1.completed }, all = services.reduce(0) { $0 + $1.completed + $1.errors }
        return all > 0 ? Double(ok) / Double(all) : 1
    }

    /// The figures as stored in the `summaries` table.
    public var figures: [SummaryFigure] {
        var out: [SummaryFigure] = []
        for s in services {
            let x = SummarySubject.service(s.service)
            out += [SummaryFigure(x, .requests, Double(s.requests)), SummaryFigure(x, .errors, Double(s.errors)),
                    SummaryFigure(x, .availability, s.availability), SummaryFigure(x, .sloViolationMinutes, s.sloViolationMinutes),
                    SummaryFigure(x, .breachIntervals, Double(s.breachIntervals)),
                    SummaryFigure(x, .p50, s.p50), SummaryFigure(x, .p95, s.p95), SummaryFigure(x, .p99, s.p99),
                    SummaryFigure(x, .replicaCost, s.replicaCost), SummaryFigure(x, .meanReplicas, s.meanReplicas),
                    SummaryFigure(x, .peakReplicas, Double(s.peakReplicas)),
                    SummaryFigure(x, .scalingActions, Double(s.scalingActions)), SummaryFigure(x, .oscillations, Double(s.oscillations)),
                    SummaryFigure(x, .retries, Double(s.retries)), SummaryFigure(x, .shed, Double(s.shed)),
                    SummaryFigure(x, .goodput, simulatedSeconds > 0 ? Double(s.goodput) / simulatedSeconds : 0),
                    SummaryFigure(x, .meanQueueWait, s.meanQueueWait)]
        }
        out += [SummaryFigure(.run, .sloViolationMinutes, sloViolationMinutes), SummaryFigure(.run, .availability, availability),
                SummaryFigure(.run, .cost, cost), SummaryFigure(.run, .nodeCost, nodeCost),
                SummaryFigure(.run, .simulatedSeconds, simulatedSeconds), SummaryFigure(.run, .resilienceScore, resilienceScore),
                SummaryFigure(.run, .goodput, goodput), SummaryFigure(.run, .meanQueueWait, meanQueueWait)]
        // A missing figure is stored as NULL: not recovered / not detected.
        for f in impacts {
            let x = SummarySubject.fault(f.fault)
            out += [SummaryFigure(x, .faultStart, f.start), SummaryFigure(x, .recovery, f.recoverySeconds ?? .nan),
                    SummaryFigure(x, .detect, f.detectSeconds ?? .nan), SummaryFigure(x, .mitigate, f.mitigateSeconds ?? .nan)]
            if let end = f.end { out += [SummaryFigure(x, .faultEnd, end), SummaryFigure(x, .recoveryAfterEnd, f.recoveryAfterEndSeconds ?? .nan)] }
        }
        for p in probes {
            out.append(SummaryFigure(.probe(p.probe.name), p.phase == "before" ? .probeBefore : .probeAfter, p.passed ? 1 : 0))
        }
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

    mutating func add(_ scrape: Scrape) {
        elapsed = scrape.time
        for s in scrape.services {
            guard var f = figures[s.service], let slo = slos[s.service] else { continue }
            f.requests += s.completed + s.errors
            f.completed += s.completed
            f.errors += s.errors
            f.retries += s.retries
            f.shed += s.shed
            f.goodput += s.goodput
            f.started += s.started
            f.queueWaitSum += s.meanQueueWait * Double(s.started)
            if slo.target.isBreached(by: s) {
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
    /// which the cumulative count reaches ⌈p·total⌉ (the query in the ResultsDatabase article does the same).
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
