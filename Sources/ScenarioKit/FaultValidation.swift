import Chaos

extension ScenarioSpec {
    /// Fault problems, for `validate()`.
    func faultProblems() -> [ValidationProblem] {
        var p: [ValidationProblem] = []
        // Capped: a count beyond the limit is a problem of its own, and must not size this set first.
        let nodeNames = Set(pools.flatMap { pool in (0..<min(max(0, pool.count), Limits.nodes.upperBound)).map { "\(pool.name)-\($0)" } })
        let zones = Set(pools.flatMap(\.zones)), poolNames = Set(pools.map(\.name)), serviceNames = Set(services.map(\.name))
        for f in faults {
            let path = "faults.\(f.name)"
            func check(_ ok: Bool, _ m: String) { if !ok { p.append(ValidationProblem(path: path, message: m)) } }
            check(f.start >= .zero && f.start < duration, "starts at \(f.start), outside the run (0…\(duration))")
            if let d = f.duration { check(d > .zero, "duration must be > 0") }
            switch f.target {
            case .node(let n): check(nodeNames.contains(n), "unknown node \"\(n)\"" + suggestion(n, nodeNames.sorted()))
            case .randomNodes(let c, let pool, let zone):
                check(c >= 1, "count must be ≥ 1")
                if let pool { check(poolNames.contains(pool), "unknown pool \"\(pool)\"") }
                if let zone { check(zones.contains(zone), "unknown zone \"\(zone)\"") }
            case .percentOfNodes(let pct, let pool, let zone):
                check(pct > 0 && pct <= 100, "percentage must be in (0, 100]")
                if let pool { check(poolNames.contains(pool), "unknown pool \"\(pool)\"") }
                if let zone { check(zones.contains(zone), "unknown zone \"\(zone)\"") }
            case .zone(let z): check(zones.contains(z), "unknown zone \"\(z)\"" + suggestion(z, zones.sorted()))
            case .pool(let pl): check(poolNames.contains(pl), "unknown pool \"\(pl)\"")
            case .service(let s): check(serviceNames.contains(s), "unknown service \"\(s)\"" + suggestion(s, serviceNames.sorted()))
            case .call(let a, let b):
                check(serviceNames.contains(a) && serviceNames.contains(b), "unknown service in call \(a) → \(b)")
            }
            let nodeTarget: Bool
            switch f.target {
            case .service, .call: nodeTarget = false
            default: nodeTarget = true
            }
            let nodeFault = f.kind is any NodeFault
            check(nodeFault || f.kind is any ServiceFault, "\(f.kind.name) is neither a NodeFault nor a ServiceFault, so it would do nothing")
            check(nodeFault == nodeTarget, "\(f.kind.name) needs a \(nodeFault ? "node" : "service") target, not \(f.target)")
            for problem in f.kind.problems(duration: f.duration) { check(false, problem) }
            // A gradual fault stops the run at every update: bounded before the run lays them out.
            if let every = (f.kind as? any ServiceFault)?.updateInterval {
                check(every >= .seconds(1) && duration.seconds / every.seconds <= 1_000_000,
                      "updates every \(every): at least a second apart, and at most a million in the run")
            }
            if fidelity == .fluid, let sf = f.kind as? any ServiceFault, !sf.hasFluidForm {
                check(false, "fluid fidelity cannot represent \(f.kind.name) (use fidelity request)")
            }
        }
        return p
    }
}
