import SimulationKernel

/// A liveness probe (Kubernetes defaults: every 10 s, 1 s timeout, 3 failures in a row). The probe is
/// answered by the replica's workers, so it waits behind the replica's queue: it fails when the oldest
/// queued request has already waited `timeout` (an overloaded replica misses its probes). After
/// `failureThreshold` failures in a row the container restarts: its requests in service and queued are
/// lost, and it is ready again after its start-up latency.
public struct LivenessProbe: Sendable, Hashable {
    public var period: SimDuration
    public var timeout: SimDuration
    public var failureThreshold: Int
    public init(period: SimDuration = .seconds(10), timeout: SimDuration = .seconds(1), failureThreshold: Int = 3) {
        self.period = period; self.timeout = timeout; self.failureThreshold = failureThreshold
    }

    public func problems(at path: String) -> [(path: String, message: String)] {
        var out: [(String, String)] = []
        if period < .seconds(1) || period > .hours(1) { out.append((path + ".period", "must be 1 s … 1 h (was \(period))")) }
        if timeout.nanoseconds <= 0 || timeout > period { out.append((path + ".timeout", "must be > 0 and at most the period (was \(timeout))")) }
        if !(1...100).contains(failureThreshold) { out.append((path + ".failureThreshold", "must be 1…100 (was \(failureThreshold))")) }
        return out
    }
}

/// How often the readiness check runs when there is no liveness probe to share its period.
let readinessPeriod = SimDuration.seconds(5)

extension ServiceSpec {
    /// The most requests a replica may have in service before its memory (half its request when idle,
    /// plus `memoryPerRequestMiB` per request) exceeds `memoryLimitMiB`; Int32.max without a limit.
    var requestsBeforeOOM: Int32 {
        guard let limit = memoryLimitMiB, memoryPerRequestMiB > 0 else { return .max }
        let room = (Double(limit) - 0.5 * Double(memoryMiB)) / memoryPerRequestMiB
        return Int32(max(0, min(Double(Int32.max), room.rounded(.down))))
    }

    /// Problems of the health settings, for validation.
    public func healthProblems(at path: String) -> [(path: String, message: String)] {
        var out = liveness?.problems(at: path + ".liveness") ?? []
        if let w = readinessMaxQueueWait, w.nanoseconds <= 0 { out.append((path + ".readiness", "the queue-wait bound must be > 0")) }
        if let c = cpuLimitMillicores, c < cpuMillicores { out.append((path + ".cpuLimitMillicores", "\(c)m is below the CPU request (\(cpuMillicores)m)")) }
        if let m = maxUnavailable, m < 0 { out.append((path + ".maxUnavailable", "must be ≥ 0 (was \(m))")) }
        if let limit = memoryLimitMiB, Double(limit) < 0.5 * Double(memoryMiB) {
            out.append((path + ".memoryLimitMiB", "\(limit) MiB is below what an idle replica uses (half its \(memoryMiB) MiB request)"))
        }
        return out
    }
}
