import ClusterModel
import SimulationKernel

/// Extra latency on every request that grows linearly from nothing to `to` over `over` (a slow degradation: a
/// filling cache, a growing table scan), holds there, and goes away when the fault ends.
public struct LatencyCreep: ServiceFault, Equatable {
    public var to: SimDuration
    /// How long the creep takes to reach `to`; it holds there until the fault ends.
    public var over: SimDuration
    public init(to: SimDuration, over: SimDuration) { self.to = to; self.over = over }
    public var name: String { "latency-creep" }
    public var updateInterval: SimDuration? { .minutes(1) }
    public func problems(duration: SimDuration?) -> [String] {
        (to > .zero ? [] : ["latency must be > 0"]) + (over >= .minutes(1) ? [] : ["the creep must take at least a minute (got \(over))"])
    }
    public func contribute(to effects: inout ServiceEffects, elapsed: SimDuration) {
        effects.extraLatency += to.seconds * min(1, max(0, elapsed.seconds / over.seconds))
    }
}

/// Every replica's memory grows by `mibPerHour` from when it started or the leak began, whichever is later;
/// a replica over its memory limit is OOM-killed and restarts with none leaked.
public struct MemoryLeak: ServiceFault, Equatable {
    public var mibPerHour: Double
    public init(mibPerHour: Double) { self.mibPerHour = mibPerHour }
    public var name: String { "memory-leak" }
    public var updateInterval: SimDuration? { .minutes(1) }
    public var hasFluidForm: Bool { false }
    public func problems(duration: SimDuration?) -> [String] {
        mibPerHour > 0 && mibPerHour.isFinite ? [] : ["the leak must be > 0 MiB per hour (got \(mibPerHour))"]
    }
    public func advance(service: Int, in world: inout ClusterSimulation, by step: SimDuration) {
        world.leakMemory(service: service, mibPerReplica: mibPerHour * step.seconds / 3600)
    }
}

/// A share of the service's external traffic stops arriving (clients lost upstream: a broken release of the
/// app, a DNS or CDN misroute). Requests between services are untouched.
public struct TrafficDrop: ServiceFault, Equatable {
    public var fraction: Double
    public init(fraction: Double) { self.fraction = fraction }
    public var name: String { "traffic-drop" }
    public var hasFluidForm: Bool { false }
    public func problems(duration: SimDuration?) -> [String] {
        fraction > 0 && fraction <= 1 ? [] : ["the dropped fraction must be in (0, 1] (got \(fraction))"]
    }
    public func contribute(to effects: inout ServiceEffects) { effects.arrivingFraction *= 1 - fraction }
}

extension FaultEffect where Self == LatencyCreep {
    public static func latencyCreep(to: SimDuration, over: SimDuration) -> LatencyCreep { LatencyCreep(to: to, over: over) }
}

extension FaultEffect where Self == MemoryLeak {
    public static func memoryLeak(mibPerHour: Double) -> MemoryLeak { MemoryLeak(mibPerHour: mibPerHour) }
}

extension FaultEffect where Self == TrafficDrop {
    public static func trafficDrop(fraction: Double) -> TrafficDrop { TrafficDrop(fraction: fraction) }
}
