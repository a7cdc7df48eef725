import ClusterModel

/// Nodes are drained gracefully (an expected termination) and leave.
public struct NodeDrain: NodeFault, Equatable {
    public init() {}
    public var name: String { "node-drain" }
    public func start(node: Int, in world: inout ClusterSimulation) { world.drainNode(node) }
}

extension FaultEffect where Self == NodeDrain {
    public static var nodeDrain: NodeDrain { NodeDrain() }
}
