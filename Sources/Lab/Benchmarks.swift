import ClusterModel
import ControlPlane
import Foundation
import Recorder
import ScenarioKit
import SimulationKernel
import Telemetry

/// The figures `stormglass bench` prints, one `name: value unit` line each.
/// The performance figures `stormglass bench` prints, one `name: value unit` line each.
public enum Benchmarks {
    public struct Figure: Sendable {
        public var name: String
        public var value: Double
        public var unit: String
        public init(name: String, value: Double, unit: String) { self.name = name; self.value = value; self.unit = unit }
        public var line: String {
            let v = abs(value) >= 1000 ? String(format: "%.0f", value) : String(format: "%.3g", value)
            return "\(name): \(v) \(unit)"
        }
    }

    static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// M/M/c, λ = 45/s, μ = 1/s, c = 50 (50 single-slot replicas pulling from one queue), 1,000,000
    /// customers. Events = arrivals + service completions, about two per customer.
    public static func mmc(customers: Int = 1_000_000) -> [Figure] {
        let service = ServiceSpec(name: "mmc", replicas: 50, concurrency: 1, cpuMillicores: 100, memoryMiB: 64,
                                  serviceTime: .exponential(mean: 1), queueCapacity: nil, timeout: nil, routing: .sharedQueue)
        let spec = ClusterSpec(pools: [NodePoolSpec(name: "pool", count: 1, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                               services: [service], traffic: [TrafficSpec(service: "mmc", source: .constant(45))])
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let horizon = SimTime.seconds(Double(customers) / 45)
        sim.setHorizon(horizon)
        let start = wallClock()
        sim.run(until: horizon + .seconds(3600))  // let the last customers finish
        let elapsed = wallClock() - start
        return [Figure(name: "mmc_events_per_second", value: Double(sim.eventsProcessed) / elapsed, unit: "events/s")]
    }

    /// Runs `sim` for `hours`, scraping every 15 s as a run does; returns the wall seconds taken.
    static func runScraping(_ sim: inout ClusterSimulation, hours: Double) -> Double {
        let end = SimTime.zero + .hours(hours)
        sim.setHorizon(end)
        let start = wallClock()
        var t = SimTime.zero
        while t < end {
            t = t + .seconds(15)
            sim.run(until: t)
            _ = sim.scrape()
        }
        return wallClock() - start
    }

    /// 24 simulated hours of one load-balanced service at a mean of 1,000 requests/s with a daily
    /// cycle (±50 %), scraped every 15 s, no recording.
    public static func dailyCycle(hours: Double = Double(ProcessInfo.processInfo.environment["STORMGLASS_BENCH_HOURS"] ?? "24") ?? 24) -> [Figure] {
        let service = ServiceSpec(name: "web", replicas: 12, concurrency: 8,
                                  serviceTime: .lognormal(median: 0.020, p99: 0.100), queueCapacity: 100)
        let spec = ClusterSpec(pools: [NodePoolSpec(name: "pool", count: 4)], services: [service],
                               traffic: [TrafficSpec(service: "web", source: .constant(1000),
                                                     shapes: [.cycle(period: .hours(24), amplitude: 0.5, peakAt: .hours(14))])])
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let elapsed = runScraping(&sim, hours: hours)
        return [Figure(name: "daily_cycle_24h_1000rps_wall_seconds", value: elapsed, unit: "s"),
                Figure(name: "daily_cycle_24h_1000rps_events_per_second", value: Double(sim.eventsProcessed) / elapsed, unit: "events/s"),
                Figure(name: "daily_cycle_24h_1000rps_requests", value: Double(sim.totals(0).arrivals), unit: "requests")]
    }

    /// The cost of client behaviour: a two-tier service at 1000 requests/s with 1 % injected errors,
    /// without retries and with retries (3 tries, a budget of 20 %) on the external traffic and on the
    /// call edge. Best of `repeats` alternating runs each; wall time per external request.
    public static func retryOverhead(hours: Double = 2, repeats: Int = 3) -> [Figure] {
        func spec(retries: Bool) -> ClusterSpec {
            let policy = retries ? RetryPolicy.attempts(3, budget: 0.2) : .none
            var front = ServiceSpec(name: "front", replicas: 12, concurrency: 8, serviceTime: .lognormal(median: 0.015, p99: 0.080),
                                    queueCapacity: 100, calls: ["back"])
            front.callPolicies["back"] = CallPolicy(retry: policy)
            let back = ServiceSpec(name: "back", replicas: 8, concurrency: 8, serviceTime: .lognormal(median: 0.010, p99: 0.050), queueCapacity: 100)
            return ClusterSpec(pools: [NodePoolSpec(name: "pool", count: 4)], services: [front, back],
                               traffic: [TrafficSpec(service: "front", source: .constant(1000), retry: policy)])
        }
        func run(_ spec: ClusterSpec) -> (seconds: Double, requests: Double) {
            var sim = ClusterSimulation(spec: spec, seed: 1)
            sim.setErrorFraction(service: 1, 0.01)
            let seconds = runScraping(&sim, hours: hours)
            let totals = sim.totals(0)
            return (seconds, Double(totals.arrivals - totals.retries))
        }
        var plain = Double.infinity, retrying = Double.infinity
        for _ in 0..<repeats {
            let a = run(spec(retries: false)); plain = min(plain, a.seconds / a.requests)
            let b = run(spec(retries: true)); retrying = min(retrying, b.seconds / b.requests)
        }
        return [Figure(name: "two_tier_ns_per_request_without_retries", value: plain * 1e9, unit: "ns"),
                Figure(name: "two_tier_ns_per_request_with_retries_on_every_edge", value: retrying * 1e9, unit: "ns"),
                Figure(name: "retries_on_every_edge_cost_ratio", value: retrying / plain, unit: "x")]
    }

    /// black-friday with and without recording to SQLite (best of `repeats` each).
    public static func recordingOverhead(_ spec: ScenarioSpec, repeats: Int = 3) throws -> [Figure] {
        var bare = Double.infinity, recorded = Double.infinity
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 0..<repeats {
            let runner = try ScenarioRunner(spec: spec)
            var t0 = wallClock()
            _ = try runner.run()
            bare = min(bare, wallClock() - t0)

            let store = try ResultsStore(path: dir.appendingPathComponent("bench-\(i).sqlite").path)
            t0 = wallClock()
            let executor = RunExecutor(store: store)
            _ = try executor.runOne(RunJob(spec: spec, seed: spec.seed, label: "", replication: 0, parameters: [:]), showRunProgress: false)
            recorded = min(recorded, wallClock() - t0)
        }
        return [Figure(name: "black_friday_wall_seconds_without_recording", value: bare, unit: "s"),
                Figure(name: "black_friday_wall_seconds_with_recording", value: recorded, unit: "s"),
                Figure(name: "recording_overhead_percent", value: (recorded - bare) / bare * 100, unit: "%")]
    }

    /// Peak resident memory of a recorded run of `days` simulated days (in a fresh process).
    public static func peakMemoryOfRun(days: Double) throws -> Double {
        let service = ServiceSpec(name: "web", replicas: 4, concurrency: 8, serviceTime: .lognormal(median: 0.020, p99: 0.100))
        var spec = ScenarioSpec(name: "memory-probe", summary: "")
        spec.duration = .days(days)
        spec.pools = [NodePoolSpec(name: "pool", count: 2)]
        var def = ServiceDefinition(name: "web")
        def.model = service
        spec.services = [def]
        spec.traffic = [TrafficDefinition(service: "web", source: .constant(50),
                                          shapes: [.init(name: "daily", shape: .cycle(period: .hours(24), amplitude: 0.5, peakAt: .hours(14)))])]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-mem-\(getpid()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try ResultsStore(path: path)
        _ = try RunExecutor(store: store)
            .runOne(RunJob(spec: spec, seed: 1, label: "", replication: 0, parameters: [:]), showRunProgress: false)
        return peakResidentMiB()
    }

    /// One observation plus a forecast at each of 3 horizons, for the auto ensemble and each model,
    /// on a daily series at 5-minute resolution (a one-day season window), after 3 days of warm-up.
    public static func predictor(days: Int = 10) -> [Figure] {
        let step = 300.0, perDay = 288
        let n = days * perDay
        var rng = RandomStream(seed: 1, name: "bench-series")
        let series = (0..<n).map { i -> Double in
            let t = Double(i) * step
            return 1000 * (1 + 0.5 * cos(2 * .pi * (t - 50_400) / 86_400)) * (1 + 0.05 * (rng.uniform() - 0.5))
        }
        var out: [Figure] = []
        for model in ForecastModel.allCases {
            var f = model.make(step: step, horizons: [2, 6, 24])
            let warm = 3 * perDay
            for i in 0..<warm { f.observe(series[i], at: Double(i) * step) }
            var sink = 0.0
            let start = wallClock()
            for i in warm..<n {
                f.observe(series[i], at: Double(i) * step)
                for h in [2, 6, 24] { sink += f.forecast(stepsAhead: h)?.value ?? 0 }
            }
            let perUpdate = (wallClock() - start) / Double(n - warm) * 1e6
            if sink == .infinity { print("") }  // keep the work observable
            out.append(Figure(name: "predictor_\(model.rawValue.replacingOccurrences(of: "-", with: "_"))_update_and_forecast_us", value: perUpdate, unit: "µs"))
        }
        return out
    }

    /// One scaling decision for one service (policy evaluation + safety layer), per policy kind, on a
    /// day of 15-second samples with a daily cycle. The predictor's own update is measured separately.
    public static func autoscaler(samples: Int = 5760) -> [Figure] {
        let policies: [(String, any ScalingPolicy)] = [("hpa", .hpa(HPAConfig())), ("threshold", .threshold(ThresholdConfig())),
                                                   ("predictive", .predictive(PredictiveConfig(leadTime: 150))),
                                                   ("queue", .queue(QueueConfig()))]
        var out: [Figure] = []
        var predictor = ServicePredictor(service: "s", step: 15, horizons: [150])
        var stream: [ServiceSample] = []
        for i in 0..<samples {
            var s = ServiceSample(time: Double(i + 1) * 15, interval: 15, service: "s")
            let rate = 500 * (1 + 0.5 * sin(2 * .pi * Double(i) / 5760))
            s.arrivals = Int(rate * 15); s.completed = s.arrivals; s.readyReplicas = 10; s.desiredReplicas = 10
            s.cpuUtilization = min(1, rate / 1000); s.queueDepth = Int(rate / 10); s.inFlight = 20
            stream.append(s)
        }
        for s in stream.prefix(2000) { _ = predictor.observe(s.arrivalRate, at: s.time) }
        for (name, policy) in policies {
            var a = ServiceAutoscaler(service: "s", policy: policy, bounds: .init(minReplicas: 1, maxReplicas: 100))
            var decided = 0
            let start = wallClock()
            for s in stream {
                for d in a.evaluate(s, predictor: predictor) { decided += d.final; _ = a.applied(d) }
            }
            let us = (wallClock() - start) / Double(stream.count) * 1e6
            if decided == -1 { print("") }
            out.append(Figure(name: "autoscaler_\(name)_decide_us", value: us, unit: "µs"))
        }
        return out
    }

    /// VmHWM from /proc/self/status, in MiB.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kb / 1024
        }
        return .nan
    }
}
