@testable import Lab
import Foundation
import GRDB
import Recorder
import Testing
@testable import ScenarioKit
@testable import StormglassCLI
import Reports
import Scenarios

@Suite struct GateParsingTests {
    @Test func addedGatesThatJudgeTheSameAreOne() throws {
        let scenario = [try Gate("recovery <= 3m"), try Gate("availability >= 99.9%")]
        let all = Gate.adding([try Gate("recovery<=180s", wholeInterval: true), try Gate("recovery <= 2m"), try Gate("recovery <= 120s")], to: scenario)
        #expect(all.map(\.threshold) == [180, scenario[1].threshold, 120])
        #expect(all[0].wholeInterval && !all[1].wholeInterval)   // asked again over the whole interval: judged so
    }

    @Test func expressionsParseWithUnits() throws {
        let r = try Gate("recovery <= 3m")
        #expect(r.metric == .recovery && r.comparison == .le && r.threshold == 180)
        #expect(abs(try Gate("availability >= 99.9%").threshold - 0.999) < 1e-12)
        #expect(try Gate("slo-violation <= 5m").threshold == 5)
        #expect(try Gate("slo-violation < 2.5").threshold == 2.5)
        #expect(try Gate("accuracy@15m >= 85%").metric == .accuracy(horizon: 900))
        #expect(try Gate("p95:checkout <= 300ms").metric == .p95(service: "checkout"))
        #expect(try Gate("cost <= $40").threshold == 40)
        #expect(try Gate("recovery <= 3m").passes(179) && !(try Gate("recovery <= 3m").passes(181)))
        #expect(!(try Gate("recovery <= 3m").passes(nil)))  // not recovered fails
    }

    @Test func malformedExpressionsSayWhatIsWrong() {
        func message(_ s: String) -> String { do { _ = try Gate(s); return "" } catch { return "\(error)" } }
        #expect(message("recovery 3m").contains("no comparison"))
        #expect(message("latency <= 3m").contains("unknown metric \"latency\""))
        #expect(message("recovery <= soon").contains("not a duration"))
        #expect(message("availability >= 2").contains("not a fraction in 0…1 or a percentage"))
        #expect(message("availability >= 150%").contains("percentage in 0…100%"))
        #expect(message("availability >= -5%").contains("percentage in 0…100%"))
        // Thresholds no run can reach or that compare with nothing (found by ParserPropertyTests).
        for impossible in ["slo-violation <= nan", "cost <= -5", "recovery <= -300", "p95:api <= -1s", "cost <= inf"] {
            #expect(message(impossible).contains("not a possible threshold"), "\(impossible)")
        }
    }

    @Test func aGateOverUnfinishedRunsIsNotEvaluatedAndNeverPasses() throws {
        let store = try ResultsStore(path: temporaryDirectory() + "/n.sqlite")
        let gate = try Gate("recovery <= 5m")
        // Two runs were asked for and none finished (interrupted): the gate cannot be judged.
        let o = try GateEvaluation.evaluate(gate, scenario: "node-crash", runs: [], expected: 2, store: store, wallSeconds: 1)
        #expect(o.verdict == .notEvaluated("2 of 2 runs did not finish (interrupted or failed)") && !o.passed)
        let xml = GateReport.junit([o], scenarios: ["node-crash"])
        #expect(xml.contains("failures=\"0\" errors=\"1\"") && xml.contains("<error message=\"not evaluated: 2 of 2 runs"))
        #expect(!xml.contains("<failure"))
        let md = GateReport.markdown([o], replications: 2)
        #expect(md.contains("not evaluated") && !md.contains("pass"))
    }

    @Test func sweepValuesAndShards() throws {
        #expect(try Variation("x=2...10:4").values == ["2", "6", "10"])
        #expect(try Variation("policy=hpa,predictive").values == ["hpa", "predictive"])
        #expect(throws: InvalidInput.self) { try Variation("x=5...1") }
        let s = try Shard("1/3")
        #expect((0..<9).filter(s.owns) == [1, 4, 7])
        #expect(throws: InvalidInput.self) { try Shard("3/3") }
    }
}

@Suite(.serialized) struct GateCommandTests {
    @Test func aGateAskedTwiceIsJudgedOnceAndMarkdownOnlyWhenAsked() throws {
        let dir = temporaryDirectory()
        // The same gate in two spellings, and once more over the whole interval: one test case.
        let out = try stormglassProcess(["gate", "node-crash", "--duration", "50m", "--replications", "4", "--gate", "recovery <= 10m",
                                         "--gate", "recovery<=600s", "--db", dir + "/g.sqlite", "--junit", dir + "/g.xml", "--quiet"], in: dir)
        #expect(out.code == 0, "\(out.stdout) \(out.stderr)")
        let xml = try String(contentsOfFile: dir + "/g.xml", encoding: .utf8)
        #expect(xml.contains("tests=\"1\""), "\(xml)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/results/gates.md"), "a Markdown summary nobody asked for")
        #expect(!out.stdout.contains("summary:"), "\(out.stdout)")
        // Runs simulated side by side are numbered in seed order, not as they happened to start or finish.
        let seeds = try DatabaseQueue(path: dir + "/g.sqlite").read { try Int.fetchAll($0, sql: "SELECT seed FROM runs ORDER BY id") }
        #expect(seeds == [1, 2, 3, 4])
    }

    @Test func aGateThatMustFailFailsAndOneThatMustPassPasses() throws {
        let dir = temporaryDirectory()
        let code = stormglass("gate", "node-crash", "--duration", "50m", "--replications", "2", "--gate", "recovery <= 10m",
                              "--gate", "recovery <= 10s", "--db", dir + "/g.sqlite", "--junit", dir + "/g.xml", "--markdown", dir + "/g.md", "--quiet")
        #expect(code == 1)
        let xml = try String(contentsOfFile: dir + "/g.xml", encoding: .utf8)
        #expect(xml.contains("tests=\"2\" failures=\"1\""))
        #expect(xml.contains("name=\"recovery &lt;= 10s\""))
        #expect(xml.contains("<failure message=\"measured "))
        let md = try String(contentsOfFile: dir + "/g.md", encoding: .utf8)
        #expect(md.contains("❌ FAIL") && md.contains("✅ pass"))
        #expect(stormglass("gate", "node-crash", "--duration", "50m", "--replications", "2", "--gate", "recovery <= 10m",
                           "--db", dir + "/g.sqlite", "--junit", dir + "/p.xml", "--markdown", dir + "/p.md", "--quiet") == 0)
        #expect(stormglass("gate", "node-crash", "--gate", "recovery 10m", "--db", dir + "/g.sqlite") == 2)
        // Impossible gates and unknown names are refused before anything runs.
        let runs = try ResultsStore(path: dir + "/g.sqlite").runs().count
        #expect(stormglass("gate", "node-crash", "--gate", "p95:nosuch <= 300ms", "--db", dir + "/g.sqlite") == 2)
        #expect(stormglass("gate", "node-crash", "nope", "--gate", "recovery <= 5m", "--db", dir + "/g.sqlite") == 2)
        #expect(stormglass("gate", "node-crash", "--gate", "availability >= 150%", "--db", dir + "/g.sqlite") == 2)
        #expect(try ResultsStore(path: dir + "/g.sqlite").runs().count == runs)
    }

    @Test func aShardedSweepMergedEqualsTheUnshardedOne() throws {
        ScenarioCatalog.all = Scenarios.all   // run alone, nothing else has set the catalog `Stormglass.execute` reads
        let dir = temporaryDirectory()
        let args = ["sweep", "node-crash", "--duration", "35m", "--vary", "api.replicas=12,16", "--vary", "api.concurrency=4,6", "--record", "samples", "--quiet"]
        #expect(Stormglass.execute(args + ["--db", dir + "/all.sqlite"]) == 0)
        #expect(Stormglass.execute(args + ["--db", dir + "/s0.sqlite", "--shard", "0/2"]) == 0)
        #expect(Stormglass.execute(args + ["--db", dir + "/s1.sqlite", "--shard", "1/2"]) == 0)
        #expect(stormglass("merge", dir + "/s0.sqlite", dir + "/s1.sqlite", "-o", dir + "/merged.sqlite") == 0)
        func rows(_ f: String) throws -> [Row] {
            try DatabaseQueue(path: f).read { db in
                try Row.fetchAll(db, sql: """
                    SELECT r.label, r.seed, s.t, s.service, s.arrivals, s.completed, s.failed, s.p95, s.ready FROM service_samples s
                    JOIN runs r ON r.id = s.run_id ORDER BY r.label, r.seed, s.t, s.service
                    """)
            }
        }
        let all = try rows(dir + "/all.sqlite"), merged = try rows(dir + "/merged.sqlite")
        #expect(all.count == 4 * 140)
        #expect(all == merged)
        // Resuming: a second run of the same sweep skips every finished point.
        let before = try ResultsStore(path: dir + "/all.sqlite").runs().count
        #expect(Stormglass.execute(args + ["--db", dir + "/all.sqlite"]) == 0)
        #expect(try ResultsStore(path: dir + "/all.sqlite").runs().count == before)
    }
}
