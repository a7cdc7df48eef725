import AsyncHTTPClient
import ClusterModel
import Foundation
import NIOCore
import SimulationKernel

/// An open-loop load generator: requests leave at the times a Poisson process with the trace's rate
/// gives, whether or not earlier ones have been answered — as users arrive — so a slow system sees its
/// queue grow rather than its load fall. Latency is measured from each request's scheduled time, so a
/// late send counts against the system (no coordinated omission).
public struct LoadGenerator: Sendable {
    public struct Settings: Sendable {
        /// Where requests go, e.g. the balancer's `http://127.0.0.1:PORT/`.
        public var target: String
        /// Requests per second over time (seconds from the trace's start).
        public var rate: [MetricSeries.Point]
        /// Trace seconds per wall second: 288 plays a day in five minutes.
        public var compression: Double
        /// At most this many requests in all, this many at once, and this many wall seconds.
        public var maxRequests: Int
        public var maxInFlight: Int
        public var maxSeconds: Double
        public var timeout: Double
        public var seed: UInt64

        public init(target: String, rate: [MetricSeries.Point], compression: Double = 1, maxRequests: Int = 100_000, maxInFlight: Int = 512,
                    maxSeconds: Double = 600, timeout: Double = 30, seed: UInt64 = 1) {
            self.target = target; self.rate = rate; self.compression = compression; self.maxRequests = maxRequests
            self.maxInFlight = maxInFlight; self.maxSeconds = maxSeconds; self.timeout = timeout; self.seed = seed
        }

        public var problems: [String] {
            var out: [String] = []
            if !target.hasPrefix("http://127.0.0.1:") && !target.hasPrefix("http://localhost:") { out.append("the target must be on loopback (http://127.0.0.1:PORT/…), not \(target)") }
            if rate.isEmpty { out.append("the rate trace has no points") }
            if rate.contains(where: { !$0.value.isFinite || $0.value < 0 }) { out.append("the rate trace has a negative or non-finite rate") }
            if !(compression > 0 && compression <= 100_000) { out.append("compression must be more than 0 and at most 100000, not \(compression)") }
            if !(1...10_000_000).contains(maxRequests) { out.append("max requests must be 1…10000000, not \(maxRequests)") }
            if !(1...10_000).contains(maxInFlight) { out.append("max in flight must be 1…10000, not \(maxInFlight)") }
            if !(maxSeconds > 0 && maxSeconds <= 86_400) { out.append("max seconds must be more than 0 and at most 86400, not \(maxSeconds)") }
            if !(timeout > 0 && timeout <= 600) { out.append("timeout must be more than 0 and at most 600 s, not \(timeout)") }
            return out
        }
    }

    /// One request's fate. Times are wall seconds from the start of the load.
    public struct Outcome: Sendable {
        public var scheduled: Double
        public var sent: Double
        /// From `scheduled` to the answer (or the failure).
        public var latency: Double
        /// HTTP status, or 0: refused, timed out, or not sent because `maxInFlight` were outstanding.
        public var status: Int
        public var problem: String?
    }

    public let settings: Settings
    public init(_ settings: Settings) throws {
        if !settings.problems.isEmpty { throw TestbedError("load: " + settings.problems.joined(separator: "; ")) }
        self.settings = settings
    }

    /// Arrival times in wall seconds: a Poisson process whose rate follows the trace (step-wise, each
    /// point holding until the next), over the trace played at `compression`, capped by the limits.
    public func schedule() -> [Double] {
        let points = settings.rate.sorted { $0.time < $1.time }
        let origin = points[0].time
        var random = RandomStream(seed: settings.seed, name: "load")
        var times: [Double] = []
        var t = 0.0
        for (i, p) in points.enumerated() {
            // The last point holds for the median step, so a trace's final rate is played too.
            let end = i + 1 < points.count ? (points[i + 1].time - origin) / settings.compression
                : (p.time - origin) / settings.compression + Self.medianStep(points) / settings.compression
            let wallRate = p.value
            t = max(t, (p.time - origin) / settings.compression)
            guard wallRate > 0 else { t = end; continue }
            while true {
                let next = t + random.standardExponential() / wallRate
                if next >= end || next >= settings.maxSeconds || times.count >= settings.maxRequests { t = end; break }
                times.append(next)
                t = next
            }
            if t >= settings.maxSeconds || times.count >= settings.maxRequests { break }
        }
        return times
    }

    static func medianStep(_ points: [MetricSeries.Point]) -> Double {
        guard points.count > 1 else { return 1 }
        let steps = zip(points.dropFirst(), points).map { $0.time - $1.time }.sorted()
        return steps[steps.count / 2]
    }

    /// Sends the schedule, answering `progress` now and then; returns every request's outcome in
    /// scheduled order. Stops sending when `shouldStop` says so and waits for those in flight.
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> [Outcome] {
        let times = schedule()
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            timeout: .init(connect: .seconds(2), read: .milliseconds(Int64(settings.timeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxInFlight)))
        let clock = ContinuousClock()
        let start = clock.now
        let inFlight = Counter()
        let results = Results(count: times.count)
        // Discarding: finished requests leave the group at once, so a long run does not hold them all.
        await withDiscardingTaskGroup { group in
            for (i, at) in times.enumerated() {
                if shouldStop() { break }
                try? await clock.sleep(until: start.advanced(by: .seconds(at)))
                let sent = (clock.now - start).seconds
                guard inFlight.value < settings.maxInFlight else {
                    results.set(i, Outcome(scheduled: at, sent: sent, latency: 0, status: 0, problem: "not sent: \(settings.maxInFlight) in flight"))
                    continue
                }
                inFlight.add(1)
                let target = settings.target, timeout = settings.timeout
                group.addTask {
                    defer { inFlight.add(-1) }
                    let request = HTTPClientRequest(url: target)
                    do {
                        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        results.set(i, Outcome(scheduled: at, sent: sent, latency: (clock.now - start).seconds - at, status: Int(response.status.code)))
                    } catch {
                        results.set(i, Outcome(scheduled: at, sent: sent, latency: (clock.now - start).seconds - at, status: 0, problem: "\(error)"))
                    }
                }
            }
        }
        let outcomes = results.all
        try await client.shutdown()
        return outcomes
    }

    /// The outcomes as CSV: `scheduled,sent,latency,status` (seconds).
    public static func csv(_ outcomes: [Outcome]) -> String {
        var text = "scheduled,sent,latency,status\n"
        for o in outcomes { text += String(format: "%.6f,%.6f,%.6f,%d\n", o.scheduled, o.sent, o.latency, o.status) }
        return text
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [LoadGenerator.Outcome?]
    init(count: Int) { outcomes = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ o: LoadGenerator.Outcome) { lock.lock(); outcomes[i] = o; lock.unlock() }
    var all: [LoadGenerator.Outcome] { lock.lock(); defer { lock.unlock() }; return outcomes.compactMap { $0 } }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ d: Int) { lock.lock(); n += d; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
