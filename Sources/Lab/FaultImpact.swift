import ScenarioKit
import Chaos
import ControlPlane
import Foundation
import SimulationKernel
import Telemetry

/// One fault's measured impact, as the Definitions article defines the figures.
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
    /// When the fault ended (nil: it never does), and recovery measured from then: the same stable
    /// stretch, 0 when it began before the end; nil = not recovered (the Definitions article).
    public var end: Double? = nil
    public var recoveryAfterEndSeconds: Double? = nil
}

/// Follows every fault through the scrape stream and the timeline, online (nothing is kept but a
/// few numbers per fault and service).
struct FaultImpactTracker {
    struct ServiceState { var firstBreach: Double?; var lastBreach: Double?; var recoveredAt: Double?; var done = false }
    struct Tracked { var name: String; var start: Double; var until: Double; var services: [String: ServiceState]
        var detect: Double?; var mitigate: Double?; var end: Double? = nil }

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
            if e.kind == .faultEnd, let i = tracked.lastIndex(where: { $0.name == e.subject && $0.end == nil }) {
                tracked[i].end = e.time
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
                let breach = slo.target.isBreached(by: s)
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
            var worstAfterEnd: Double? = 0
            for (name, st) in t.services {
                let r: Double? = st.firstBreach == nil ? 0 : st.recoveredAt.map { max(0, $0 - t.start) }
                per[name] = r
                if let r, let w = worst { worst = max(w, r) } else { worst = nil }
                let afterEnd: Double? = st.firstBreach == nil ? 0 : st.recoveredAt.map { max(0, $0 - (t.end ?? .infinity)) }
                if let a = afterEnd, let w = worstAfterEnd { worstAfterEnd = max(w, a) } else { worstAfterEnd = nil }
            }
            return FaultImpact(fault: t.name, start: t.start, recoverySeconds: worst, detectSeconds: t.detect,
                               mitigateSeconds: t.mitigate, serviceRecovery: per, end: t.end,
                               recoveryAfterEndSeconds: t.end == nil ? nil : worstAfterEnd)
        }
    }
}

// MARK: Steady-state hypothesis

