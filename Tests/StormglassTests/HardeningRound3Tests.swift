@testable import Charts
import Foundation
import GRDB
@testable import Lab
@testable import Recorder
import ScenarioKit
import Scenarios
import Testing
@testable import StormglassCLI

/// The third reliability audit's defects (`shared/audit/round3-defects.md`, D1–D18), each run from its
/// reproduction as a user runs it.
@Suite(.serialized) struct HardeningRound3Tests {
    func write(_ text: String, _ name: String, in dir: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func runs(_ db: String) throws -> [(id: Int64, status: String)] {
        try DatabaseQueue(path: db).read { db in
            try Row.fetchAll(db, sql: "SELECT id, status FROM runs ORDER BY id").map { ($0["id"], $0["status"]) }
        }
    }

    // D1: a trace with no traffic (zeros, a scale of 0, 1e-300) is a run with no arrivals, not a hang.
    @Test func aReplayedTraceWithNoTrafficFinishes() throws {
        let dir = temporaryDirectory()
        let zeros = try write("timestamp,value\n0,0\n300,0\n600,0\n", "z.csv", in: dir)
        let tiny = try write("timestamp,value\n0,1e-300\n300,1e-300\n600,1e-300\n", "tiny.csv", in: dir)
        let db = dir + "/r.sqlite"
        for args in [["--replay", "checkout=\(zeros)"], ["--replay", "checkout=\(tiny)"],
                     ["--replay", "checkout=" + repositoryRoot.appendingPathComponent("Examples/Replay/checkout-requests.csv").path, "--replay-scale", "0"]] {
            let out = try stormglassProcess(["run", "black-friday", "--duration", "1h", "--db", db, "--quiet"] + args)
            #expect(out.code == 0, "\(args): \(out.stderr)")
        }
        let recorded = try runs(db)
        #expect(recorded.count == 3 && recorded.allSatisfy { $0.status == "finished" })
        // No arrivals reached checkout in any of them.
        let requests = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT SUM(arrivals) FROM service_samples WHERE service = 'checkout'") }
        #expect(requests == 0)
    }

    // D1, D9: a value no run can simulate is refused before anything runs, naming the file and the limit.
    @Test func aReplayedRateAboveTheLimitIsRefusedWithTheLimit() throws {
        let dir = temporaryDirectory()
        let spike = try write("timestamp,value\n0,5\n300,1e300\n600,5\n", "spike.csv", in: dir)
        let json = try write(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"5"],[300,"1e308"],[600,"5"]]}]}}"#, "spike.json", in: dir)
        let db = dir + "/r.sqlite"
        for file in [spike, json] {
            let out = try stormglassProcess(["run", "black-friday", "--duration", "1h", "--replay", "checkout=\(file)", "--db", db])
            #expect(out.code == 2, "\(file) exited \(out.code)")
            #expect(out.stderr.contains(file) && out.stderr.contains("the most a run can simulate is 100000000/s"), "\(out.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db), "nothing was recorded")
    }

    // D1: a search for the next arrival against a bound far above the rate stops at SIGTERM, and the run
    // is recorded aborted (one-second rows: a lone spike sets the bound of a whole minute of zeros).
    @Test func aRunThatIsSlowToDrawArrivalsStopsAtSIGTERM() throws {
        let dir = temporaryDirectory()
        var rows = "timestamp,value\n"
        for t in 0..<600 { rows += "\(t),\(t % 60 == 30 ? 50_000_000 : 0)\n" }
        let spikes = try write(rows, "spikes.csv", in: dir)
        let db = dir + "/r.sqlite"
        let out = try stormglassProcess(["run", "black-friday", "--duration", "1d", "--replay", "checkout=\(spikes)", "--replay-values", "per-second",
                                         "--db", db, "--quiet"], signal: SIGTERM, after: 3)
        #expect(out.code == 130, "exited \(out.code): \(out.stderr)")
        #expect(try runs(db).map(\.status) == ["aborted"])
    }

    // D2: resource quantities no node could hold are refused with file, line and path, never a crash or a
    // huge allocation.
    @Test func hostileResourceQuantitiesInAManifestAreRefusedWithTheirPath() throws {
        let dir = temporaryDirectory()
        let source = repositoryRoot.appendingPathComponent("Examples/Replay/k8s")
        let deployment = try String(contentsOf: source.appendingPathComponent("checkout.yaml"), encoding: .utf8)
        let hpa = try String(contentsOf: source.appendingPathComponent("checkout-hpa.yaml"), encoding: .utf8)
        let trace = repositoryRoot.appendingPathComponent("Examples/Replay/checkout-requests.json").path
        for (from, to, message) in [("cpu: 250m", "cpu: 1e308", "1e308 is more than the simulation can represent (at most 10000 cores)"),
                                    ("cpu: 250m", "cpu: 250M", "250M is more than the simulation can represent (at most 10000 cores)"),
                                    ("cpu: 250m", "cpu: 9223372036854775807", "at most 10000 cores"),
                                    ("memory: 256Mi", "memory: 1e308", "at most 100000000Mi")] {
            #expect(deployment.contains(from))
            let k = dir + "/k-\(to.filter(\.isLetter))-\(to.count)"
            try FileManager.default.createDirectory(atPath: k, withIntermediateDirectories: true)
            try deployment.replacingOccurrences(of: from, with: to).write(toFile: k + "/checkout.yaml", atomically: false, encoding: .utf8)
            try hpa.write(toFile: k + "/checkout-hpa.yaml", atomically: false, encoding: .utf8)
            let out = try stormglassProcess(["replay", "--manifests", k, "--trace", "checkout=\(trace)", "--db", dir + "/r.sqlite"])
            #expect(out.code == 2, "\(to) exited \(out.code)")
            #expect(out.stderr.contains("checkout.yaml:") && out.stderr.contains("resources.") && out.stderr.contains(message), "\(to): \(out.stderr)")
        }
    }

    // D2 as a class: validation bounds every value that sizes an allocation, whatever set it.
    @Test func validationBoundsEveryValueThatSizesAnAllocation() throws {
        var spec = try #require(Scenarios.named("black-friday")).spec
        let i = try #require(spec.serviceIndex("checkout"))
        spec.services[i].model.concurrency = 250_000_000
        spec.services[i].model.cpuMillicores = 250_000_000_000
        spec.services[i].model.queueCapacity = 1 << 40
        spec.pools[0].count = 1 << 30
        let paths = Set(spec.validate().map(\.path))
        #expect(paths.isSuperset(of: ["services.checkout.concurrency", "services.checkout.cpuMillicores", "services.checkout.queueCapacity",
                                      "pools.\(spec.pools[0].name).count"]))
    }

    // D5: an interrupted comparison says its table is partial; an interrupted plan exits 130.
    @Test func interruptedComparisonsSayTheirTablesArePartial() throws {
        let db = temporaryDirectory() + "/r.sqlite"
        let compare = try stormglassProcess(["compare", "black-friday", "--policy", "hpa", "--policy", "predictive", "--duration", "7d", "--db", db, "--quiet"],
                                            signal: SIGTERM, after: 2)
        #expect(compare.code == 130)
        #expect(compare.stdout.contains("INTERRUPTED") && !compare.stdout.contains("7d each"), "\(compare.stdout)")
        let plan = try stormglassProcess(["plan", "black-friday", "--find", "checkout.minReplicas", "--meet", "slo-violation <= 5m", "--range", "1...20",
                                          "--duration", "7d", "--db", db, "--quiet"], signal: SIGTERM, after: 2)
        #expect(plan.code == 130, "plan exited \(plan.code): \(plan.stderr)")
    }

    // D6: runs that fail leave a JUnit <error>, never an older green report, and exit 1.
    @Test func aGateWhoseRunsFailWritesAnErrorReport() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite", junit = dir + "/g.xml", markdown = dir + "/g.md"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        try #"<testsuites><testsuite name="old" tests="1" failures="0"><testcase name="green"/></testsuite></testsuites>"#
            .write(toFile: junit, atomically: false, encoding: .utf8)
        // Another process holds the file for the whole gate run, so every write waits out its timeout.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true   // the transaction spans the gate run
        let lock = try DatabaseQueue(path: db, configuration: holding)
        try lock.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        let out = try stormglassProcess(["gate", "node-crash", "--duration", "35m", "--replications", "2", "--gate", "recovery <= 5m",
                                         "--junit", junit, "--markdown", markdown, "--db", db, "--quiet"])
        try lock.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
        #expect(out.code == 1, "exited \(out.code): \(out.stderr)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<error") && !xml.contains("name=\"green\""), "\(xml)")
        #expect(try String(contentsOfFile: markdown, encoding: .utf8).contains("not evaluated"))
    }

    // D7: several runs starting at once on a new file all record.
    @Test func concurrentFirstUseOfANewFileLosesNoRun() throws {
        let dir = temporaryDirectory()
        for attempt in 0..<2 {
            let db = dir + "/new-\(attempt).sqlite"
            let outputs = try (1...4).map { seed in
                try Process.launched(["run", "node-crash", "--duration", "35m", "--seed", "\(seed)", "--db", db, "--quiet"])
            }.map { try $0.finish() }
            for o in outputs { #expect(o.code == 0, "\(o.stderr)") }
            #expect(try runs(db).count == 4)
        }
    }

    // D8: the repair the damage error recommends copies the runs that can still be read.
    @Test func mergingADamagedFileCopiesWhatItCanRead() throws {
        let dir = temporaryDirectory()
        let db = dir + "/c.sqlite"
        for seed in 1...3 { #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--seed", "\(seed)", "--db", db, "--quiet"]).code == 0) }
        // The audit's reproduction: 8 KiB overwritten at the middle of the file.
        let queue = try DatabaseQueue(path: db)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int)
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        try handle.seek(toOffset: UInt64(size / 2))
        handle.write(Data(repeating: 0xA5, count: 8192))
        try handle.close()
        // Which runs can still be read, found independently: each run's rows read whole, in a connection of its own.
        func readable(_ id: Int64) -> Bool {
            guard let q = try? DatabaseQueue(path: db) else { return false }
            return (try? q.read { d in
                for table in ["runs"] + ResultsStore.perRunTables {
                    let rows = try Row.fetchCursor(d, sql: "SELECT * FROM \(table) WHERE \(table == "runs" ? "id" : "run_id") = ? ORDER BY rowid", arguments: [id])
                    while let row = try rows.next() { _ = row.copy() }
                }
                return true
            }) ?? false
        }
        let expected = (1...3).filter { readable(Int64($0)) }
        #expect(expected.count < 3, "the damage hit no run's rows; the test damages nothing it can see")
        let refused = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db])
        #expect(refused.code == 2 && refused.stderr.contains(db), "\(refused.stderr)")
        let repaired = dir + "/repaired.sqlite"
        let out = try stormglassProcess(["merge", db, "-o", repaired])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(!out.stderr.contains("repaired.sqlite is not"), "the output is not blamed: \(out.stderr)")
        // Exactly the runs that can be read are copied; every other is named.
        #expect(try runs(repaired).count == expected.count)
        for id in 1...3 where !expected.contains(id) {
            #expect(out.stderr.contains("\(db) run \(id) could not be read"), "\(out.stderr)")
        }
        // A refused input leaves no empty output behind.
        let notOurs = try write("hello", "notours.sqlite", in: dir)
        #expect(try stormglassProcess(["merge", notOurs, "-o", dir + "/never.sqlite"]).code == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/never.sqlite"))
    }

    // D11: an unusable gnuplot time limit is refused in words, never read as "no limit" or a crash.
    @Test func anUnusableGnuplotTimeLimitIsRefused() throws {
        for bad in ["inf", "1e300", "9223372036854775807", "0", "-1", "abc", "nan", "", " 5"] {
            #expect(throws: ChartError.self, "\(bad.debugDescription)") { try Gnuplot.timeLimit(bad) }
        }
        #expect(try Gnuplot.timeLimit(nil) == 60)
        #expect(try Gnuplot.timeLimit("0.5") == 0.5)
        #expect(ChartError.gnuplotTimedOut(seconds: 0.5).description.contains("within 0.5 s"))
        guard (try? Gnuplot()) != nil else { return }
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        let out = try stormglassProcess(["plot", db, "--plots-dir", dir + "/p"], environment: ["STORMGLASS_GNUPLOT_TIMEOUT": "inf"])
        #expect(out.code == 2 && out.stderr.contains("STORMGLASS_GNUPLOT_TIMEOUT=\"inf\""), "\(out.stderr)")
    }

    // D13: names from a results file reach the terminal with their control characters escaped.
    @Test func namesFromAResultsFileCannotDriveTheTerminalOrFakeRows() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        try DatabaseQueue(path: db).write { db in
            try db.execute(sql: "UPDATE runs SET scenario = char(27) || ']0;pwned' || char(7) || char(27) || '[2J'")
            try db.execute(sql: "UPDATE services SET service = service || char(10) || 'fake  100.000%  1 ms'")
        }
        let out = try stormglassProcess(["show", db])
        #expect(out.code == 0, "\(out.stderr)")
        #expect(!out.stdout.unicodeScalars.contains { $0.value == 27 || $0.value == 7 }, "raw control characters reached the terminal")
        #expect(out.stdout.contains("\\u{1B}]0;pwned\\u{7}"))
        #expect(!out.lines.contains { $0.hasPrefix("fake") }, "a name started a row of its own")
    }

    // D14: out-of-range input is refused before anything runs.
    @Test func outOfRangeInputIsRefusedBeforeAnythingRuns() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        let plan = try stormglassProcess(["plan", "black-friday", "--find", "checkout.minReplicas", "--meet", "slo-violation <= 5m", "--range=-5...3", "--db", db])
        #expect(plan.code == 2 && plan.stderr.contains("--range -5...3"), "\(plan.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing was recorded")
        let forecast = try stormglassProcess(["forecast", "--csv", trace("art_daily_jumpsup.csv"), "--horizon", "367d"])
        #expect(forecast.code == 2 && forecast.stderr.contains("from 1s to 366d"), "\(forecast.stderr)")
        let late = try stormglassProcess(["run", "black-friday", "--replay", "checkout=" + trace("art_daily_jumpsup.csv"), "--replay-start", "1000d", "--db", db])
        #expect(late.code == 2 && late.stderr.contains("past the trace's end"), "\(late.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    // D15: a parameter's shown value sets it to the same value.
    @Test func aShownPolicySetsTheSamePolicy() throws {
        for name in ["claims-backlog", "metrics-outage"] {
            let spec = try #require(Scenarios.named(name)).spec
            for p in spec.parameters where p.key == "policy" || p.key.hasSuffix(".policy") {
                var again = spec
                try again.set(p.key, p.value(in: spec))
                #expect(again.services.map { String(describing: $0.policy) } == spec.services.map { String(describing: $0.policy) }, "\(name) \(p.key)")
            }
        }
    }

    // D4: fidelity stops at a signal instead of running both fidelities to the end and printing a verdict.
    @Test func fidelityStopsAtASignal() throws {
        let out = try stormglassProcess(["fidelity", "black-friday", "--duration", "7d"], signal: SIGINT, after: 1)
        #expect(out.code == 130, "exited \(out.code)")
        #expect(!out.stdout.contains("promise"), "a verdict was printed: \(out.stdout)")
    }

    // D16: label windows that cannot be scored as written are refused, each named.
    @Test func labelWindowsThatCannotBeScoredAreRefused() throws {
        let dir = temporaryDirectory()
        let series = trace("art_daily_jumpsup.csv")
        let cases: [(String, String)] = [
            (#"{"art_daily_jumpsup.csv": [["2001-01-01 00:00:00", "2001-01-02 00:00:00"]]}"#, "lies outside the series"),
            (#"{"art_daily_jumpsup.csv": [["2014-04-11 00:00:00", "2014-04-11 00:00:00"]]}"#, "is empty"),
            (#"{"art_daily_jumpsup.csv": [["2014-04-11 00:00:00", "2014-04-12 00:00:00"], ["2014-04-11 12:00:00", "2014-04-13 00:00:00"]]}"#, "overlaps"),
            (#"{"a/art_daily_jumpsup.csv": [], "b/art_daily_jumpsup.csv": []}"#, "share the file name art_daily_jumpsup.csv"),
        ]
        for (n, (json, message)) in cases.enumerated() {
            let labels = try write(json, "labels-\(n).json", in: dir)
            let out = try stormglassProcess(["detect", "--csv", series, "--score", labels])
            #expect(out.code == 2 && out.stderr.contains(message), "\(json): \(out.stderr)")
        }
    }

    // Item 7: recording levels. A run keeps what its level says; what a command reads back is always there.
    @Test func recordingLevelsKeepWhatTheySayAndTheReadersStillWork() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        for level in ["all", "samples", "summaries"] {
            let out = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--record", level, "--db", db, "--quiet"])
            #expect(out.code == 0, "\(level): \(out.stderr)")
        }
        func count(_ table: String, _ run: Int) throws -> Int {
            try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table) WHERE run_id = ?", arguments: [run]) ?? 0 }
        }
        #expect(try count("service_samples", 1) > 0 && count("predictions", 1) > 0)
        #expect(try count("service_samples", 2) > 0 && count("predictions", 2) == 0)
        #expect(try count("service_samples", 3) == 0 && count("predictions", 3) == 0 && count("node_samples", 3) == 0)
        // Decisions, events and the summary are kept at every level (the three runs are one seed: the same rows).
        for table in ["decisions", "events", "summaries", "forecast_accuracy", "latency_histogram"] {
            #expect(try count(table, 1) == count(table, 2) && count(table, 1) == count(table, 3), "\(table)")
        }
        #expect(try count("events", 3) > 0 && count("summaries", 3) > 0)
        // The summary reads the same whatever was kept.
        let all = try stormglassProcess(["show", db, "--run", "1"]), summaries = try stormglassProcess(["show", db, "--run", "3"])
        #expect(all.code == 0 && summaries.code == 0)
        #expect(all.lines.first { $0.hasPrefix("SLO-violation minutes") } == summaries.lines.first { $0.hasPrefix("SLO-violation minutes") })
        let plot = try stormglassProcess(["plot", db, "--run", "3", "--plots-dir", dir + "/p"])
        #expect(plot.code == 2 && plot.stderr.contains("--record summaries"), "\(plot.stderr)")
        let refused = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--record", "summaries", "--plots", "--db", dir + "/never.sqlite"])
        #expect(refused.code == 2 && !FileManager.default.fileExists(atPath: dir + "/never.sqlite"))
        // A sweep keeps summaries unless asked, and still prints its table.
        let sweep = try stormglassProcess(["sweep", "node-crash", "--duration", "35m", "--vary", "api.replicas=12,16", "--db", dir + "/s.sqlite", "--quiet"])
        #expect(sweep.code == 0 && sweep.stdout.contains("api.replicas=16"), "\(sweep.stdout)")
        let levels = try DatabaseQueue(path: dir + "/s.sqlite").read { try String.fetchAll($0, sql: "SELECT DISTINCT recording FROM runs") }
        #expect(levels == ["summaries"])
    }

    // D18: what is printed says what happened: the largest seed as --seed takes it, an aborted run not as whole.
    @Test func printedSeedsAndStopsSayWhatHappened() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--seed", "18446744073709551615", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        let show = try stormglassProcess(["show", db])
        #expect(show.stdout.contains("seed 18446744073709551615") && !show.stdout.contains("seed -1"), "\(show.stdout)")
        let stopped = try stormglassProcess(["run", "black-friday", "--set", "checkout.rate=1e8", "--duration", "1h", "--db", db, "--quiet"],
                                            signal: SIGTERM, after: 2)
        #expect(stopped.code == 130)
        #expect(stopped.stdout.contains("stopped before the end of its 1h") && !stopped.stdout.contains("1h simulated"), "\(stopped.stdout)")
        // A bad --vary value is named once, as a --vary.
        let vary = try stormglassProcess(["sweep", "node-crash", "--vary", "api.replicas=12,16", "--vary", "api.concurrency=0", "--db", db])
        #expect(vary.code == 2 && vary.stderr.components(separatedBy: "--vary api.concurrency:").count == 2, "\(vary.stderr)")
        // A folder, or a path through a file, is named as such.
        let folder = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", dir])
        #expect(folder.code == 2 && folder.stderr.contains("\(dir) is a folder"), "\(folder.stderr)")
        let through = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db + "/x/r.sqlite"])
        #expect(through.code == 2 && through.stderr.contains("\(db) is a file, not a folder"), "\(through.stderr)")
    }

    // D18: every message names the file and says what is wrong, in the form the option takes.
    @Test func messagesNameTheFileAndTheRealProblem() throws {
        let dir = temporaryDirectory()
        // A gap one second longer than can be filled, named with the file, the instant and its exact length.
        var rows = "timestamp,value\n"
        for i in 0..<300 { rows += "\(1_400_000_000 + i * 60),\(i % 7 + 1)\n" }
        let resumed = 1_400_000_000 + 299 * 60 + 7 * 86_400 + 1
        for i in 0..<300 { rows += "\(resumed + i * 60),\(i % 7 + 1)\n" }
        let gap = try write(rows, "gap.csv", in: dir)
        let forecast = try stormglassProcess(["forecast", "--csv", gap])
        #expect(forecast.code == 2 && forecast.stderr.contains("\(gap): the series has a gap of 7d1s after 2014-05-13T21:52:20Z (t = 1400017940 s)")
                && forecast.stderr.contains("longer than the 7d that can be filled"), "\(forecast.stderr)")
        // A value too large for a number, as written; a timestamp blamed on its unit only where that is the cause.
        let huge = try write("timestamp,value\n1,1\n2,1e400\n", "huge.csv", in: dir)
        let big = try stormglassProcess(["forecast", "--csv", huge])
        #expect(big.code == 2 && big.stderr.contains("huge.csv:3: value 1e400 is beyond the largest number"), "\(big.stderr)")
        let far = try write("timestamp,value\n1e15,1\n", "far.csv", in: dir)
        let farOut = try stormglassProcess(["forecast", "--csv", far])
        #expect(farOut.code == 2 && farOut.stderr.contains("far.csv:2: timestamp 1e15 is out of range even as milliseconds"), "\(farOut.stderr)")
        let mixed = try write("timestamp,value\n1400000000,1\n1400000060000,1\n", "mixed.csv", in: dir)
        let mixedOut = try stormglassProcess(["forecast", "--csv", mixed])
        #expect(mixedOut.code == 2 && mixedOut.stderr.contains("mixed.csv:3: timestamp 1400000060000 is out of range as seconds")
                && mixedOut.stderr.contains("seconds and milliseconds mixed?"), "\(mixedOut.stderr)")
        // An option's malformed pair is said in that option's form; a shard index from the environment by its name.
        let metric = try stormglassProcess(["replay", "--manifests", dir, "--trace", "api=" + gap, "--metric", "=x"])
        #expect(metric.code == 2 && metric.stderr.contains("--metric =x: expected name=meaning"), "\(metric.stderr)")
        let shard = try stormglassProcess(["sweep", "node-crash", "--vary", "api.replicas=12,16", "--shard", "auto/2", "--db", dir + "/s.sqlite"],
                                          environment: ["JOB_COMPLETION_INDEX": "x"])
        #expect(shard.code == 2 && shard.stderr.contains("JOB_COMPLETION_INDEX is \"x\", not a whole number"), "\(shard.stderr)")
        // One wild value cannot widen forecast's table by hundreds of digits.
        var wild = "timestamp,value\n"
        for i in 0..<3000 { wild += "\(1_000_000 + i * 300),\(i == 1500 ? "1e300" : String(Double(i % 288) / 10 + 1))\n" }
        let wide = try stormglassProcess(["forecast", "--csv", try write(wild, "wild.csv", in: dir), "--model", "linear"])
        #expect(wide.code == 0 && wide.stdout.split(separator: "\n").allSatisfy { $0.count < 200 }, "\(wide.stdout)")
    }

    // D18: reading leaves nothing beside the file, a folder or a path through a file is named as such,
    // and merging a file into a hard link of itself is refused at once.
    @Test func readingAndMergingLeaveNothingAndNameThePath() throws {
        let dir = temporaryDirectory()
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        let beside = { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }
        #expect(try beside() == ["r.sqlite"])
        for verb in [["show", db], ["report", db], ["export", db, "--csv"], ["plot", db, "--plots-dir", temporaryDirectory()]] {
            let out = try stormglassProcess(verb)
            #expect(out.code == 0, "\(verb[0]): \(out.stderr)")
            #expect(try beside() == ["r.sqlite"], "\(verb[0]) left files beside the database")
        }
        let folder = try stormglassProcess(["show", dir])
        #expect(folder.code == 2 && folder.stderr.contains("\(dir) is a folder, not a results database"), "\(folder.stderr)")
        let through = try stormglassProcess(["show", db + "/x.sqlite"])
        #expect(through.code == 2 && through.stderr.contains("\(db) is a file, not a folder"), "\(through.stderr)")
        #expect(link(db, dir + "/linked.sqlite") == 0)
        let merge = try stormglassProcess(["merge", db, "-o", dir + "/linked.sqlite"])
        #expect(merge.code == 2 && merge.stderr.contains("cannot merge \(db) into itself"), "\(merge.stderr)")
        #expect(try runs(db).count == 1)
    }

    // D17: an unbounded queue under more traffic than it can serve stops in words, not by running out of memory.
    @Test func anUnboundedBacklogStopsInWords() throws {
        let db = temporaryDirectory() + "/r.sqlite"
        let out = try stormglassProcess(["run", "black-friday", "--set", "checkout.queueCapacity=none", "--set", "checkout.timeout=none",
                                         "--set", "checkout.rate=1e8", "--duration", "1h", "--db", db, "--quiet"])
        #expect(out.code == 2, "exited \(out.code)")
        #expect(out.stderr.contains("more than 20000000 requests were queued"), "\(out.stderr)")
        #expect(try runs(db).map(\.status) == ["failed"])
    }
}

extension Process {
    /// The built `stormglass` started in the background, its output into files.
    static func launched(_ args: [String]) throws -> LaunchedCommand {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stormglass").path
        let executable = FileManager.default.isExecutableFile(atPath: beside) ? beside : repositoryRoot.appendingPathComponent(".build/release/stormglass").path
        let dir = temporaryDirectory("launched")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
        p.standardError = FileHandle(forWritingAtPath: dir + "/err")
        try p.run()
        return LaunchedCommand(process: p, dir: dir)
    }
}

struct LaunchedCommand {
    let process: Process
    let dir: String
    func finish() throws -> CommandOutput {
        process.waitUntilExit()
        return CommandOutput(code: process.terminationStatus, stdout: try String(contentsOfFile: dir + "/out", encoding: .utf8),
                             stderr: try String(contentsOfFile: dir + "/err", encoding: .utf8))
    }
}
