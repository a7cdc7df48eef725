import Testing
import ControlPlane
import Telemetry

@Suite struct SelfHealerTests {
    func beats(_ nodes: [String], at t: Double, leaving: Set<String> = []) -> [Heartbeat] {
        nodes.map { Heartbeat(node: $0, pool: "p", time: t, leaving: leaving.contains($0)) }
    }

    /// Drives the healer every 10 s; `alive(t)` says which nodes beat at t. Returns replacements by time.
    func drive(_ healer: inout SelfHealer, until end: Double, alive: (Double) -> [String], leaving: (Double) -> Set<String> = { _ in [] }) -> [(Double, String)] {
        var out: [(Double, String)] = []
        var t = 10.0
        while t <= end {
            let (actions, _) = healer.receive(beats(alive(t), at: t, leaving: leaving(t)), at: t)
            for case .replaceNode(let n, _) in actions { out.append((t, n)) }
            t += 10
        }
        return out
    }

    @Test func aSilentNodeIsReplacedAfterTheTimeout() {
        var h = SelfHealer(config: SelfHealerConfig(timeout: 30, checkPeriod: 10))
        let r = drive(&h, until: 300) { t in t < 100 ? ["a", "b"] : ["b"] }
        // Last beat at 90; silence > 30 s first at the check at 130.
        #expect(r.count == 1 && r[0].0 == 130 && r[0].1 == "a")
    }

    @Test func consecutiveMissedChecksDelayTheVerdict() {
        var h = SelfHealer(config: SelfHealerConfig(timeout: 30, checkPeriod: 10, missedChecks: 3))
        let r = drive(&h, until: 300) { t in t < 100 ? ["a"] : [] }
        #expect(r.map(\.0) == [150])
    }

    @Test func aGracefulDrainNeverTriggersReplacement() {
        var h = SelfHealer(config: SelfHealerConfig())
        let r = drive(&h, until: 600, alive: { t in t <= 100 ? ["a", "b"] : ["b"] },
                      leaving: { t in t == 100 ? ["a"] : [] })
        // At 100 the drained node says it is leaving (sent with the beats of that tick).
        #expect(r.isEmpty)
    }

    @Test func aFlappingNodeDoesNotExhaustTheBudget() {
        var h = SelfHealer(config: SelfHealerConfig(timeout: 30, checkPeriod: 10, maxReplacementsPerHour: 2))
        // Silent 20 s out of every 60 s: never beyond the 30 s timeout.
        let r = drive(&h, until: 3600) { t in Int(t) % 60 < 40 ? ["a", "b"] : ["b"] }
        #expect(r.isEmpty)
        #expect(h.replacementsMade == 0)
    }

    @Test func theHourlyBudgetAndTheCooldownAreRespected() {
        var h = SelfHealer(config: SelfHealerConfig(timeout: 30, checkPeriod: 10, maxReplacementsPerHour: 2, cooldown: 120))
        // Nodes a, b, c all go silent at 100.
        let r = drive(&h, until: 3000) { t in t < 100 ? ["a", "b", "c"] : [] }
        #expect(r.count == 2)
        #expect(r[1].0 - r[0].0 >= 120)
    }

    @Test func aFailureWaitingOutTheCooldownIsDetectedOnce() {
        var h = SelfHealer(config: SelfHealerConfig(timeout: 30, checkPeriod: 10, maxReplacementsPerHour: 5, cooldown: 120))
        // a and b go silent together: a is replaced at once, b waits 120 s for the cooldown, checked every 10 s.
        var detected: [String] = [], replaced: [String] = []
        var t = 10.0
        while t <= 600 {
            let (actions, events) = h.receive(beats(t < 100 ? ["a", "b"] : [], at: t), at: t)
            detected += events.filter { $0.kind == .nodeFailureDetected }.map(\.subject)
            for case .replaceNode(let n, _) in actions { replaced.append(n) }
            t += 10
        }
        #expect(replaced == ["a", "b"])
        #expect(detected == ["a", "b"], "one detection per node per failure, not one per check")
    }

    @Test func nodesTheControlPlaneRemovesAreExpected() {
        var h = SelfHealer(config: SelfHealerConfig())
        _ = drive(&h, until: 50) { _ in ["a"] }
        h.expectTermination(of: "a")
        let r = drive(&h, until: 500) { _ in [] }
        #expect(r.isEmpty)
    }
}

@Suite struct IncidentTests {
    func scrape(_ t: Double, p95: Double, errors: Int = 0) -> Scrape {
        var s = ServiceSample(time: t, interval: 15, service: "api")
        s.completed = 1000; s.failed = errors; s.p95 = p95; s.arrivals = 1000
        return Scrape(time: t, interval: 15, services: [s], nodes: [])
    }

    /// A latency jump inside the SLO: an alert at its second scrape, an incident at its fourth, closed once the
    /// latency has been back to normal for the stability window. The same jump through the SLO opens the SLO
    /// incident only.
    @Test func aLastingAnomalyOpensAnIncidentUnlessTheSLOIncidentCoversIt() {
        func run(jump: Double) -> [TimelineEvent] {
            var m = IncidentManager(settings: IncidentSettings(stabilityWindow: 120, cooldown: 300), slos: ["api": .init(p95: 0.3, errorRate: 0.01)])
            var events: [TimelineEvent] = []
            var t = 0.0
            func step(_ p95: Double) { t += 15; events += m.observe(scrape(t, p95: p95), nodeFailures: [], responses: [], actions: []) }
            for i in 0..<60 { step(0.1 + 0.002 * Double(i % 5)) }   // 15 minutes of a steady baseline: 0.100…0.108
            for _ in 0..<6 { step(jump) }                            // 915 … 990
            for i in 0..<12 { step(0.1 + 0.002 * Double(i % 5)) }   // back from 1005
            return events
        }
        let inside = run(jump: 0.25)
        #expect(inside.map(\.kind.rawValue) == ["anomaly", "incident-open", "incident-close"], "\(inside)")
        #expect(inside.map(\.time) == [930, 960, 990 + 120], "\(inside)")
        #expect(inside[1].detail.hasPrefix("[major] api anomaly: p95 latency 0.25"), "\(inside[1].detail)")
        let through = run(jump: 0.5)
        #expect(through.filter { $0.kind.rawValue == "incident-open" }.map(\.detail) == ["[major] api SLO breach: p95 500 ms > 300 ms"], "\(through)")
    }

    @Test func anIncidentOpensOnABreachAndClosesAfterTheStabilityWindow() {
        var m = IncidentManager(settings: IncidentSettings(stabilityWindow: 120, cooldown: 300, anomalyDetection: false),
                                slos: ["api": .init(p95: 0.3, errorRate: 0.01)])
        var events: [TimelineEvent] = []
        var t = 0.0
        func step(_ p95: Double) { t += 15; events += m.observe(scrape(t, p95: p95), nodeFailures: [], responses: [], actions: []) }
        for _ in 0..<4 { step(0.1) }
        step(0.5); step(0.5)
        for _ in 0..<8 { step(0.1) }  // healthy from 90 (end of the last breach) ⇒ closes at 90 + 120 = 210
        let kinds = events.map(\.kind.rawValue)
        #expect(kinds == ["incident-open", "incident-close"])
        #expect(events[0].time == 75 && events[1].time == 210)
        // Flapping inside the cooldown does not open a new incident.
        step(0.5)
        #expect(events.count == 2)
    }
}

/// The slow-shift detector on series whose medians are known by construction.
@Suite struct LevelShiftDetectorTests {
    /// 2 recent values against 4 before: silent until both windows are full, then reports the medians exactly, and
    /// only beyond both the relative and the absolute floor, in its own direction.
    @Test func comparesTheRecentMedianWithTheReferenceMedian() {
        var up = LevelShiftDetector(direction: .up, recent: 2, reference: 4, relative: 0.5, absolute: 1)
        let found = [10.0, 10, 12, 10, 16, 15].map { up.observe($0) }
        #expect(found.prefix(5).allSatisfy { $0 == nil })
        // Reference 10, 10, 12, 10 (median 10); recent 16, 15 (median 15.5): +55 %.
        #expect(found.last == .init(recentMedian: 15.5, referenceMedian: 10))
        // One more: reference 10, 12, 10, 16 (median 11), recent 15, 14 (14.5): +32 %, below the 50 % floor.
        #expect(up.observe(14) == nil)
        var down = LevelShiftDetector(direction: .down, recent: 2, reference: 4, relative: 0.5, absolute: 1)
        #expect([10.0, 10, 12, 10, 16, 15].compactMap { down.observe($0) }.isEmpty)
        #expect([4.0, 4].compactMap { down.observe($0) }.last == .init(recentMedian: 4, referenceMedian: 13.5))
        var floor = LevelShiftDetector(direction: .up, recent: 2, reference: 4, relative: 0.5, absolute: 10)
        #expect([10.0, 10, 12, 10, 16, 15].compactMap { floor.observe($0) }.isEmpty)  // +5.5 is under the absolute 10
    }

    /// A lasting step is reported while the reference still holds the old level, then forgotten; values that are not
    /// numbers are skipped; after thousands of values (the storage compacted) the windows are still the last ones.
    @Test func aLastingStepIsLearntAndTheWindowsStayRight() {
        var d = LevelShiftDetector(direction: .up, recent: 10, reference: 50, relative: 0.3)
        let found = (Array(repeating: 1.0, count: 100) + [.nan] + Array(repeating: 2.0, count: 100)).map { d.observe($0) != nil }
        // The 5th value at 2 lifts the recent median to 1.5 (+50 %); the reference median reaches 2 with the 36th.
        #expect(found.firstIndex(of: true) == 105)
        #expect(found.lastIndex(of: true) == 135)
        for x in 0..<20_000 { _ = d.observe(Double(x % 7)) }
        let after = (0..<10).map { _ in d.observe(100) }.last
        #expect(after == .init(recentMedian: 100, referenceMedian: 3))
    }
}
