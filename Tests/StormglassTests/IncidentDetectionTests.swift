import Foundation
import Stormglass
import Telemetry
import Testing

/// The incident manager on anomalies the HPA does not react to: each opens an incident soon after it starts,
/// and a week without faults opens (almost) none.
@Suite struct IncidentDetectionTests {
    /// A day-shaped service under the HPA, with a memory limit, for `duration`, with `faults`.
    static func lab(_ duration: SimDuration, seed: UInt64 = 1, @FaultBuilder faults: () -> [Fault] = { [] }) -> ScenarioSpec {
        let chaos = faults()
        return Scenario("quiet-service", "") {
            RunFor(duration)
            Seed(seed)
            NodePool("p", count: 8, cpuMillicores: 4000, memoryMiB: 16384)
            Service("api") {
                Replicas(3, min: 2, max: 20)
                Concurrency(8)
                ServiceTime(.lognormal(median: 0.05, p99: 0.25))
                Resources(cpuMillicores: 500, memoryMiB: 512)
                Health(memoryLimitMiB: 1024)
                SLO(p95: .milliseconds(800), errorRate: 0.01)
            }
            Traffic(to: "api", rate: 25) {
                DailyCycle(amplitude: 0.5, peakAt: .hours(14))
                Noise(sigma: 0.05)
            }
            Chaos { for f in chaos { f } }
        }.spec
    }

    /// Incidents the anomaly detectors opened, as (time, trigger).
    static func anomalyIncidents(_ spec: ScenarioSpec) throws -> [(time: Double, detail: String)] {
        let c = SampleCollector()
        _ = try ScenarioRunner(spec: spec).run(observer: c)
        return c.events.filter { $0.kind.rawValue == "incident-open" && $0.detail.contains("anomaly:") }.map { ($0.time, $0.detail) }
    }

    static let faultStart = 30.0 * 3600  // day 2, 06:00: a day of history first, as the seasonal detector needs

    @Test func aSlowMemoryLeakOpensAnIncidentWithinTwoHours() throws {
        let found = try Self.anomalyIncidents(Self.lab(.hours(36)) {
            Fault.memoryLeak("api", mibPerHour: 60, at: .seconds(Self.faultStart))
        })
        print("memory leak:", found)
        let first = try #require(found.first { $0.detail.contains("memory per replica") })
        #expect(first.time > Self.faultStart && first.time - Self.faultStart <= 2 * 3600)
    }

    @Test func aLatencyCreepOpensAnIncidentWithinAnHour() throws {
        let found = try Self.anomalyIncidents(Self.lab(.hours(36)) {
            Fault.latencyCreep("api", to: .milliseconds(300), at: .seconds(Self.faultStart), over: .hours(2))
        })
        print("latency creep:", found)
        let first = try #require(found.first { $0.detail.contains("p95 latency") })
        #expect(first.time > Self.faultStart && first.time - Self.faultStart <= 3600)
    }

    @Test func aTrafficDropOpensAnIncidentWithinFiveMinutes() throws {
        let found = try Self.anomalyIncidents(Self.lab(.hours(36)) {
            Fault.trafficDrop("api", fraction: 0.6, at: .seconds(Self.faultStart), for: .hours(1))
        })
        print("traffic drop:", found)
        let first = try #require(found.first { $0.detail.contains("request rate") })
        #expect(first.time > Self.faultStart && first.time - Self.faultStart <= 300)
    }

    /// The false-alarm rate: three anomaly-free weeks (seeds 1–3) open no incident between them; alerts (the
    /// `anomaly` events, which page nobody) stay at three a week at most (0, 0 and 2 when written).
    @Test(arguments: [1, 2, 3] as [UInt64]) func aQuietWeekOpensNoIncident(seed: UInt64) throws {
        let c = SampleCollector()
        _ = try ScenarioRunner(spec: Self.lab(.days(7), seed: seed)).run(observer: c)
        let incidents = c.events.filter { $0.kind.rawValue == "incident-open" }
        let alerts = c.events.filter { $0.kind.rawValue == "anomaly" }
        print("quiet week, seed \(seed): \(incidents.count) incidents, \(alerts.count) alerts")
        #expect(incidents.isEmpty, "\(incidents.map(\.detail))")
        #expect(alerts.count <= 3, "\(alerts.map(\.detail))")
    }
}

/// The gradual faults against what they were configured to do.
@Suite struct GradualFaultTests {
    static func run(_ duration: SimDuration, limit: Int? = nil, autoscale: Bool = true, @FaultBuilder faults: () -> [Fault]) throws -> SampleCollector {
        let c = SampleCollector()
        _ = try ScenarioRunner(spec: spec(duration, limit: limit, autoscale: autoscale, faults: faults)).run(observer: c)
        return c
    }

    static func spec(_ duration: SimDuration, limit: Int? = nil, autoscale: Bool = true, @FaultBuilder faults: () -> [Fault]) -> ScenarioSpec {
        let chaos = faults()
        return Scenario("gradual", "") {
            RunFor(duration)
            NodePool("p", count: 4, cpuMillicores: 8000, memoryMiB: 32768)
            Service("api") {
                Replicas(4, min: 4, max: autoscale ? 20 : 4)
                Concurrency(16)
                ServiceTime(.exponential(mean: 0.02))
                Resources(cpuMillicores: 500, memoryMiB: 512, memoryPerRequestMiB: 0)
                Health(memoryLimitMiB: limit)
            }
            Traffic(to: "api", rate: 40)
            Chaos { for f in chaos { f } }
        }.spec
    }

    /// The fluid fidelity has no per-replica memory or per-arrival draw: it refuses a leak and a drop by their
    /// paths, and takes a creep (its latency is a flow's too).
    @Test func theFluidFidelityRefusesALeakAndADropButTakesACreep() throws {
        var spec = Self.spec(.hours(2)) {
            Fault.memoryLeak("api", mibPerHour: 10, at: .hours(1))
            Fault.trafficDrop("api", fraction: 0.5, at: .hours(1), for: .minutes(10))
            Fault.latencyCreep("api", to: .milliseconds(50), at: .hours(1), over: .minutes(30))
        }
        #expect(spec.validate().isEmpty)
        spec.fidelity = .fluid
        let problems = spec.validate().map { "\($0.path): \($0.message)" }
        #expect(problems.sorted() == ["faults.memory-leak: fluid fidelity cannot represent memory-leak (use fidelity request)",
                                      "faults.traffic-drop: fluid fidelity cannot represent traffic-drop (use fidelity request)"], "\(problems)")
    }

    /// A gradual fault of a user's that would stop the run every millisecond is refused before anything is laid out.
    @Test func aGradualFaultUpdatingTooOftenIsRefused() {
        struct Jitter: ServiceFault { var name: String { "jitter" }; var updateInterval: SimDuration? { .milliseconds(1) } }
        let spec = Self.spec(.hours(2)) { Fault(Jitter(), on: .service("api"), at: .minutes(1), name: "j") }
        #expect(spec.validate().map(\.description).contains { $0.contains("faults.j") && $0.contains("at least a second apart, and at most a million") },
                "\(spec.validate())")
    }

    /// Poisson arrivals thinned by 60 %: a Poisson stream at 40 × 0.4 = 16/s, so an hour holds 57,600 ± 240 (1σ).
    @Test func aTrafficDropThinsArrivalsByItsFraction() throws {
        let c = try Self.run(.hours(3)) { Fault.trafficDrop("api", fraction: 0.6, at: .hours(1), for: .hours(1)) }
        let during = c.samples.filter { $0.time > 3600 && $0.time <= 7200 }.reduce(0) { $0 + $1.arrivals }
        let after = c.samples.filter { $0.time > 7200 }.reduce(0) { $0 + $1.arrivals }
        #expect(abs(during - 57_600) < 5 * 240)
        #expect(abs(after - 144_000) < 5 * 380)  // back to 40/s
    }

    /// The extra latency grows linearly: at 30 and 60 minutes into a creep to 200 ms over an hour, requests
    /// take about 100 and 200 ms more than the 20 ms they need (p50 of exponential work + the creep).
    @Test func aLatencyCreepGrowsLinearlyToItsTarget() throws {
        let c = try Self.run(.hours(2), autoscale: false) {
            Fault.latencyCreep("api", to: .milliseconds(200), at: .minutes(30), over: .hours(1))
        }
        func p50(at t: Double) -> Double { c.samples.first { $0.time >= t }!.p50 }
        let base = p50(at: 20 * 60), half = p50(at: 60 * 60 + 15), full = p50(at: 100 * 60)
        #expect(abs(base - 0.02 * log(2)) < 0.005)
        #expect(abs(half - base - 0.100) < 0.010)
        #expect(abs(full - base - 0.200) < 0.010)
    }

    /// Four replicas idle at 256 MiB each; leaking 120 MiB an hour, each reaches a 512 MiB limit after
    /// 256 / 120 h = 2 h 8 min, is OOM-killed and restarts with nothing leaked.
    @Test func aMemoryLeakGrowsEveryReplicaUntilItsLimitKillsIt() throws {
        let c = try Self.run(.hours(3), limit: 512, autoscale: false) { Fault.memoryLeak("api", mibPerHour: 120, at: .minutes(30)) }
        let atHour = c.samples.first { $0.time >= 90 * 60 }!
        #expect(abs(atHour.memoryMiB - 4 * (256 + 120)) < 4 * 3)  // an hour of leak, a minute's step at most behind
        let kills = c.events.filter { $0.kind.rawValue == "oom-killed" }
        #expect(kills.count == 4)
        let first = try #require(kills.first).time
        #expect(abs(first - (30 * 60 + 128 * 60)) <= 60)
        let after = c.samples.first { $0.time >= first + 15 * 60 }!
        #expect(after.memoryMiB < 4 * (256 + 40))  // restarted replicas start again from nothing
    }
}
