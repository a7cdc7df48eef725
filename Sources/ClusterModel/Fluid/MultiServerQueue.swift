import Foundation
import SimulationKernel

/// Steady-state waits and response times of a c-server queue from its arrival rate and service-time
/// distribution, without simulating requests: Erlang C for whether a request waits (exact for
/// M/M/c), Allen–Cunneen for how long (the M/M/c wait scaled by (c_a² + c_s²) / 2, so G/G/c), and
/// the response-time tail as the wait (exponential, for those who wait) plus the service time.
/// The building block of the fluid fidelity (issue 18): a service's latency percentiles from the
/// state it is in rather than from the requests it served.
///
/// Complexity: O(c) to build (the Erlang B recursion, stable for thousands of servers), O(samples)
/// per tail probability, O(samples × 60) per percentile (bisection).
public struct MultiServerQueue: Sendable {
    public let arrivalRate: Double
    public let servers: Int
    public let meanService: Double
    /// Squared coefficients of variation of inter-arrival and service times (1 and 1 for M/M/c).
    public let arrivalSCV: Double, serviceSCV: Double
    /// Service times, sorted: a fixed sample of the distribution, for the response-time tail.
    let serviceSamples: [Double]
    /// Erlang C: the probability that an arrival waits (0 when unstable: see `isStable`).
    public let probabilityOfWaiting: Double

    /// - Parameters:
    ///   - serviceTime: the distribution of one request's work.
    ///   - arrivalSCV: 1 for Poisson arrivals.
    ///   - samples: how many draws (from a fixed stream) stand for the service-time distribution.
    public init(arrivalRate: Double, servers: Int, serviceTime: Distribution, arrivalSCV: Double = 1, samples: Int = 2048) {
        self.arrivalRate = arrivalRate
        self.servers = max(1, servers)
        meanService = serviceTime.mean
        let variance = max(0, serviceTime.secondMoment - meanService * meanService)
        serviceSCV = meanService > 0 ? variance / (meanService * meanService) : 0
        self.arrivalSCV = arrivalSCV
        var rng = RandomStream(seed: 0, name: "fluid/service-time")
        serviceSamples = (0..<max(1, samples)).map { _ in serviceTime.sample(&rng) }.sorted()
        probabilityOfWaiting = Self.erlangC(servers: self.servers, offeredLoad: arrivalRate * meanService)
    }

    /// Offered load per server, λ·E[S] / c.
    public var utilization: Double { arrivalRate * meanService / Double(servers) }
    public var isStable: Bool { utilization < 1 }

    /// Erlang C from the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
    public static func erlangC(servers c: Int, offeredLoad a: Double) -> Double {
        guard a > 0 else { return 0 }
        let rho = a / Double(c)
        guard rho < 1 else { return 1 }
        var b = 1.0
        for k in 1...c { b = a * b / (Double(k) + a * b) }
        return b / (1 - rho * (1 - b))
    }

    /// The rate of the wait of those who wait: exponential with rate (c/E[S] − λ), stretched by
    /// Allen–Cunneen's (c_a² + c_s²) / 2.
    var waitRate: Double {
        Self.waitRate(servers: servers, meanService: meanService, arrivalRate: arrivalRate, arrivalSCV: arrivalSCV, serviceSCV: serviceSCV)
    }

    static func waitRate(servers c: Int, meanService: Double, arrivalRate: Double, arrivalSCV: Double, serviceSCV: Double) -> Double {
        (Double(c) / meanService - arrivalRate) / max(1e-12, (arrivalSCV + serviceSCV) / 2)
    }

    /// Mean time in the queue (Allen–Cunneen; Erlang C's exact figure for M/M/c).
    public var meanWait: Double { isStable ? probabilityOfWaiting / waitRate : .infinity }

    /// Mean response time: wait plus service.
    public var meanResponse: Double { meanWait + meanService }

    /// P(response time > x).
    public func responseTimeExceedance(_ x: Double) -> Double {
        guard isStable else { return 1 }
        let theta = waitRate, pw = probabilityOfWaiting
        var served = 0.0, waited = 0.0
        for s in serviceSamples {
            if s > x { served += 1; waited += 1 } else { waited += exp(-theta * (x - s)) }
        }
        let n = Double(serviceSamples.count)
        return (1 - pw) * served / n + pw * waited / n
    }

    /// The response time not exceeded by `p` percent of requests (p in 0…100).
    public func responseTime(percentile p: Double) -> Double {
        guard isStable else { return .infinity }
        let target = 1 - min(max(p, 0), 100) / 100
        var lo = 0.0, hi = max(serviceSamples.last ?? 0, meanService) + 50 / waitRate
        if responseTimeExceedance(hi) > target { hi *= 10 }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if responseTimeExceedance(mid) > target { lo = mid } else { hi = mid }
        }
        return hi
    }
}
