import ClusterModel

/// Nodes fail unexpectedly; their replicas die with their requests. With a duration the nodes come
/// back (a zone outage); without one they stay down until replaced.
public struct NodeCrash: NodeFault, Equatable {
    public init() {}
    public var name: String { "node-crash" }
    public func start(node: Int, in world: inout ClusterSimulation) { world.crashNode(node) }
    public func end(node: Int, in world: inout ClusterSimulation) { world.restoreNode(node) }
}

extension FaultEffect where Self == NodeCrash {
    public static var nodeCrash: NodeCrash { NodeCrash() }
}
