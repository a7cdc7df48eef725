/// What the control plane asks of the system. The simulation applies it (after the latencies that
/// reality imposes); a live adapter could apply it to a real cluster.
public enum ControlAction: Sendable, Equatable {
    case setReplicas(service: String, count: Int, reason: String)
    case provisionNode(pool: String, reason: String)
    case replaceNode(node: String, reason: String)
    case removeNode(node: String, reason: String)
    case setConnectionPool(service: String, size: Int, reason: String)
}
