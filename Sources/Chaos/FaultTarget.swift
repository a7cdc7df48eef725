/// Which part of the system a fault hits.
public enum FaultTarget: Sendable, Equatable, CustomStringConvertible {
    /// One node by name (`general-2`).
    case node(String)
    /// `count` nodes drawn at random (from the fault's own random stream), optionally within a pool or zone.
    case randomNodes(count: Int, pool: String? = nil, zone: String? = nil)
    /// A percentage of the matching nodes, at random.
    case percentOfNodes(Double, pool: String? = nil, zone: String? = nil)
    /// Every node in a zone.
    case zone(String)
    /// Every node in a pool.
    case pool(String)
    /// A service (for service-level faults).
    case service(String)
    /// Calls from one service to another (latency on that edge only is modelled as latency on the callee).
    case call(from: String, to: String)

    public var description: String {
        switch self {
        case .node(let n): return "node \(n)"
        case .randomNodes(let c, let p, let z): return "\(c) random node\(c == 1 ? "" : "s")" + (p.map { " in pool \($0)" } ?? "") + (z.map { " in \($0)" } ?? "")
        case .percentOfNodes(let pct, let p, let z): return "\(pct)% of nodes" + (p.map { " in pool \($0)" } ?? "") + (z.map { " in \($0)" } ?? "")
        case .zone(let z): return "zone \(z)"
        case .pool(let p): return "pool \(p)"
        case .service(let s): return "service \(s)"
        case .call(let a, let b): return "calls \(a) → \(b)"
        }
    }
}

