import ClusterModel
import SimulationKernel

/// Nodes stay alive but unreachable: no traffic reaches their replicas and heartbeats stop.
public struct Partition: NodeFault, Equatable {
    public init() {}
    public var name: String { "partition" }
    public func problems(duration: SimDuration?) -> [String] { duration == nil ? ["a partition needs a duration"] : [] }
    public func start(node: Int, in world: inout ClusterSimulation) { world.setNodeReachable(node, false) }
    public func end(node: Int, in world: inout ClusterSimulation) { world.setNodeReachable(node, true) }
}

extension FaultEffect where Self == Partition {
    public static var partition: Partition { Partition() }
}
