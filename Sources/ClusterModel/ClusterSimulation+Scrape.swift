import SimulationKernel
import Telemetry

/// Observations: what a metrics scrape returns, interval by interval.
extension ClusterSimulation {
    /// Samples every service and node for the interval since the previous scrape, then resets the
    /// interval counters. Call at the end of each scrape interval.
    public mutating func scrape() -> Scrape {
        let now = events.now.nanoseconds
        let t = Double(now) / 1e9
        let interval = Double(now - lastScrape) / 1e9
        lastScrape = now
        #if STORMGLASS_INVARIANTS
        let problems = invariantViolations()
        precondition(problems.isEmpty, "world invariants broken at \(t) s: " + problems.joined(separator: "; "))
        #endif
        var samples: [ServiceSample] = []
        samples.reserveCapacity(services.count)
        for si in services.indices {
            account(si)
            if isFluid {
                samples.append(fluidSample(si, time: t, interval: interval))
            } else {
                services[si].latencies.flush()
                samples.append(sample(services[si], time: t, interval: interval))
            }
            services[si].foldInterval()
        }
        let nodeSamples = nodes.map { n in
            NodeSample(time: t, node: n.name, pool: spec.pools[n.pool].name, zone: n.zone, state: NodeState(rawValue: n.phase.rawValue),
                       reachable: n.reachable,
                       cpuAllocated: n.cpuCapacity > 0 ? Double(n.cpuUsed) / Double(n.cpuCapacity) : 0,
                       memoryAllocated: n.memoryCapacity > 0 ? Double(n.memoryUsed) / Double(n.memoryCapacity) : 0,
                       replicas: n.replicas)
        }
        return Scrape(time: t, interval: interval, services: samples, nodes: nodeSamples)
    }

    /// One service's observation for the interval just ended.
    func sample(_ s: borrowing ServiceState, time t: Double, interval: Double) -> ServiceSample {
        var o = ServiceSample(time: t, interval: interval, service: s.spec.name)
        o.arrivals = s.interval.arrivals
        o.completed = s.interval.completed
        o.failed = s.interval.failed
        o.rejected = s.interval.rejected
        o.timedOut = s.interval.timedOut
        o.retries = s.interval.retries
        o.shed = s.interval.shed
        o.goodput = s.interval.goodput
        if s.latencies.totalCount > 0 {
            let p = s.latencies.values(atPercentiles: [50, 95, 99])
            o.p50 = Double(p[0]) / 1e6
            o.p95 = Double(p[1]) / 1e6
            o.p99 = Double(p[2]) / 1e6
        }
        if !s.spec.latencyBuckets.isEmpty {
            o.latencyBuckets = s.latencies.cumulativeCounts(atOrBelow: s.spec.latencyBuckets.map { UInt64(max(0, min($0 * 1e6, 3.6e9))) }).map(Double.init)
        }
        o.meanQueueWait = s.interval.waitCount > 0 ? s.interval.waitSum / Double(s.interval.waitCount) : 0
        o.started = s.interval.waitCount
        o.queueDepth = s.queuedTotal
        o.inFlight = s.busyTotal
        if let work = s.spec.cpuSecondsPerRequest {
            let readyCPUSeconds = s.interval.slotArea / Double(max(1, s.concurrency)) * Double(s.spec.cpuMillicores) / 1000
            o.cpuUtilization = readyCPUSeconds > 0 ? Double(s.interval.completed) * work / readyCPUSeconds : 0
        } else {
            o.cpuUtilization = s.interval.slotArea > 0 ? min(1, s.interval.busyArea / s.interval.slotArea) : (s.busyTotal > 0 ? 1 : 0)
        }
        let held = s.readyCount + s.startingCount + s.drainingCount
        // An idle replica uses half its memory request; each in-flight request adds its own.
        o.memoryMiB = Double(held * s.spec.memoryMiB) * 0.5 + Double(s.busyTotal) * s.spec.memoryPerRequestMiB + s.leakedTotal
        o.memoryUtilization = held > 0 ? o.memoryMiB / Double(held * s.spec.memoryMiB) : 0
        o.readyReplicas = s.readyCount
        o.startingReplicas = s.startingCount
        o.pendingReplicas = s.pendingCount
        o.desiredReplicas = s.desired
        o.concurrencyPerReplica = Int(s.concurrency)
        o.replicaSeconds = s.interval.replicaArea
        o.slotSeconds = s.interval.slotArea
        if s.spec.connectionPool != nil {
            o.connectionPool = s.connectionPool
            o.connectionPoolUtilization = interval > 0 ? min(1, s.interval.busyArea / (Double(s.connectionPool) * interval)) : 0
        }
        return o
    }

    /// Whole-run totals for a service (replica-seconds up to the last scrape).
    public func totals(_ service: Int) -> ServiceTotals { services[service].runTotals }

    /// Requests of `service` waiting or in service right now.
    public func inSystem(_ service: Int) -> Int { services[service].inSystem }

    /// The run-wide latency histogram so far as (upper edge in µs, count) buckets, ascending.
    /// Percentiles are read from these buckets the same way in Swift and in SQL.
    public func runLatencyBuckets(_ service: Int) -> [(upperMicros: UInt64, count: UInt64)] {
        services[service].runLatencies.buckets
    }

    public var serviceCount: Int { services.count }
    public func serviceName(_ i: Int) -> String { services[i].spec.name }
}

/// Injected fault effects on a service (used by the chaos layer).
extension ClusterSimulation {
    /// Multiplies service times (CPU stress); 1 = healthy.
    public mutating func setSlowdown(service: Int, factor: Double) { services[service].slowdown = factor }
    /// Adds latency to every request's own work (latency injection); nil = none.
    public mutating func setExtraLatency(service: Int, _ d: Distribution?) {
        services[service].extraLatency = d
        if isFluid {
            advanceFluid(to: events.now.nanoseconds)
            fluid!.services[service].extra = d.map(LatencyMoments.init) ?? .zero
        }
    }
    /// Fails this fraction of requests after their work (error injection); 0 = none.
    public mutating func setErrorFraction(service: Int, _ f: Double) { services[service].errorFraction = f }
    /// Multiplies replica start-up latency (slow start, cold image cache); 1 = normal.
    public mutating func setStartupMultiplier(service: Int, _ m: Double) { services[service].startupMultiplier = m }
    /// This share (0…1) of the service's external arrivals never comes (a traffic drop); 0 = none.
    public mutating func setArrivalDrop(service: Int, _ fraction: Double) { services[service].arrivalDrop = fraction }

    /// Every live replica of `service` leaks `mibPerReplica` more memory (a memory leak); one whose idle
    /// memory, in-flight requests and leak exceed its memory limit is OOM-killed.
    public mutating func leakMemory(service: Int, mibPerReplica: Double) {
        if services[service].leakedMiB.count < services[service].replicas.count {
            services[service].leakedMiB += repeatElement(0, count: services[service].replicas.count - services[service].leakedMiB.count)
        }
        let limit = services[service].spec.memoryLimitMiB.map(Double.init)
        for r in services[service].replicas.indices {
            switch services[service].replicas[r].phase {
            case .starting, .ready, .draining:
                services[service].leakedMiB[r] += mibPerReplica
                if let limit, services[service].memoryInUse(r) > limit { oomKill(Int32(service), Int32(r)) }
            default: break
            }
        }
    }
}
