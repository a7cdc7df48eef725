import Chaos
import ControlPlane
import Foundation
import SimulationKernel
import Telemetry

/// One fault's measured impact, as DESIGN.md defines the figures.
public struct FaultImpact: Sendable, Equatable {
    public var fault: String
    public var start: Double
    /// Fault start → the start of the first stretch, after the service's first breach, in which every
    /// service meets its SLO for the stability window. 0 when nothing breached; nil = not recovered.
    public var recoverySeconds: Double?
    /// Fault start → the first incident, alert or failure detection raised after it.
    public var detectSeconds: Double?
    /// Fault start → the first corrective action (scale-up, replacement or new node, failover).
    public var mitigateSeconds: Double?
    /// Per service recovery (same definition), nil = not recovered.
    public var serviceRecovery: [String: Double?]
}

/// Follows every fault through the scrape stream and the timeline, online (nothing is kept but a
/// few numbers per fault and service).
struct FaultImpactTracker {
    struct ServiceState { var firstBreach: Double?; var lastBreach: Double?; var recoveredAt: Double?; var done = false }
    struct Tracked { var name: String; var start: Double; var until: Double; var services: [String: ServiceState]
        var detect: Double?; var mitigate: Double? }

    let window: Double
    let slos: [String: SLO]
    let faultStarts: [(name: String, start: Double)]
    var tracked: [Tracked] = []

    init(spec: ScenarioSpec) {
        window = spec.stabilityWindow.seconds
        slos = Dictionary(spec.services.map { ($0.name, $0.slo) }, uniquingKeysWith: { a, _ in a })
        faultStarts = spec.faults.map { ($0.name, $0.start.seconds) }.sorted { $0.start < $1.start }
    }

    mutating func observe(_ events: [TimelineEvent]) {
        for e in events {
            if e.kind == .faultStart {
                // A fault's breaches are those that begin before the next fault starts.
                let next = faultStarts.first { $0.start > e.time }?.start ?? .infinity
                tracked.append(Tracked(name: e.subject, start: e.time, until: next,
                                       services: Dictionary(uniqueKeysWithValues: slos.keys.map { ($0, ServiceState()) })))
            }
            for i in tracked.indices where e.time >= tracked[i].start {
                if tracked[i].detect == nil, e.kind.countsAsDetection {
                    tracked[i].detect = e.time - tracked[i].start
                }
                if tracked[i].mitigate == nil, e.kind.countsAsMitigation {
                    tracked[i].mitigate = e.time - tracked[i].start
                }
            }
        }
    }

    mutating func observe(_ scrape: Scrape) {
        for i in tracked.indices {
            for s in scrape.services {
                guard let slo = slos[s.service], var st = tracked[i].services[s.service], !st.done else { continue }
                let breach = SummaryAccumulator.breaches(s, slo)
                if breach {
                    if st.firstBreach == nil {
                        if scrape.time - s.interval >= tracked[i].until { st.done = true; tracked[i].services[s.service] = st; continue }
                        st.firstBreach = scrape.time
                    }
                    st.lastBreach = scrape.time
                } else if let last = st.lastBreach, scrape.time - last >= window {
                    st.recoveredAt = last
                    st.done = true
                }
                tracked[i].services[s.service] = st
            }
        }
    }

    var impacts: [FaultImpact] {
        tracked.map { t in
            var per: [String: Double?] = [:]
            var worst: Double? = 0
            for (name, st) in t.services {
                let r: Double? = st.firstBreach == nil ? 0 : st.recoveredAt.map { max(0, $0 - t.start) }
                per[name] = r
                if let r, let w = worst { worst = max(w, r) } else { worst = nil }
            }
            return FaultImpact(fault: t.name, start: t.start, recoverySeconds: worst, detectSeconds: t.detect,
                               mitigateSeconds: t.mitigate, serviceRecovery: per)
        }
    }
}

// MARK: Steady-state hypothesis

/// A steady-state probe (as in Chaos Toolkit): a tolerance that must hold before the faults and
/// again after recovery, over a 5-minute window each time.
public struct Probe: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        case p95Below(service: String, SimDuration)
        case availabilityAtLeast(service: String, Double)
        case errorRateBelow(service: String, Double)
        case readyReplicasAtLeast(service: String, Int)
    }
    public var name: String
    public var check: Check
    public var weight: Double
    public init(_ name: String, _ check: Check, weight: Double = 1) { self.name = name; self.check = check; self.weight = weight }

    public static func p95(_ service: String, below d: SimDuration) -> Probe { Probe("\(service) p95 < \(d)", .p95Below(service: service, d)) }
    public static func availability(_ service: String, atLeast a: Double) -> Probe {
        Probe("\(service) availability ≥ \(a * 100)%", .availabilityAtLeast(service: service, a))
    }
    public static func errorRate(_ service: String, below e: Double) -> Probe { Probe("\(service) error rate < \(e * 100)%", .errorRateBelow(service: service, e)) }
    public static func readyReplicas(_ service: String, atLeast n: Int) -> Probe { Probe("\(service) ready ≥ \(n)", .readyReplicasAtLeast(service: service, n)) }

    var service: String {
        switch check {
        case .p95Below(let s, _), .availabilityAtLeast(let s, _), .errorRateBelow(let s, _), .readyReplicasAtLeast(let s, _): return s
        }
    }

    /// Whether the probe holds over these samples of its service.
    func holds(_ samples: [ServiceSample]) -> Bool {
        let mine = samples.filter { $0.service == service }
        guard !mine.isEmpty else { return false }
        switch check {
        case .p95Below(_, let d): return mine.allSatisfy { $0.p95 <= d.seconds }
        case .availabilityAtLeast(_, let a):
            let ok = mine.reduce(0) { $0 + $1.completed }, all = mine.reduce(0) { $0 + $1.completed + $1.errors }
            return all == 0 || Double(ok) / Double(all) >= a
        case .errorRateBelow(_, let e): return mine.allSatisfy { $0.errorRate <= e }
        case .readyReplicasAtLeast(_, let n): return mine.allSatisfy { $0.readyReplicas >= n }
        }
    }
}

/// Checks the steady-state probes before the first fault and after the run has recovered.
struct SteadyStateChecker {
    let probes: [Probe]
    let firstFault: Double?
    let window = 300.0
    var before: [ServiceSample] = []
    var after: [ServiceSample] = []

    init(spec: ScenarioSpec) {
        probes = spec.steadyState
        firstFault = spec.faults.map(\.start.seconds).min()
    }

    mutating func observe(_ scrape: Scrape) {
        guard !probes.isEmpty else { return }
        if let f = firstFault, scrape.time <= f, scrape.time > f - window { before += scrape.services }
        // The last five minutes of the run stand for "after recovery" (kept as a rolling window).
        after += scrape.services
        after.removeAll { scrape.time - $0.time >= window }
    }

    /// (probe, phase, passed), phases "before" and "after".
    var results: [(probe: Probe, phase: String, passed: Bool)] {
        probes.flatMap { p in
            (firstFault == nil ? [] : [(p, "before", p.holds(before))]) + [(p, "after", p.holds(after))]
        }
    }
}

/// Scenario DSL: the steady-state hypothesis.
public struct SteadyState: ScenarioComponent {
    let probes: [Probe]
    public init(_ probes: Probe...) { self.probes = probes }
    public func apply(to spec: inout ScenarioSpec) { spec.steadyState += probes }
}

/// Scenario DSL: heartbeat monitoring and node replacement settings.
public struct SelfHealing: ScenarioComponent {
    let config: SelfHealerConfig
    public init(heartbeatInterval: SimDuration = .seconds(10), timeout: SimDuration = .seconds(30), checkPeriod: SimDuration = .seconds(10),
                missedChecks: Int = 1, maxReplacementsPerHour: Int = 5, cooldown: SimDuration = .seconds(60), enabled: Bool = true) {
        config = SelfHealerConfig(heartbeatInterval: heartbeatInterval.seconds, timeout: timeout.seconds, checkPeriod: checkPeriod.seconds,
                                  missedChecks: missedChecks, maxReplacementsPerHour: maxReplacementsPerHour, cooldown: cooldown.seconds,
                                  enabled: enabled)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.selfHealer = config }
}
