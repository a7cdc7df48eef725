@testable import Charts
import Foundation
import Recorder
import Reports
import Testing
@testable import Lab
@testable import StormglassCLI
import ScenarioKit
import Chaos
import Scenarios
import Telemetry

/// `retry-storm` reproduces a metastable failure: after the trigger ends, the same arrival rate has two
/// stable outcomes depending on history, and a retry budget or load shedding removes the bad one.
@Suite struct RetryStormTests {
    /// Collects checkout's goodput and tries per second after `from`.
    final class After: RunObserver, @unchecked Sendable {
        let from: Double
        var goodput = 0, arrivals = 0, retries = 0, seconds = 0.0
        init(from: Double) { self.from = from }
        func observe(_ scrape: Scrape) throws {
            guard scrape.time - scrape.interval >= from, let s = scrape.services.first(where: { $0.service == "checkout" }) else { return }
            goodput += s.goodput; arrivals += s.arrivals; retries += s.retries; seconds += s.interval
        }
        var goodputPerSecond: Double { goodput > 0 ? Double(goodput) / seconds : 0 }
        var amplification: Double { Double(arrivals) / Double(max(1, arrivals - retries)) }
    }

    func run(_ edit: (inout ScenarioSpec) throws -> Void) throws -> (After, RunResult) {
        var spec = try #require(Scenarios.named("retry-storm")).spec
        try edit(&spec)
        #expect(spec.validate().isEmpty)
        let after = After(from: 35 * 60)   // ten minutes after the slowdown ended
        let result = try ScenarioRunner(spec: spec, seed: 1).run(observer: after)
        return (after, result)
    }

    @Test func theSameTrafficHasTwoStableOutcomesDependingOnHistory() throws {
        let (stormed, stormedRun) = try run { _ in }
        let (calm, _) = try run { $0.faults = [] }
        // 1000 requests/s arrive either way; checkout can serve about 1600/s.
        #expect(calm.goodputPerSecond > 950, "without the trigger: \(calm.goodputPerSecond)/s")
        #expect(calm.amplification < 1.01)
        #expect(stormed.goodputPerSecond < 500, "after the trigger: \(stormed.goodputPerSecond)/s")
        #expect(stormed.amplification > 2, "retries keep the load up: \(stormed.amplification)× tries per request")
        #expect(stormedRun.summary.impacts.first?.recoveryAfterEndSeconds == nil, "not recovered")
    }

    @Test(arguments: ["checkout.retry.budget=0.1", "checkout.maxQueueWait=200ms"])
    func aMitigationRemovesTheBadState(_ setting: String) throws {
        let parts = setting.split(separator: "=").map(String.init)
        let (mitigated, result) = try run { try $0.set(parts[0], parts[1]) }
        #expect(mitigated.goodputPerSecond > 950, "\(setting): \(mitigated.goodputPerSecond)/s")
        let after = try #require(result.summary.impacts.first?.recoveryAfterEndSeconds)
        #expect(after < 120, "\(setting): recovered \(after) s after the slowdown ended")
    }
}

/// What reports and charts make of a retry storm.
@Suite struct RetryStormReportingTests {
    func recorded(_ scenario: String, duration: String) throws -> (ResultsStore, Int64) {
        var spec = try #require(Scenarios.named(scenario)).spec
        try spec.set("duration", duration)
        let store = try ResultsStore(path: temporaryDirectory() + "/r.sqlite")
        let run = try RunExecutor(store: store, progress: ProgressLine(quiet: true))
            .runOne(RunJob(spec: spec, seed: 1, label: "", replication: 0, parameters: [:]), showRunProgress: false)
        return (store, run.runID)
    }

    @Test func theIncidentReportNamesRetryAmplificationAsACause() throws {
        let (store, run) = try recorded("retry-storm", duration: "40m")
        let incidents = try IncidentAnalysis.analyse(store, run: run)
        let checkout = try #require(incidents.first { $0.amplified.contains { $0.service == "checkout" } })
        let factor = try #require(checkout.amplified.first { $0.service == "checkout" }).retryAmplification
        #expect(factor > 1.5 && factor <= 3, "3 tries at most per request: \(factor)")
        #expect(checkout.markdown.contains("**Retry amplification** kept it going: checkout received"))
        #expect(checkout.recommendations.contains { $0.hasPrefix("Retries multiplied checkout's load") })
        // Retries and shed requests are in the samples the charts draw.
        let data = try RunChartData(store: store, run: run)
        let service = try #require(data.services.first { $0.name == "checkout" })
        var errors = GnuplotScript(format: .png, output: "/dev/null")
        #expect(ErrorsChart().draw(service, data, into: &errors))
        #expect(errors.text.contains("'retries / s'") && !errors.text.contains("'shed / s'"))
        var load = GnuplotScript(format: .png, output: "/dev/null")
        #expect(LoadChart().draw(service, data, into: &load))
        #expect(load.text.contains("'goodput'"))
    }

    @Test func aScenarioWithoutRetriesHasNoRetrySeriesAndNoAmplification() throws {
        let (store, run) = try recorded("latency-injection", duration: "90m")
        #expect(try IncidentAnalysis.analyse(store, run: run).allSatisfy { $0.amplified.isEmpty })
        let data = try RunChartData(store: store, run: run)
        var errors = GnuplotScript(format: .png, output: "/dev/null")
        #expect(ErrorsChart().draw(data.services[0], data, into: &errors))
        #expect(!errors.text.contains("retries / s"))

        // The load chart's replicas axis is its requests axis ÷ the per-replica throughput, so the capacity
        // line is the ready replicas (never a second line that only sometimes lies on it), and the dashed
        // desired line is drawn last, over it.
        var load = GnuplotScript(format: .png, output: "/dev/null")
        #expect(LoadChart().draw(data.services[0], data, into: &load))
        func top(_ axis: String) -> Double? {
            let prefix = "set \(axis)range [0:"
            return load.text.components(separatedBy: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count).dropLast()) }
        }
        let y = try #require(top("y")), y2 = try #require(top("y2"))
        #expect(abs(y / y2 - data.services[0].capacityPerReplica) < 1e-6 * data.services[0].capacityPerReplica, "\(y) / \(y2)")
        let plot = String(load.text[try #require(load.text.range(of: "plot ")).lowerBound...])
        #expect(!plot.contains("'ready replicas'"))
        let desired = try #require(plot.range(of: "'desired replicas'")), capacity = try #require(plot.range(of: "'capacity"))
        #expect(desired.lowerBound > capacity.lowerBound)
    }
}

/// `metrics-outage`: the metrics API is down during a ramp.
@Suite struct MetricsOutageTests {
    final class Replicas: RunObserver, @unchecked Sendable {
        var desired: [String: [Int]] = [:]
        func observe(_ scrape: Scrape) throws { for s in scrape.services { desired[s.service, default: []].append(s.desiredReplicas) } }
    }

    @Test func theHPAHoldsItsReplicasAndFailsItsGateWhileKEDAFallsBackAndPasses() throws {
        let spec = try #require(Scenarios.named("metrics-outage")).spec
        let replicas = Replicas()
        let result = try ScenarioRunner(spec: spec, seed: 1).run(observer: replicas)
        let p95 = Dictionary(uniqueKeysWithValues: result.summary.services.map { ($0.service, $0.p95) })
        #expect(try #require(p95["orders"]) > 0.5 && (try #require(p95["orders-keda"])) < 0.5, "\(p95)")
        // During the outage (25–65 min, scrapes 100…260) the HPA never changes orders' replicas.
        let orders = try #require(replicas.desired["orders"]), keda = try #require(replicas.desired["orders-keda"])
        #expect(Set(orders[101...259]).count == 1, "\(Set(orders[101...259]))")
        #expect(keda[120...259].allSatisfy { $0 == 24 }, "KEDA holds its fallback of 24")
    }

    @Test func anOutageReadAsZeroScalesTheHPAToItsMinimum() throws {
        var spec = try #require(Scenarios.named("metrics-outage")).spec
        spec.faults = [Fault.metrics(.metricsZero, of: "orders", at: .minutes(25), for: .minutes(40)).spec]
        let replicas = Replicas()
        _ = try ScenarioRunner(spec: spec, seed: 1).run(observer: replicas)
        let orders = try #require(replicas.desired["orders"])
        #expect(orders[140...259].contains(2), "kubernetes#104387: zero load scales to the minimum (2)")
    }
}

/// `probe-cascade`: liveness probes under overload restart replicas in a cascade; shedding prevents it.
@Suite struct ProbeCascadeTests {
    final class Restarts: RunObserver, @unchecked Sendable {
        var count = 0
        func observe(_ scrape: Scrape) throws {}
        func observe(_ events: [TimelineEvent]) throws { count += events.filter { $0.kind == .livenessRestart }.count }
    }

    @Test func overloadRestartsReplicasUntilSheddingKeepsQueuesUnderTheProbeTimeout() throws {
        var spec = try #require(Scenarios.named("probe-cascade")).spec
        let cascade = Restarts()
        let stormed = try ScenarioRunner(spec: spec, seed: 1).run(observer: cascade)
        #expect(cascade.count > 20, "\(cascade.count) restarts")
        let after = stormed.summary.impacts.first?.recoveryAfterEndSeconds
        #expect(after == nil || after! > 300, "the cascade outlives the slowdown: \(String(describing: after))")
        try spec.set("api.maxQueueWait", "500ms")
        let calm = Restarts()
        let shed = try ScenarioRunner(spec: spec, seed: 1).run(observer: calm)
        #expect(calm.count == 0)
        #expect(try #require(shed.summary.impacts.first?.recoveryAfterEndSeconds) < 60)
    }
}
