import ClusterModel
import SimulationKernel

/// `count` replicas of a service are killed when the fault starts; the deployment recreates them.
public struct ReplicaKill: ServiceFault, Equatable {
    public var count: Int
    public init(count: Int) { self.count = count }
    public var name: String { "replica-kill" }
    public func problems(duration: SimDuration?) -> [String] { count >= 1 ? [] : ["count must be ≥ 1"] }
    public func start(service: Int, in world: inout ClusterSimulation, random: inout RandomStream) {
        for _ in 0..<count { world.killReplica(service: service, ordinal: Int(random.next() % 1_000_000)) }
    }
}

extension FaultEffect where Self == ReplicaKill {
    public static func replicaKill(count: Int) -> ReplicaKill { ReplicaKill(count: count) }
}
