import Foundation
import ClusterModel
import SimulationKernel

/// Mean and confidence interval over independent replications.
struct ReplicationEstimate: CustomStringConvertible {
    var values: [Double]
    var mean: Double { values.reduce(0, +) / Double(values.count) }
    var standardError: Double {
        let m = mean
        let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
        return sqrt(v / Double(values.count))
    }
    /// Two-sided 99 % half-width with Student's t (tabulated for the replication counts we use).
    var halfWidth99: Double {
        let t: [Int: Double] = [5: 4.604, 7: 3.707, 9: 3.250, 11: 3.106, 14: 2.977, 19: 2.861]
        return (t[values.count - 1] ?? 2.9) * standardError
    }
    func contains(_ x: Double) -> Bool { abs(mean - x) <= halfWidth99 }
    var description: String { String(format: "%.4f ± %.4f (99%% CI, %d replications)", mean, halfWidth99, values.count) }
}

/// One service, no timeouts, on a node big enough for everything: a plain queueing station.
func station(servers: Int, perReplica: Int = 1, arrivalRate: Double, service: Distribution,
             queueCapacity: Int? = nil, routing: Routing = .sharedQueue, scrape: SimDuration = .seconds(15)) -> ClusterSpec {
    let svc = ServiceSpec(name: "station", replicas: servers, concurrency: perReplica, cpuMillicores: 1, memoryMiB: 1,
                          serviceTime: service, queueCapacity: queueCapacity, timeout: nil, routing: routing)
    return ClusterSpec(pools: [NodePoolSpec(name: "big", count: 1, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                       services: [svc], traffic: [TrafficSpec(service: "station", source: .constant(arrivalRate))],
                       scrapeInterval: scrape)
}

/// Runs `replications` seeds; each discards `warmup` then measures over `measure`.
func replicate(_ spec: ClusterSpec, replications: Int = 10, warmup: SimDuration, measure: SimDuration,
               _ statistic: (ServiceTotals, ServiceTotals) -> Double) -> ReplicationEstimate {
    var values: [Double] = []
    for seed in 1...replications {
        var sim = ClusterSimulation(spec: spec, seed: UInt64(seed))
        sim.run(until: SimTime.zero + warmup)
        let before = sim.totals(0)
        sim.run(until: SimTime.zero + warmup + measure)
        values.append(statistic(before, sim.totals(0)))
    }
    return ReplicationEstimate(values: values)
}

func meanWait(_ a: ServiceTotals, _ b: ServiceTotals) -> Double {
    (b.waitSum - a.waitSum) / Double(b.started - a.started)
}

/// Erlang C: mean wait in queue of M/M/c.
func erlangCWait(lambda: Double, mu: Double, c: Int) -> Double {
    let a = lambda / mu, rho = a / Double(c)
    var term = 1.0, sum = 1.0
    for k in 1..<c { term *= a / Double(k); sum += term }
    let last = term * a / Double(c) / (1 - rho)
    let pWait = last / (sum + last)
    return pWait / (Double(c) * mu - lambda)
}
