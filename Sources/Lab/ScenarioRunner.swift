import ScenarioKit
import Chaos
import ClusterModel
import ControlPlane
import Foundation
import SimulationKernel
import Telemetry

/// Receives what a run produces, as it is produced (so nothing accumulates in memory).
/// Every requirement has a default that does nothing: implement what you need.
public protocol RunObserver: AnyObject {
    /// One scrape: every service and node sample for the interval just ended.
    func observe(_ scrape: Scrape) throws
    /// Lifecycle changes, scaling decisions, faults …, in time order, delivered at each scrape.
    func observe(_ events: [TimelineEvent]) throws
    /// Forecasts, delivered once their actual is known (or at the end of the run, without one).
    func observe(_ predictions: [PredictionRecord]) throws
    /// Scaling decisions with their explanation.
    func observe(_ decisions: [ScalingDecision]) throws
    /// Called after each scrape, for progress displays.
    func progress(_ progress: RunProgress)
}

extension RunObserver {
    public func observe(_ scrape: Scrape) throws {}
    public func observe(_ events: [TimelineEvent]) throws {}
    public func observe(_ predictions: [PredictionRecord]) throws {}
    public func observe(_ decisions: [ScalingDecision]) throws {}
    public func progress(_ progress: RunProgress) {}
}

/// How far a run has got, for progress displays (``RunObserver/progress(_:)``).
public struct RunProgress: Sendable {
    /// Simulated time so far.
    public var simulated: SimDuration
    /// The scenario's duration.
    public var total: SimDuration
    /// Events processed so far.
    public var events: UInt64
    /// Wall-clock seconds since the run started.
    public var wallSeconds: Double
    /// Share of the simulated time done, 0…1.
    public var fraction: Double { total.nanoseconds > 0 ? Double(simulated.nanoseconds) / Double(total.nanoseconds) : 1 }
    /// Events per wall-clock second so far.
    public var eventsPerSecond: Double { wallSeconds > 0 ? Double(events) / wallSeconds : 0 }
    /// Wall-clock seconds left at the pace so far.
    public var etaSeconds: Double { fraction > 0 ? wallSeconds * (1 - fraction) / fraction : .infinity }
}

/// What one run returns: its status, its summary (the figures `show` prints) and its accuracy records.
public struct RunResult: Sendable {
    /// `.completed`, or `.aborted` when `shouldStop` ended it.
    public var status: RunStatus
    /// The run's figures: recovery, SLO violation, availability, cost, goodput, mean queue wait … per service
    /// and run-wide (the Definitions article).
    public var summary: RunSummary
    /// Events the simulation processed.
    public var events: UInt64
    /// Wall-clock seconds the run took.
    public var wallSeconds: Double
    /// Run-wide latency histogram per service: (bucket upper edge µs, count).
    public var latencyBuckets: [String: [(upperMicros: UInt64, count: UInt64)]]
    /// Forecast accuracy per service, model and horizon.
    public var accuracy: [AccuracyRecord]
}

/// Runs one validated scenario with one seed: simulation ⇄ control plane, scrape by scrape.
public struct ScenarioRunner {
    /// The validated scenario.
    public let spec: ScenarioSpec
    /// The seed the run uses.
    public let seed: UInt64

    /// Validates `spec` (throwing ``InvalidScenario`` with every problem at once) and runs it with `seed`, or the
    /// scenario's own seed when nil.
    public init(spec: ScenarioSpec, seed: UInt64? = nil) throws {
        self.spec = try spec.validated()
        self.seed = seed ?? spec.seed
    }

    /// - Parameters:
    ///   - observer: gets scrapes and events as they happen.
    ///   - shouldStop: polled after every scrape; returning true ends the run as `aborted`.
    public func run(observer: RunObserver? = nil, shouldStop: () -> Bool = { false }) throws -> RunResult {
        let started = Date()
        let end = SimTime.zero + spec.duration
        var world = ClusterSimulation(spec: spec.clusterSpec, seed: seed, horizon: end)
        let log = TimelineBuffer()
        world.lifecycleHook = { log.events.append($0) }
        var control = spec.controlPlane
        var summary = SummaryAccumulator(spec: spec)
        var faults = FaultInjector(faults: spec.faults, seed: seed)
        var faultTimes = faults.boundaries(until: end)[...]
        var impacts = FaultImpactTracker(spec: spec)
        var pipeline = MetricsPipeline(lookBack: faults.metricsLookBack, scrapeInterval: spec.scrapeInterval.seconds)
        var steady = SteadyStateChecker(spec: spec)
        let beatEvery = SimDuration.seconds(spec.selfHealer.heartbeatInterval)
        var nextBeat = SimTime.zero + beatEvery
        var status = RunStatus.finished
        var t = SimTime.zero
        scrapes: while t < end {
            t = min(t + spec.scrapeInterval, end)
            // Faults strike, and heartbeats arrive, at their exact instants, between scrapes if need be.
            while true {
                let f = faultTimes.first.flatMap { $0 <= t ? $0 : nil }
                let b = spec.selfHealer.enabled && nextBeat <= t ? nextBeat : nil
                guard let next = [f, b].compactMap({ $0 }).min() else { break }
                guard world.run(until: next, stopIf: shouldStop) else {
                    if world.backlogOverflowed { throw BacklogOverflow(scenario: spec.name, at: world.now.seconds) }
                    status = .aborted; break scrapes
                }
                if next == f {
                    faults.apply(at: next, to: &world) { log.events.append($0) }
                    faultTimes.removeFirst()
                } else {
                    let heard = control.receive(world.heartbeats(), at: next.seconds)
                    log.events += heard.events
                    for action in heard.actions { apply(action, to: &world, log: log) }
                    nextBeat = nextBeat + beatEvery
                }
            }
            guard world.run(until: t, stopIf: shouldStop) else {
                if world.backlogOverflowed { throw BacklogOverflow(scenario: spec.name, at: world.now.seconds) }
                status = .aborted; break
            }
            let scrape = world.scrape()
            summary.add(scrape)
            let decision = control.observe(pipeline.view(of: scrape, faults: faults))
            log.events += decision.events
            for action in decision.actions { apply(action, to: &world, log: log) }
            impacts.observe(log.events)
            impacts.observe(scrape)
            steady.observe(scrape)
            try observer?.observe(scrape)
            if !decision.predictions.isEmpty { try observer?.observe(decision.predictions) }
            if !decision.decisions.isEmpty {
                try observer?.observe(decision.decisions)
                summary.count(decision.decisions)
            }
            if !log.events.isEmpty {
                try observer?.observe(log.events)
                log.events.removeAll(keepingCapacity: true)
            }
            observer?.progress(RunProgress(simulated: t - .zero, total: spec.duration, events: world.eventsProcessed,
                                           wallSeconds: Date().timeIntervalSince(started)))
            if t < end, shouldStop() { status = .aborted; break }
        }
        summary.oscillations = control.oscillations
        summary.impacts = impacts.impacts
        summary.probes = steady.results
        let (pending, accuracy) = control.finish()
        try observer?.observe(pending)
        var buckets: [String: [(upperMicros: UInt64, count: UInt64)]] = [:]
        for i in 0..<world.serviceCount { buckets[world.serviceName(i)] = world.runLatencyBuckets(i) }
        return RunResult(status: status, summary: summary.summary(latencyBuckets: buckets), events: world.eventsProcessed,
                         wallSeconds: Date().timeIntervalSince(started), latencyBuckets: buckets, accuracy: accuracy)
    }

    func apply(_ action: ControlAction, to world: inout ClusterSimulation, log: TimelineBuffer) {
        let now = world.now.seconds
        switch action {
        case .setReplicas(let service, let count, let reason):
            guard let i = world.serviceIndex[service] else { return }
            let before = world.desiredReplicas(i)
            guard before != count else { return }
            world.setDesiredReplicas(i, count)
            // A policy's reason already opens with the change ("5 → 6 by hpa: …"): said once.
            let change = "\(before) → \(count)"
            log.events.append(TimelineEvent(time: now, kind: count > before ? .scaleUp : .scaleDown, subject: service,
                                            detail: reason.hasPrefix(change + " ") ? reason : change + ": " + reason))
        case .provisionNode(let pool, let reason):
            guard let p = spec.pools.firstIndex(where: { $0.name == pool }) else { return }
            let n = world.provisionNode(pool: p)
            log.events.append(TimelineEvent(time: now, kind: .provision, subject: world.nodeName(n), detail: reason))
        case .replaceNode(let node, let reason):
            guard let n = world.nodeIndex(named: node) else { return }
            world.removeNode(n)
            let fresh = world.provisionNode(pool: world.nodePool(n))
            log.events.append(TimelineEvent(time: now, kind: .replace, subject: node, detail: "→ \(world.nodeName(fresh)): \(reason)"))
        case .setConnectionPool(let service, let size, let reason):
            guard let i = world.serviceIndex[service] else { return }
            let before = world.connectionPool(service: i) ?? 0
            world.setConnectionPool(service: i, size: size)
            log.events.append(TimelineEvent(time: now, kind: .resizePool, subject: service, detail: "connection pool \(before) → \(size): \(reason)"))
        case .removeNode(let node, let reason):
            guard let n = world.nodeIndex(named: node) else { return }
            world.removeNode(n)
            log.events.append(TimelineEvent(time: now, kind: .removeNode, subject: node, detail: reason))
        }
    }
}

/// What the control plane sees of each scrape: the truth, unless a metrics-pipeline fault is active,
/// which distorts it (and may need the samples of earlier scrapes: kept for its look-back only).
struct MetricsPipeline {
    let keep: Int
    var history: [String: ArraySlice<ServiceSample>] = [:]

    init(lookBack: Double, scrapeInterval: Double) {
        keep = lookBack > 0 ? Int((lookBack / max(scrapeInterval, 1e-9)).rounded(.up)) + 1 : 0
    }

    mutating func view(of scrape: Scrape, faults: FaultInjector) -> Scrape {
        var seen = scrape
        for (i, s) in scrape.services.enumerated() {
            let active = faults.metricsFaults(on: s.service)
            let past = history[s.service] ?? []
            for f in active { f.distort(&seen.services[i], history: past) }
            if keep > 0 { history[s.service] = (past + [s]).suffix(keep) }
        }
        return seen
    }
}

/// Collects timeline events between scrapes (a class so the world's hook can append to it).
final class TimelineBuffer {
    var events: [TimelineEvent] = []
}

/// A run stopped because its queues outgrew what memory can hold (`ClusterSimulation.backlogLimit`).
public struct BacklogOverflow: Error, CustomStringConvertible {
    /// The scenario that overflowed.
    public var scenario: String
    /// Simulated seconds into the run.
    public var at: Double
    public var description: String {
        "\(scenario): more than \(ClusterSimulation.backlogLimit) requests were queued at once \(Int(at)) s into the run, "
            + "more than memory can hold; give the services a queue capacity or a timeout, or less traffic"
    }
}
