/// How finely the world simulates its requests.
public enum Fidelity: String, Sendable, Equatable, CaseIterable {
    /// Every request is an event: arrivals, queueing, service, calls. The default and the reference.
    case request
    /// Requests are flows: arrivals integrated from the traffic's rate, queues as fluid levels,
    /// latency percentiles from queueing approximations of the current state (`FluidService`).
    /// Replicas, nodes, faults and the control plane stay event by event. A day of a large shop in
    /// seconds; what it cannot represent is listed by `ClusterSpec.fluidLimitations`.
    case fluid
}

extension ClusterSpec {
    /// Everything in this model that the fluid fidelity cannot represent, as (path, reason): empty
    /// when a fluid run means what a request-level run means (within the tolerances the validation
    /// tests state). Paths name the service or traffic as scenario validation does.
    ///
    /// Why each is refused: retries, breakers and admission control act on individual requests
    /// and their feedback (a retry storm is a property of who retried when) — a flow has no
    /// attempts to count; probes and OOM kills act on one replica's own queue or in-flight count,
    /// which a pooled flow does not keep; a CPU limit throttles by the instantaneous number of busy
    /// slots on one replica.
    public var fluidLimitations: [(path: String, message: String)] {
        var problems: [(String, String)] = []
        for s in services {
            let path = "services.\(s.name)"
            for (target, policy) in s.callPolicies.sorted(by: { $0.key < $1.key }) {
                if policy.retry.retries || policy.retry.perTryTimeout != nil {
                    problems.append((path + ".calls.\(target).retry", "fluid fidelity cannot represent retries or per-try timeouts (use fidelity request)"))
                }
                if policy.breaker != nil {
                    problems.append((path + ".calls.\(target).breaker", "fluid fidelity cannot represent circuit breakers (use fidelity request)"))
                }
            }
            if s.admission != nil { problems.append((path + ".admission", "fluid fidelity cannot represent load shedding or rate limiting (use fidelity request)")) }
            if s.liveness != nil || s.readinessMaxQueueWait != nil {
                problems.append((path + ".health", "fluid fidelity cannot represent liveness or readiness probes on one replica's queue (use fidelity request)"))
            }
            if s.memoryLimitMiB != nil { problems.append((path + ".memoryLimit", "fluid fidelity cannot represent OOM kills (use fidelity request)")) }
            if s.cpuLimitMillicores != nil { problems.append((path + ".cpuLimit", "fluid fidelity cannot represent CPU throttling (use fidelity request)")) }
        }
        for t in traffic where t.retry.retries {
            problems.append(("traffic.\(t.service).retry", "fluid fidelity cannot represent client retries (use fidelity request)"))
        }
        return problems
    }
}
