import ClusterModel
import SimulationKernel

/// One thing wrong with a scenario, with the path of the offending node.
public struct ValidationProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// A scenario that cannot run, with every problem found.
public struct InvalidScenario: Error, CustomStringConvertible {
    public var scenario: String
    public var problems: [ValidationProblem]
    public init(scenario: String, problems: [ValidationProblem]) { self.scenario = scenario; self.problems = problems }
    public var description: String {
        "scenario \(scenario) is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension ScenarioSpec {
    /// Every problem at once, in words; empty when the scenario can run.
    public func validate() -> [ValidationProblem] {
        var p = buildProblems
        func check(_ ok: Bool, _ path: String, _ message: @autoclosure () -> String) {
            if !ok { p.append(ValidationProblem(path: path, message: message())) }
        }
        // Every value that sizes an allocation is bounded here, before a world is built from it.
        func atMost(_ v: Int, _ range: ClosedRange<Int>, _ path: String) {
            check(v <= range.upperBound, path, "\(v) is above the most the simulation can represent (\(range.upperBound))")
        }
        func distribution(_ d: Distribution, _ path: String) {
            for m in d.problems { p.append(ValidationProblem(path: path, message: m)) }
        }

        check(!name.isEmpty, "name", "must not be empty")
        check(duration > .zero, "duration", "must be > 0 (got \(duration))")
        check(scrapeInterval > .zero, "scrapeInterval", "must be > 0")
        check(scrapeInterval <= duration, "scrapeInterval", "\(scrapeInterval) is longer than the run (\(duration))")
        check(stabilityWindow >= .zero, "stabilityWindow", "must be ≥ 0")

        check(!pools.isEmpty, "pools", "at least one node pool is needed")
        var poolNames = Set<String>()
        for pool in pools {
            let path = "pools.\(pool.name)"
            check(poolNames.insert(pool.name).inserted, path, "duplicate pool name")
            check(pool.count >= 0, path + ".count", "must be ≥ 0 (got \(pool.count))")
            check(pool.cpuMillicores > 0, path + ".cpuMillicores", "must be > 0")
            check(pool.memoryMiB > 0, path + ".memoryMiB", "must be > 0")
            atMost(pool.count, Limits.nodes, path + ".count")
            atMost(pool.cpuMillicores, Limits.millicores, path + ".cpuMillicores")
            atMost(pool.memoryMiB, Limits.mebibytes, path + ".memoryMiB")
            check(pool.pricePerHour >= 0, path + ".pricePerHour", "must be ≥ 0")
            distribution(pool.startup, path + ".startup")
        }

        check(!services.isEmpty, "services", "at least one service is needed")
        var serviceNames = Set<String>()
        for s in services {
            let path = "services.\(s.name)"
            let m = s.model
            check(serviceNames.insert(s.name).inserted, path, "duplicate service name")
            check(s.minReplicas >= 0, path + ".replicas", "min \(s.minReplicas) must be ≥ 0")
            check(s.minReplicas <= s.maxReplicas, path + ".replicas", "min \(s.minReplicas) > max \(s.maxReplicas)")
            check(m.replicas >= s.minReplicas && m.replicas <= s.maxReplicas, path + ".replicas",
                  "initial \(m.replicas) is outside min…max (\(s.minReplicas)…\(s.maxReplicas))")
            check(m.concurrency >= 1, path + ".concurrency", "must be ≥ 1 (got \(m.concurrency))")
            check(m.cpuMillicores > 0, path + ".cpuMillicores", "must be > 0")
            check(m.memoryMiB > 0, path + ".memoryMiB", "must be > 0")
            check((m.queueCapacity ?? 0) >= 0, path + ".queueCapacity", "must be ≥ 0")
            atMost(s.maxReplicas, Limits.replicas, path + ".maxReplicas")
            atMost(m.concurrency, Limits.concurrency, path + ".concurrency")
            atMost(m.cpuMillicores, Limits.millicores, path + ".cpuMillicores")
            atMost(m.memoryMiB, Limits.mebibytes, path + ".memoryMiB")
            atMost(m.queueCapacity ?? 0, Limits.queue, path + ".queueCapacity")
            check((m.connectionPool ?? 1) >= 1, path + ".connectionPool", "must be ≥ 1")
            if let w = m.cpuSecondsPerRequest { check(w.isFinite && w > 0 && w <= 3600, path + ".cpuPerRequest", "must be in (0, 1h] (got \(w) s)") }
            if let p = s.connectionPoolPolicy {
                check(p.minimum >= 1 && p.minimum <= p.maximum, path + ".connectionPool.range", "needs 1 ≤ min ≤ max (got \(p.minimum)…\(p.maximum))")
            }
            check((m.timeout ?? .seconds(1)) > .zero, path + ".timeout", "must be > 0")
            check(m.pricePerReplicaHour >= 0, path + ".pricePerReplicaHour", "must be ≥ 0")
            check(s.slo.p95 > .zero, path + ".slo.p95", "must be > 0")
            check((0...1).contains(s.slo.errorRate), path + ".slo.errorRate", "must be between 0 and 1 (got \(s.slo.errorRate))")
            distribution(m.serviceTime, path + ".serviceTime")
            distribution(m.startup, path + ".startup")
            if !pools.isEmpty {
                check(pools.contains { $0.cpuMillicores >= m.cpuMillicores && $0.memoryMiB >= m.memoryMiB }, path + ".resources",
                      "a replica (\(m.cpuMillicores)m CPU, \(m.memoryMiB) MiB) fits on no node pool")
            }
            for c in m.calls {
                check(services.contains { $0.name == c }, path + ".calls", "unknown service \"\(c)\"")
            }
            for (target, policy) in m.callPolicies.sorted(by: { $0.key < $1.key }) {
                check(m.calls.contains(target), path + ".calls.\(target)", "a call policy for a service it does not call")
                for q in policy.retry.problems(at: path + ".calls.\(target).retry") { p.append(ValidationProblem(path: q.path, message: q.message)) }
                for q in policy.breaker?.problems(at: path + ".calls.\(target).breaker") ?? [] { p.append(ValidationProblem(path: q.path, message: q.message)) }
            }
            for q in m.admission?.problems(at: path + ".admission") ?? [] { p.append(ValidationProblem(path: q.path, message: q.message)) }
            for q in m.healthProblems(at: path) { p.append(ValidationProblem(path: q.path, message: q.message)) }
        }
        if let cycle = callCycle() {
            p.append(ValidationProblem(path: "services.\(cycle[0]).calls", message: "call cycle: " + cycle.joined(separator: " → ")))
        }

        check(!traffic.isEmpty, "traffic", "no traffic: nothing would happen")
        for t in traffic {
            let path = "traffic.\(t.service)"
            check(serviceIndex(t.service) != nil, path, "unknown service \"\(t.service)\"" + suggestion(t.service, services.map(\.name)))
            switch t.source {
            case .constant(let r):
                check(r > 0 && r.isFinite, path + ".rate", "must be > 0 (got \(r))")
                check(r <= Limits.rate.upperBound, path + ".rate", "\(r) requests/s is above the most a run can simulate (\(Int(Limits.rate.upperBound))/s)")
            case .trace(let replay):
                // A replayed value sizes the work of every segment it touches: bound it before anything runs.
                if let peak = replay.rates.max(), !(peak <= Limits.rate.upperBound),
                   let i = replay.rates.firstIndex(where: { !($0 <= Limits.rate.upperBound) }) {
                    p.append(ValidationProblem(path: path + ".trace", message: "\(replay.origin) reaches \(peak) requests/s at \(replay.times[i]) s "
                        + "(after scaling); the most a run can simulate is \(Int(Limits.rate.upperBound))/s: lower the scale or set a peak"))
                }
            }
            for s in t.shapes { for m in s.shape.problems { p.append(ValidationProblem(path: "\(path).\(s.name)", message: m)) } }
            distribution(t.batchSize, path + ".batchSize")
            for q in t.retry.problems(at: path + ".retry") { p.append(ValidationProblem(path: q.path, message: q.message)) }
        }
        p += faultProblems()
        if fidelity == .fluid {
            p += clusterSpec.fluidLimitations.map { ValidationProblem(path: $0.path, message: $0.message) }
        }
        return p
    }

    /// Throws `InvalidScenario` listing every problem.
    public func validated() throws -> ScenarioSpec {
        let problems = validate()
        if !problems.isEmpty { throw InvalidScenario(scenario: name, problems: problems) }
        return self
    }

    /// The first cycle in the call graph, as a path of service names, if any.
    func callCycle() -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        let calls = Dictionary(services.map { ($0.name, $0.model.calls) }, uniquingKeysWith: { a, _ in a })
        func visit(_ s: String) -> [String]? {
            if state[s] == 2 { return nil }
            if state[s] == 1 {
                let start = stack.firstIndex(of: s) ?? 0
                return Array(stack[start...]) + [s]
            }
            state[s] = 1; stack.append(s)
            for c in calls[s] ?? [] { if let found = visit(c) { return found } }
            stack.removeLast(); state[s] = 2
            return nil
        }
        for s in services { if let c = visit(s.name) { return c } }
        return nil
    }
}

/// " (did you mean \"x\"?)" when a known name is close to the given one.
public func suggestion(_ name: String, _ known: [String]) -> String {
    let close = known.min { editDistance($0, name) < editDistance($1, name) }
    if let close, editDistance(close, name) <= max(2, name.count / 3) { return " (did you mean \"\(close)\"?)" }
    return ""
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
