import Chaos
import ControlPlane
import Foundation
import SimulationKernel
import Telemetry

/// A steady-state probe (as in Chaos Toolkit): a tolerance that must hold before the faults and
/// again after recovery, over a 5-minute window each time.
public struct Probe: Sendable, Equatable {
    /// What a probe checks, over the scrapes of its window.
    public enum Check: Sendable, Equatable {
        case p95Below(service: String, SimDuration)
        case availabilityAtLeast(service: String, Double)
        case errorRateBelow(service: String, Double)
        case readyReplicasAtLeast(service: String, Int)
    }
    /// The probe's name in reports and the `probes` table.
    public var name: String
    /// What must hold.
    public var check: Check
    /// Its weight in the resilience score (the Definitions article).
    public var weight: Double
    /// A probe named `name`; the static constructors below name it for you.
    public init(_ name: String, _ check: Check, weight: Double = 1) { self.name = name; self.check = check; self.weight = weight }

    /// Every scrape's p95 of `service` is at most `d`.
    public static func p95(_ service: String, below d: SimDuration) -> Probe { Probe("\(service) p95 < \(d)", .p95Below(service: service, d)) }
    /// `service` answered at least this fraction (0…1) of its finished requests over the window.
    public static func availability(_ service: String, atLeast a: Double) -> Probe {
        Probe("\(service) availability ≥ \(a * 100)%", .availabilityAtLeast(service: service, a))
    }
    /// Every scrape's error rate of `service` is at most `e` (0…1).
    public static func errorRate(_ service: String, below e: Double) -> Probe { Probe("\(service) error rate < \(e * 100)%", .errorRateBelow(service: service, e)) }
    /// `service` has at least `n` ready replicas at every scrape.
    public static func readyReplicas(_ service: String, atLeast n: Int) -> Probe { Probe("\(service) ready ≥ \(n)", .readyReplicasAtLeast(service: service, n)) }

    /// The service the probe looks at.
    public var service: String {
        switch check {
        case .p95Below(let s, _), .availabilityAtLeast(let s, _), .errorRateBelow(let s, _), .readyReplicasAtLeast(let s, _): return s
        }
    }

    /// Whether the probe holds over these samples of its service.
    public func holds(_ samples: [ServiceSample]) -> Bool {
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

/// Scenario DSL: the steady-state hypothesis.
public struct SteadyState: ScenarioComponent {
    let probes: [Probe]
    /// The probes that must hold before the first fault and again once the run has recovered.
    public init(_ probes: Probe...) { self.probes = probes }
    public func apply(to spec: inout ScenarioSpec) { spec.steadyState += probes }
}

/// Scenario DSL: heartbeat monitoring and node replacement settings.
public struct SelfHealing: ScenarioComponent {
    let config: SelfHealerConfig
    /// How the self-healer watches nodes: a node that has not sent a heartbeat for `timeout`, on
    /// `missedChecks` consecutive checks every `checkPeriod`, is replaced — at most `maxReplacementsPerHour`,
    /// and not within `cooldown` of the last replacement. `enabled: false` turns it off. The defaults are the
    /// ones every scenario gets without this block.
    public init(heartbeatInterval: SimDuration = .seconds(10), timeout: SimDuration = .seconds(30), checkPeriod: SimDuration = .seconds(10),
                missedChecks: Int = 1, maxReplacementsPerHour: Int = 5, cooldown: SimDuration = .seconds(60), enabled: Bool = true) {
        config = SelfHealerConfig(heartbeatInterval: heartbeatInterval.seconds, timeout: timeout.seconds, checkPeriod: checkPeriod.seconds,
                                  missedChecks: missedChecks, maxReplacementsPerHour: maxReplacementsPerHour, cooldown: cooldown.seconds,
                                  enabled: enabled)
    }
    public func apply(to spec: inout ScenarioSpec) { spec.selfHealer = config }
}
