import Chaos
import ControlPlane
import Foundation
import SimulationKernel
import Telemetry

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
