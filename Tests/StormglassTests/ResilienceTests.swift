@testable import Lab
import Testing
@testable import ScenarioKit
import Scenarios
import SimulationKernel
import Telemetry

/// The recovery-time definition on hand-built observation streams whose answer is known.
@Suite struct RecoveryDefinitionTests {
    func spec() -> ScenarioSpec {
        var s = Scenario("t", "") {
            NodePool("p", count: 1)
            Service("a") { SLO(p95: .milliseconds(300), errorRate: 0.01) }
            Service("b") { SLO(p95: .milliseconds(300), errorRate: 0.01) }
            Traffic(to: "a", rate: 1)
        }.spec
        s.faults = [FaultSpec(name: "f", kind: .nodeCrash, target: .randomNodes(count: 1), start: .seconds(600), duration: nil)]
        return s
    }

    /// Feeds a stream: `breaching(service, t)` decides each 15 s interval.
    func impact(until end: Double, _ breaching: (String, Double) -> Bool, events: [TimelineEvent] = []) -> FaultImpact {
        var tracker = FaultImpactTracker(spec: spec())
        tracker.observe([TimelineEvent(time: 600, kind: EventKind(rawValue: "fault-start"), subject: "f", detail: "")] + events)
        var t = 615.0
        while t <= end {
            var samples: [ServiceSample] = []
            for name in ["a", "b"] {
                var s = ServiceSample(time: t, interval: 15, service: name)
                s.completed = 100
                s.p95 = breaching(name, t) ? 0.5 : 0.1
                samples.append(s)
            }
            tracker.observe(Scrape(time: t, interval: 15, services: samples, nodes: []))
            t += 15
        }
        return tracker.impacts[0]
    }

    @Test func noBreachMeansRecoveryZero() {
        #expect(impact(until: 2000) { _, _ in false }.recoverySeconds == 0)
    }

    @Test func recoveryRunsToTheStartOfTheFirstStableStretch() {
        // a breaches in the intervals ending 660…750, then holds: the stretch starts at 750.
        let r = impact(until: 2000) { s, t in s == "a" && t >= 660 && t <= 750 }
        #expect(r.recoverySeconds == 150)
        #expect(r.serviceRecovery["b"] == .some(0))
    }

    @Test func aShortHealthyGapDoesNotCountAsRecovered() {
        // Breach 660–690, healthy 705–765 (60 s < 2 min), breach again 780–840, then stable.
        let r = impact(until: 2000) { s, t in s == "a" && ((t >= 660 && t <= 690) || (t >= 780 && t <= 840)) }
        #expect(r.recoverySeconds == 240)
    }

    @Test func theSlowestServiceSetsTheFaultsRecovery() {
        let r = impact(until: 3000) { s, t in (s == "a" && t >= 660 && t <= 700) || (s == "b" && t >= 660 && t <= 1200) }
        #expect(r.recoverySeconds == 600)
    }

    @Test func neverRecoveringIsNil() {
        let r = impact(until: 2000) { s, t in s == "a" && t >= 660 }
        #expect(r.recoverySeconds == nil)
        #expect(r.serviceRecovery["a"] == .some(nil))
    }

    @Test func detectionAndMitigationAreTheFirstAlertAndCorrectiveAction() {
        let r = impact(until: 1000, { _, _ in false }, events: [
            TimelineEvent(time: 640, kind: EventKind(rawValue: "scale-down"), subject: "a", detail: "5 → 4: down"),
            TimelineEvent(time: 645, kind: EventKind(rawValue: "anomaly"), subject: "a", detail: ""),
            TimelineEvent(time: 660, kind: EventKind(rawValue: "incident-open"), subject: "INC-1", detail: ""),
            TimelineEvent(time: 700, kind: EventKind(rawValue: "scale-up"), subject: "a", detail: "4 → 6: up"),
        ])
        #expect(r.detectSeconds == 45)
        #expect(r.mitigateSeconds == 100)
    }
}

@Suite struct ChaosScenarioTests {
    @Test func nodeCrashRecoversWithinTheDerivedBound() throws {
        // Bound: heartbeat timeout + check period + node start-up + replica start-up + one autoscaler period,
        // using the p99 of each start-up distribution (150 s for nodes, 60 s for replicas) and a scrape of slack.
        let bound = 30.0 + 10 + 150 + 60 + 15 + 15
        for seed in 1...3 {
            var spec = Scenarios.nodeCrash.spec
            spec.duration = .hours(1)
            let result = try ScenarioRunner(spec: spec, seed: UInt64(seed)).run()
            let f = try #require(result.summary.impacts.first)
            let recovery = try #require(f.recoverySeconds, "seed \(seed) did not recover")
            #expect(recovery > 0 && recovery <= bound, "seed \(seed): recovery \(recovery) s")
            #expect(try #require(f.detectSeconds) <= 40)
        }
    }

    @Test func latencyInjectionIsDetectedAndAttributed() throws {
        var spec = Scenarios.latencyInjection.spec
        spec.duration = .minutes(100)
        let result = try ScenarioRunner(spec: spec).run()
        let f = try #require(result.summary.impacts.first)
        #expect(try #require(f.detectSeconds) <= 30)
        let r = try #require(f.recoverySeconds)
        #expect(r >= 20 * 60 && r <= 20 * 60 + 60)  // the fault lasts 20 minutes
    }

    @Test func aDrainNeverTriggersSelfHealingButAPartitionDoes() throws {
        func run(_ fault: Fault) throws -> [TimelineEvent] {
            let s = Scenario("h", "") {
                RunFor(.minutes(20))
                NodePool("p", count: 4, cpuMillicores: 4000)
                Service("s") { Replicas(6); Resources(cpuMillicores: 1000) }
                Traffic(to: "s", rate: 50)
                Chaos { fault }
            }
            let c = SampleCollector()
            _ = try ScenarioRunner(spec: s.spec).run(observer: c)
            return c.events
        }
        let drain = try run(.drain(.node("p-1"), at: .minutes(5)))
        #expect(!drain.contains { $0.kind.rawValue == "node-failure-detected" || $0.kind.rawValue == "replace" })
        let partition = try run(.partition(.node("p-1"), at: .minutes(5), for: .minutes(5)))
        #expect(partition.contains { $0.kind.rawValue == "node-failure-detected" && $0.subject == "p-1" })
        #expect(partition.contains { $0.kind.rawValue == "replace" && $0.subject == "p-1" })
    }
}
