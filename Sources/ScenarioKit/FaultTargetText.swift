import Chaos

/// A fault's target as a parameter value (`faults.crash.target=zone:eu-1`), so that `--set`, sweeps and searches
/// can move a fault around.
extension FaultTarget {
    /// The forms `parameterText` takes, for help and errors.
    static let parameterForms = "node:NAME, random:N, percent:P (either with ,pool=P or ,zone=Z), zone:Z, pool:P, service:S, call:A>B"

    var parameterText: String {
        func within(_ pool: String?, _ zone: String?) -> String { (pool.map { ",pool=\($0)" } ?? "") + (zone.map { ",zone=\($0)" } ?? "") }
        switch self {
        case .node(let n): return "node:\(n)"
        case .randomNodes(let c, let p, let z): return "random:\(c)" + within(p, z)
        case .percentOfNodes(let pct, let p, let z): return "percent:\(pct)" + within(p, z)
        case .zone(let z): return "zone:\(z)"
        case .pool(let p): return "pool:\(p)"
        case .service(let s): return "service:\(s)"
        case .call(let a, let b): return "call:\(a)>\(b)"
        }
    }

    /// Parses `parameterText`; nil for anything else (whether the named node or service exists is validation's job).
    init?(parameterText text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let kind = text[..<colon], rest = String(text[text.index(after: colon)...])
        guard !rest.isEmpty else { return nil }
        switch kind {
        case "node": self = .node(rest)
        case "zone": self = .zone(rest)
        case "pool": self = .pool(rest)
        case "service": self = .service(rest)
        case "call":
            let ends = rest.split(separator: ">", omittingEmptySubsequences: false).map(String.init)
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else { return nil }
            self = .call(from: ends[0], to: ends[1])
        case "random", "percent":
            var parts = rest.split(separator: ",").map(String.init)
            let amount = parts.removeFirst()
            var pool: String?, zone: String?
            for part in parts {
                if part.hasPrefix("pool="), pool == nil, part.count > 5 { pool = String(part.dropFirst(5)) }
                else if part.hasPrefix("zone="), zone == nil, part.count > 5 { zone = String(part.dropFirst(5)) }
                else { return nil }
            }
            if kind == "random" {
                guard let n = Int(amount) else { return nil }
                self = .randomNodes(count: n, pool: pool, zone: zone)
            } else {
                guard let pct = Double(amount), pct.isFinite else { return nil }
                self = .percentOfNodes(pct, pool: pool, zone: zone)
            }
        default: return nil
        }
    }
}
