import Foundation
import Testbed
import Testing

/// A live session stopped and resumed: the policies go on with the history they had, on the session's own
/// clock, and the resumed run replays offline to the same decisions.
@Suite("Live sessions resumed")
struct LiveResumeTests {
    @Test func aStoppedSessionGoesOnWithItsPoliciesHistory() async throws {
        let dir = temporaryDirectory()
        let server = try await PrometheusServer.start(in: dir + "/prometheus")
        defer { server.stop() }
        try await onOwnThread { try Self.stopAndResume(dir: dir, prometheus: server.url) }
    }

    static func stopAndResume(dir: String, prometheus: String) throws {
        let db = dir + "/live.sqlite"
        // CPU 90 % until `calm`, 10 % after, on 2 ready replicas: the HPA (target 60 %) asks for 3, then would ask
        // for 1 — but upstream's scale-down stabilisation (5 minutes) does not go below its recent wishes.
        let calm = Int(Date().timeIntervalSince1970) + 30
        let first = try BackgroundCommand(["shadow", "--prometheus", prometheus, "--service", "api", "--min-replicas", "1", "--max-replicas", "10",
                                           "--policy", "hpa", "--signal", "rate=vector(10)", "--signal", "cpu=vector(0.1 + 0.8 * (time() < bool \(calm)))",
                                           "--signal", "ready=vector(2)", "--interval", "1s", "--for", "10m", "--db", db])
        #expect(LiveTestbedTests.until(120) { ((try? sqlite(db, "SELECT COUNT(*) FROM decisions")) ?? []).first.flatMap { Int($0) } ?? 0 >= 1 })
        let stopped = first.wait(atMost: 0)
        #expect(stopped.stdout.contains("(ended early)"), "\(stopped.stdout)\(stopped.stderr)")
        let cpuBefore = try sqlite(db, "SELECT DISTINCT value FROM live_reads WHERE run_id = 1 AND signal = 'cpu'")
        try #require(cpuBefore == ["0.9"], "the first session's polls came after the calm began: \(cpuBefore)")
        #expect(try sqlite(db, "SELECT DISTINCT final FROM decisions WHERE run_id = 1") == ["3"])

        while Date().timeIntervalSince1970 < Double(calm) + 2 { Thread.sleep(forTimeInterval: 0.2) }
        let second = try BackgroundCommand(["shadow", "--resume", "1", "--db", db])
        #expect(LiveTestbedTests.until(120) { ((try? sqlite(db, "SELECT COUNT(*) FROM decisions WHERE run_id = 2")) ?? []).first.flatMap { Int($0) } ?? 0 >= 1 })
        let resumed = second.wait(atMost: 0)
        #expect(resumed.stdout.contains("(resuming run 1)"), "\(resumed.stdout)\(resumed.stderr)")
        #expect(try sqlite(db, "SELECT DISTINCT value FROM live_reads WHERE run_id = 2 AND signal = 'cpu'") == ["0.1"])
        // With the history it had (a wish for 3 within the window), the HPA holds the 2 replicas there are, as
        // upstream's stabilizeRecommendationWithBehaviors does; a fresh one would have gone to 1 at once.
        #expect(try sqlite(db, "SELECT DISTINCT proposal || ' ' || final || ' ' || COALESCE(limited_by, '') FROM decisions WHERE run_id = 2")
                == ["1 2 stabilization window"])
        // The session's clock went on: run 2's times follow run 1's, the gap said in an event.
        let lastBefore = try #require(Double(try sqlite(db, "SELECT MAX(t) FROM live_reads WHERE run_id = 1").first ?? ""))
        let firstAfter = try #require(Double(try sqlite(db, "SELECT MIN(t) FROM live_reads WHERE run_id = 2").first ?? ""))
        #expect(firstAfter > lastBefore + 20)
        let gap = try sqlite(db, "SELECT detail FROM events WHERE run_id = 2 AND kind = 'polls-skipped'")
        #expect(gap.count == 1 && gap[0].contains("while the session was stopped (resumed from run 1)"), "\(gap)")
        let replay = try stormglassProcess(["shadow", "--replay-session", "2", "--db", db])
        #expect(replay.code == 0 && replay.stdout.contains(", 0 divergent"), "\(replay.stdout)\(replay.stderr)")
        // Resuming as the wrong kind of session, or a simulated run, is refused in words.
        let wrong = try stormglassProcess(["control", "--resume", "1", "--db", db, "--exec", "/bin/true {replicas}"])
        #expect(wrong.code == 2 && wrong.stderr.contains("run 1 is a shadow session; resume it with stormglass shadow"), "\(wrong.stderr)")
        let changed = try stormglassProcess(["shadow", "--resume", "1", "--db", db, "--policy", "predictive"])
        #expect(changed.code == 2 && changed.stderr.contains("--policy cannot change it"), "\(changed.stderr)")
        let simulated = dir + "/sim.sqlite"
        #expect(try stormglassProcess(["run", "black-friday", "--duration", "5m", "--db", simulated, "--quiet"]).code == 0)
        let notLive = try stormglassProcess(["shadow", "--resume", "1", "--db", simulated])
        #expect(notLive.code == 2 && notLive.stderr.contains("not a live session"), "\(notLive.stderr)")
    }
}
