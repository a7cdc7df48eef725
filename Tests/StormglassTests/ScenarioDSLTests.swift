@testable import Lab
import Foundation
import Testing
import ClusterModel
import ControlPlane
@testable import ScenarioKit
import Scenarios
import SimulationKernel

@Suite struct ScenarioDSLTests {
    @Test func builtInScenariosAreValidAndDescribed() {
        let names = Scenarios.all.map(\.name)
        for required in ["steady-day", "black-friday", "node-crash", "latency-injection", "claims-backlog"] {
            #expect(names.contains(required))
        }
        for s in Scenarios.all {
            #expect(s.spec.validate().isEmpty, "\(s.name): \(s.spec.validate())")
            #expect(!s.summary.isEmpty && !s.summary.contains("\n"))
        }
    }

    /// `BasedOn(.nodeCrash)` (what `search --swift` writes) names the built-in scenario of that name.
    @Test func everyBuiltInScenarioIsAScenarioStaticNamedAfterIt() {
        let statics: [Scenario] = [.steadyDay, .blackFriday, .nodeCrash, .latencyInjection, .claimsBacklog, .retryStorm, .metricsOutage,
                                   .probeCascade, .largeShop]
        #expect(statics.map(\.name) == Scenarios.all.map(\.name))
        #expect(statics.map { WorstCaseSearch.identifier($0.name) } == ["steadyDay", "blackFriday", "nodeCrash", "latencyInjection", "claimsBacklog",
                                                                         "retryStorm", "metricsOutage", "probeCascade", "largeShop"])
    }

    @Test func everyScenarioFileIsListedInTheCatalog() throws {
        let dir = repositoryRoot.appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") && $0 != "Catalog.swift" }
        var declared: [String] = []
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            // Scenario("name", …
            for part in text.components(separatedBy: "Scenario(\"").dropFirst() {
                declared.append(String(part.prefix { $0 != "\"" }))
            }
            // A generator's default: static func shop(name: String = "large-shop", …
            for part in text.components(separatedBy: "(name: String = \"").dropFirst() {
                declared.append(String(part.prefix { $0 != "\"" }))
            }
        }
        #expect(!declared.isEmpty)
        #expect(Set(declared) == Set(Scenarios.all.map(\.name)), "scenario files declare \(declared.sorted()); catalog lists \(Scenarios.all.map(\.name).sorted())")
    }

    @Test func defaultsFillEveryKnob() {
        let s = Scenario("tiny", "d") {
            NodePool("p", count: 1)
            Service("web")
            Traffic(to: "web", rate: 5)
        }.spec
        #expect(s.validate().isEmpty)
        #expect(s.duration == .hours(24) && s.scrapeInterval == .seconds(15) && s.stabilityWindow == .minutes(2))
        #expect(s.services[0].model.replicas >= 1 && s.services[0].slo.p95 > .zero)
    }

    @Test func validationReportsEveryProblemAtOnceWithPaths() {
        let bad = Scenario("broken", "every mistake") {
            RunFor(.hours(1))
            NodePool("p", count: 2, cpuMillicores: 1000)
            Service("checkout") {
                Replicas(4, min: 5, max: 3)
                Concurrency(0)
                Resources(cpuMillicores: 4000)
                Calls("payments", "ghost")
                SLO(p95: .milliseconds(300), errorRate: 2)
            }
            Service("payments") { Calls("checkout"); ServiceTime(.exponential(mean: -1)) }
            Traffic(to: "chekout", rate: -3) { Surge(at: .hours(1), multiplier: 0) }
            Chaos {
                Fault.crash(.node("p-9"), at: .hours(2))
                Fault.latency(.service("payments"), fixed: .milliseconds(100), at: .minutes(5), for: .minutes(5))
            }
        }.spec
        let messages = bad.validate().map(\.description)
        let expected = [
            "services.checkout.replicas: min 5 > max 3",
            "services.checkout.replicas: initial 4 is outside min…max (5…3)",
            "services.checkout.concurrency: must be ≥ 1 (got 0)",
            "services.checkout.slo.errorRate: must be between 0 and 1 (got 2.0)",
            "services.checkout.resources: a replica (4000m CPU, 512 MiB) fits on no node pool",
            "services.checkout.calls: unknown service \"ghost\"",
            "services.payments.serviceTime: exponential mean -1.0 must be > 0",
            "services.checkout.calls: call cycle: checkout → payments → checkout",
            "traffic.chekout: unknown service \"chekout\" (did you mean \"checkout\"?)",
            "traffic.chekout.rate: must be > 0 (got -3.0)",
            "traffic.chekout.surge: surge multiplier 0.0 must be > 0",
            "faults.crash: starts at 2h, outside the run (0…1h)",
            "faults.crash: unknown node \"p-9\" (did you mean \"p-0\"?)",
        ]
        for e in expected { #expect(messages.contains(e), "missing: \(e)\ngot:\n\(messages.joined(separator: "\n"))") }
        #expect(messages.count == expected.count, "\(messages)")
        #expect(throws: InvalidScenario.self) { try bad.validated() }
    }

    @Test func overridesChangeTheNamedKnobs() throws {
        var s = Scenarios.blackFriday.spec
        try s.apply(overrides: [("surge.multiplier", "6"), ("checkout.maxReplicas", "40"), ("checkout.startup.mean", "90s"),
                                ("duration", "12h"), ("general.count", "20"), ("checkout.rate", "55"), ("payments.timeout", "none"),
                                ("checkout.routing", "round-robin"), ("checkout.surge.start", "17h")])
        #expect(s.services[0].maxReplicas == 40)
        #expect(abs(s.services[0].model.startup.mean - 90) < 1e-9)
        #expect(s.duration == .hours(12))
        #expect(s.pools[0].count == 20)
        #expect(s.traffic[0].source == .constant(55))
        #expect(s.services[1].model.timeout == nil)
        #expect(s.services[0].model.routing == .roundRobin)
        guard case .surge(let start, _, _, _, let m) = s.traffic[0].shapes.first(where: { $0.name == "surge" })!.shape else {
            Issue.record("surge missing"); return
        }
        #expect(m == 6 && start == .hours(17))
        #expect(s.parameters.first { $0.key == "surge.multiplier" }?.value(in: s) == "6.0")
    }

    /// Knobs a user found missing: an HPA's metric targets and a connection pool's size, each checked
    /// against what it must do to a run.
    @Test func hpaTargetsAndConnectionPoolsAreParameters() throws {
        let scenario = Scenario("knobs", "an HPA on CPU over 10 busy slots of work") {
            RunFor(.minutes(40))
            NodePool("general", count: 8)
            Service("api") {
                Replicas(4, min: 1, max: 40)
                Concurrency(4)
                ServiceTime(.exponential(mean: 0.05))
                Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
            }
            Traffic(to: "api", rate: 200)
        }
        var half = scenario.spec
        #expect(half.parameters.first { $0.key == "api.hpa.cpu" }?.value(in: half) == "60.0")
        try half.set("api.hpa.cpu", "30")
        #expect((half.services[0].policy as? HPAPolicy)?.config.metrics == [.cpu(30)])
        // 200/s × 50 ms = 10 busy slots of 4 per replica: about 10 ÷ (4 × 0.6) = 4.2 replicas at 60 %, 8.3 at 30 %.
        let at60 = try ScenarioRunner(spec: scenario.spec, seed: 1).run().summary.services[0].meanReplicas
        let at30 = try ScenarioRunner(spec: half, seed: 1).run().summary.services[0].meanReplicas
        #expect((4...6.5).contains(at60) && (7.5...10.5).contains(at30), "mean replicas \(at60) at 60 %, \(at30) at 30 %")

        var pooled = scenario.spec
        try pooled.set("api.connectionPool", "6")
        #expect(pooled.services[0].model.connectionPool == 6)
        // Six connections serve at most 6 ÷ 50 ms = 120 requests/s of the 200 offered.
        let served = try ScenarioRunner(spec: pooled, seed: 1).run().summary.services[0].completed
        #expect(Double(served) <= 1.03 * 120 * 2400 && Double(served) >= 0.9 * 120 * 2400, "\(served) served")
        try pooled.set("api.connectionPool", "none")
        #expect(pooled.services[0].model.connectionPool == nil)

        var other = scenario.spec
        try other.set("api.policy", "predictive")
        #expect(throws: ParameterError.self, "a service the HPA no longer scales has no HPA target") { try other.set("api.hpa.cpu", "50") }
    }

    @Test func badOverridesAreClearErrors() {
        var s = Scenarios.blackFriday.spec
        #expect(throws: ParameterError(key: "checkout.maxReplica", message: "unknown parameter (did you mean \"checkout.maxReplicas\"?) (`stormglass list --parameters black-friday` lists them)")) {
            try s.set("checkout.maxReplica", "4")
        }
        #expect(throws: ParameterError(key: "checkout.maxReplicas", message: "\"many\" is not a whole number (allowed: 0…100000)")) {
            try s.set("checkout.maxReplicas", "many")
        }
        #expect(throws: ParameterError(key: "duration", message: "\"soon\" is not a duration (try 90s, 15m, 24h)")) {
            try s.set("duration", "soon")
        }
    }

    @Test func faultsHaveTheirEffectOnTheWorld() throws {
        // Latency injection on a lightly loaded service raises p95 by about the injected amount.
        func p95(during scenario: Scenario, service: String) throws -> (before: Double, during: Double, after: Double) {
            let obs = SampleCollector()
            _ = try ScenarioRunner(spec: scenario.spec).run(observer: obs)
            func at(_ range: ClosedRange<Double>) -> Double {
                let xs = obs.samples.filter { $0.service == service && range.contains($0.time) }.map(\.p95)
                return xs.reduce(0, +) / Double(xs.count)
            }
            return (at(600...1200), at(1500...2100), at(2700...3600))
        }
        let base = { (fault: Fault) in
            Scenario("f", "") {
                RunFor(.hours(1))
                NodePool("p", count: 2)
                Service("s") { Replicas(4); Concurrency(16); ServiceTime(.constant(0.01)) }
                Traffic(to: "s", rate: 20)
                Chaos { fault }
            }
        }
        let lat = try p95(during: base(.latency(.service("s"), fixed: .milliseconds(200), at: .minutes(24), for: .minutes(12))), service: "s")
        #expect(abs(lat.before - 0.010) < 0.001 && abs(lat.during - 0.210) < 0.005 && abs(lat.after - 0.010) < 0.001, "\(lat)")
        let stress = try p95(during: base(.cpuStress("s", factor: 3, at: .minutes(24), for: .minutes(12))), service: "s")
        #expect(abs(stress.during - 0.030) < 0.001, "\(stress)")

        let obs = SampleCollector()
        _ = try ScenarioRunner(spec: base(.errors("s", fraction: 0.25, at: .minutes(24), for: .minutes(12))).spec).run(observer: obs)
        let during = obs.samples.filter { (1500...2100).contains($0.time) }
        let rate = Double(during.reduce(0) { $0 + $1.errors }) / Double(during.reduce(0) { $0 + $1.completed + $1.errors })
        #expect(abs(rate - 0.25) < 0.03)
        #expect(obs.samples.filter { $0.time > 2300 }.allSatisfy { $0.errors == 0 })
        #expect(obs.events.map(\.kind.rawValue).filter { $0.hasPrefix("fault-") } == ["fault-start", "fault-end"])
    }
}

/// Keeps every sample and event of a run (for tests).
final class SampleCollector: RunObserver {
    var samples: [Telemetry.ServiceSample] = []
    var events: [Telemetry.TimelineEvent] = []
    func observe(_ scrape: Telemetry.Scrape) throws { samples += scrape.services }
    func observe(_ e: [Telemetry.TimelineEvent]) throws { events += e }
}

import Telemetry
