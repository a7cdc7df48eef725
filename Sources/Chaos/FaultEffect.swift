import ClusterModel
import SimulationKernel

/// What a fault does, as a small value: the built-in faults conform, and so can a type in your own
/// package (one file; use it with `Fault(MyFault(), on: .service("api"), at: .hours(1), for: .minutes(5))`).
///
/// A fault is either a `NodeFault` (the injector resolves its target to nodes, then starts and ends it
/// on each) or a `ServiceFault` (it contributes to the service's effects while active, so overlapping
/// faults compose, and may act once when it starts).
public protocol FaultEffect: Sendable {
    /// The kind's name in events, summaries and reports (`node-crash`, `latency`).
    var name: String { get }
    /// Problems with the fault's own settings, as sentences (validation lists them with the fault's path).
    func problems(duration: SimDuration?) -> [String]
    /// Whether two faults are the same configuration (scenario equality). Defaults: `Equatable`
    /// faults by value, others by name.
    func isSame(as other: any FaultEffect) -> Bool
}

extension FaultEffect {
    public func problems(duration: SimDuration?) -> [String] { [] }
    public func isSame(as other: any FaultEffect) -> Bool { type(of: other) == Self.self && other.name == name }
}

extension FaultEffect where Self: Equatable {
    public func isSame(as other: any FaultEffect) -> Bool { (other as? Self) == self }
}

/// A fault on nodes (`.node`, `.randomNodes`, `.percentOfNodes`, `.zone`, `.pool` targets).
public protocol NodeFault: FaultEffect {
    func start(node: Int, in world: inout ClusterSimulation)
    /// When the fault's duration ends (never for a permanent fault). The default does nothing.
    func end(node: Int, in world: inout ClusterSimulation)
}

extension NodeFault {
    public func end(node: Int, in world: inout ClusterSimulation) {}
}

/// A fault on a service (`.service` or `.call` targets).
public protocol ServiceFault: FaultEffect {
    /// The fault's share of the service's effects while it is active. The default adds nothing.
    func contribute(to effects: inout ServiceEffects)
    /// The same, `elapsed` after the fault started, for a fault that changes as it goes (``updateInterval``).
    /// The default is ``contribute(to:)``.
    func contribute(to effects: inout ServiceEffects, elapsed: SimDuration)
    /// Once, when the fault starts; `random` is the fault's own stream. The default does nothing.
    func start(service: Int, in world: inout ClusterSimulation, random: inout RandomStream)
    /// How often a gradual fault (a creep, a leak) is brought up to date while active; nil (the default)
    /// for a fault that stays the same from start to end.
    var updateInterval: SimDuration? { get }
    /// At every ``updateInterval`` while active, after `step` more of it. The default does nothing.
    func advance(service: Int, in world: inout ClusterSimulation, by step: SimDuration)
    /// Whether the fluid fidelity can represent the fault (it refuses the scenario otherwise). Default true.
    var hasFluidForm: Bool { get }
}

extension ServiceFault {
    public func contribute(to effects: inout ServiceEffects) {}
    public func contribute(to effects: inout ServiceEffects, elapsed: SimDuration) { contribute(to: &effects) }
    public func start(service: Int, in world: inout ClusterSimulation, random: inout RandomStream) {}
    public var updateInterval: SimDuration? { nil }
    public func advance(service: Int, in world: inout ClusterSimulation, by step: SimDuration) {}
    public var hasFluidForm: Bool { true }
}

/// What the active faults on one service do together: latencies add, slowdowns multiply, error
/// fractions combine as independent failures.
public struct ServiceEffects: Sendable, Equatable {
    /// Extra latency on every request: fixed + uniform jitter, seconds.
    public var extraLatency = 0.0
    public var extraJitter = 0.0
    /// Service-time multiplier (CPU stress, noisy neighbour).
    public var slowdown = 1.0
    /// Start-up latency multiplier (cold image cache).
    public var startupMultiplier = 1.0
    /// Probability a request succeeds as far as the faults are concerned.
    public var successFraction = 1.0
    /// Share of the service's external traffic that still arrives (a traffic drop lowers it).
    public var arrivingFraction = 1.0
    public init() {}

    /// Adds an independent failure probability.
    public mutating func fail(fraction: Double) { successFraction *= 1 - fraction }

    func apply(to service: Int, in world: inout ClusterSimulation) {
        world.setExtraLatency(service: service, extraLatency + extraJitter > 0
                              ? .uniform(low: extraLatency, high: extraLatency + extraJitter) : nil)
        world.setSlowdown(service: service, factor: slowdown)
        world.setStartupMultiplier(service: service, startupMultiplier)
        world.setErrorFraction(service: service, 1 - successFraction)
        world.setArrivalDrop(service: service, 1 - arrivingFraction)
    }
}
