@testable import Lab
import Foundation
import GRDB
import Telemetry
import Testing
@testable import Recorder
import ScenarioKit
import Scenarios
@testable import StormglassCLI

@Suite(.serialized) struct RecorderTests {
    func job(_ name: String = "black-friday", seed: UInt64 = 1, duration: String = "3h", _ overrides: [(String, String)] = []) throws -> RunJob {
        var spec = Scenarios.named(name)!.spec
        try spec.set("duration", duration)
        try spec.apply(overrides: overrides.map { (key: $0.0, value: $0.1) })
        return RunJob(spec: spec, seed: seed, label: "", replication: 0, parameters: [:])
    }

    func rows(_ path: String, _ sql: String, _ args: StatementArguments = []) throws -> [Row] {
        try DatabaseQueue(path: path).read { try Row.fetchAll($0, sql: sql, arguments: args) }
    }

    @Test func sameSeedGivesIdenticalRowsAndASecondRunIsAppended() throws {
        let path = temporaryDirectory() + "/r.sqlite"
        let store = try ResultsStore(path: path)
        let executor = RunExecutor(store: store, progress: ProgressLine(quiet: true))
        let a = try executor.runOne(try job(seed: 5), showRunProgress: false)
        let b = try executor.runOne(try job(seed: 5), showRunProgress: false)
        let c = try executor.runOne(try job(seed: 6), showRunProgress: false)
        #expect([a.runID, b.runID, c.runID] == [1, 2, 3])
        let q = "SELECT t, service, arrivals, completed, failed, rejected, timed_out, p50, p95, p99, queue_depth, ready FROM service_samples WHERE run_id = ? ORDER BY rowid"
        let ra = try rows(path, q, [a.runID]), rb = try rows(path, q, [b.runID]), rc = try rows(path, q, [c.runID])
        #expect(ra.count == 3 * 240 * 2)
        #expect(ra == rb)
        #expect(ra != rc)
        let ea = try rows(path, "SELECT t, kind, subject, detail FROM events WHERE run_id = ?", [a.runID])
        #expect(ea == (try rows(path, "SELECT t, kind, subject, detail FROM events WHERE run_id = ?", [b.runID])))
        let statuses = try rows(path, "SELECT status FROM runs ORDER BY id").map { $0["status"] as String }
        #expect(statuses == ["finished", "finished", "finished"])
    }

    @Test func anInterruptedRunIsMarkedAbortedAndKeepsAConsistentDatabase() throws {
        let path = temporaryDirectory() + "/i.sqlite"
        let store = try ResultsStore(path: path)
        let j = try job(duration: "6h")
        let writer = try store.beginRun(RunMetadata(scenario: j.spec.name, seed: 1, parameters: [:], label: "", replication: 0,
                                                    toolVersion: "test", simulatedSeconds: j.spec.duration.seconds,
                                                    scrapeSeconds: 15, services: [], pools: []))
        writer.batchScrapes = 100
        let observer = RecordingObserver(writer: writer) { _ in }
        var scrapes = 0
        // Stop after 250 scrapes, as Ctrl-C would: 2 batches of 100 already flushed, 50 buffered.
        let result = try ScenarioRunner(spec: j.spec, seed: 1).run(observer: observer, shouldStop: {
            scrapes += 1
            return scrapes >= 250
        })
        #expect(result.status == .aborted)
        try writer.finish(status: result.status, wallSeconds: result.wallSeconds, events: result.events,
                          figures: result.summary.figures, latencyHistogram: result.latencyBuckets, accuracy: result.accuracy)
        let status: String = try rows(path, "SELECT status FROM runs")[0]["status"]
        #expect(status == "aborted")
        let n: Int = try rows(path, "SELECT COUNT(*) AS n FROM service_samples")[0]["n"]
        #expect(n == 250 * 2)
        let lastT: Double = try rows(path, "SELECT MAX(t) AS t FROM service_samples")[0]["t"]
        #expect(lastT == 250 * 15)
        // The summary covers exactly what was recorded.
        let minutes: Double = try rows(path, "SELECT value FROM summaries WHERE service = '*' AND metric = 'simulated_seconds'")[0]["value"]
        #expect(minutes == 250 * 15)
        let integrity: String = try rows(path, "PRAGMA integrity_check")[0][0]
        #expect(integrity == "ok")
    }

    @Test func theDocumentedQueryReproducesTheFiguresShowPrints() throws {
        let article = "Sources/Stormglass/Stormglass.docc/ResultsDatabase.md"
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent(article), encoding: .utf8)
        guard let start = readme.range(of: "<!-- sql:show -->\n```sql\n"), let end = readme.range(of: "```\n<!-- /sql:show -->") else {
            Issue.record("\(article) has no sql:show block"); return
        }
        let sql = String(readme[start.upperBound..<end.lowerBound])
        let path = temporaryDirectory() + "/q.sqlite"
        let store = try ResultsStore(path: path)
        let c = try RunExecutor(store: store, progress: ProgressLine(quiet: true))
            .runOne(try job(duration: "21h", [("surge.start", "17h"), ("policy", "fixed")]), showRunProgress: false)
        let figures = try store.summary(run: c.runID)
        #expect((figures[.service("checkout"), .sloViolationMinutes] ?? 0) > 10)  // the surge breaches: a real check

        // With the sqlite3 shell when it is installed (as the ResultsDatabase article shows), else through GRDB.
        var table: [[String]] = []
        let shellSQL = sql.replacingOccurrences(of: ":run", with: String(c.runID))
        if let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: shell)
            p.arguments = ["-csv", path]
            let input = Pipe(), output = Pipe()
            p.standardInput = input; p.standardOutput = output
            try p.run()
            input.fileHandleForWriting.write(Data(shellSQL.utf8)); try input.fileHandleForWriting.close()
            let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            table = out.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        } else {
            table = try rows(path, shellSQL).map { r in r.databaseValues.map { "\($0.storage.value ?? "")" } }
        }
        #expect(table.count == 2)
        for r in table {
            func close(_ text: String, _ metric: String) {
                let v = Double(text)!, w = figures[.service(r[0]), SummaryMetric(rawValue: metric)]!
                #expect(abs(v - w) <= 1e-9 * max(1, abs(w)), "\(r[0]) \(metric): SQL \(v) vs show \(w)")
            }
            close(r[1], "requests"); close(r[2], "availability"); close(r[3], "p50_s"); close(r[4], "p95_s")
            close(r[5], "p99_s"); close(r[6], "mean_queue_wait_s"); close(r[7], "slo_violation_minutes"); close(r[8], "replica_cost")
        }
    }

    @Test func unwritableAndLockedDatabasesAreReportedInWords() throws {
        #expect(throws: StoreError.self) { _ = try ResultsStore(path: "/proc/stormglass/cannot/r.sqlite") }
        do { _ = try ResultsStore(path: "/proc/stormglass/cannot/r.sqlite") } catch {
            #expect("\(error)".hasPrefix("cannot write results to /proc/stormglass/cannot/r.sqlite"))
        }
        let path = temporaryDirectory() + "/locked.sqlite"
        _ = try ResultsStore(path: path)
        let holder = try DatabaseQueue(path: path)
        try holder.inTransaction(.exclusive) { _ in
            do {
                let store = try ResultsStore(path: path, busyTimeout: 0.2)
                _ = try store.beginRun(RunMetadata(scenario: "x", seed: 1, parameters: [:], label: "", replication: 0,
                                                   toolVersion: "t", simulatedSeconds: 1, scrapeSeconds: 1, services: [], pools: []))
                Issue.record("expected a locked-database error")
            } catch {
                #expect("\(error)".contains("is locked by another process"), "\(error)")
            }
            return .rollback
        }
        let garbage = temporaryDirectory() + "/not-a-db.sqlite"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        do { _ = try ResultsStore(path: garbage); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("is not a Stormglass results database"), "\(error)")
        }
    }
}

@Suite(.serialized) struct CommandLineTests {
    @Test func runShowExportAndListWorkEndToEnd() throws {
        let dir = temporaryDirectory()
        let db = dir + "/cli.sqlite"
        #expect(stormglass("run", "latency-injection", "--duration", "90m", "--db", db, "--quiet") == 0)
        #expect(stormglass("run", "latency-injection", "--duration", "65m", "--seed", "9", "--set", "checkout.replicas=10", "--db", db, "--quiet") == 0)
        #expect(stormglass("show", db) == 0)
        #expect(stormglass("show", db, "--run", "1") == 0)
        #expect(stormglass("export", db, "--csv", "--table", "service-samples", "--run", "2", "-o", dir + "/s.csv") == 0)
        let csv = try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first?.hasPrefix("run_id,t,interval,service,arrivals") == true)
        #expect(csv.count == 1 + 260 * 2)
        #expect(stormglass("list") == 0)
        #expect(stormglass("list", "--parameters", "black-friday") == 0)
        let runs = try ResultsStore(path: db).runs()
        #expect(runs.map(\.seed) == [1, 9])
        #expect(runs.count == 2 && runs[1].parameters.contains("\"checkout.replicas\":\"10\""))
    }

    @Test func badInputExitsWithCode2() {
        let db = temporaryDirectory() + "/x.sqlite"
        #expect(stormglass("run", "no-such-scenario", "--db", db) == 2)
        #expect(stormglass("run", "black-friday", "--set", "nonsense=1", "--db", db) == 2)
        #expect(stormglass("run", "black-friday", "--set", "checkout.minReplicas=90", "--db", db) == 2)
        #expect(stormglass("run", "black-friday", "--duration", "forever", "--db", db) == 2)
        #expect(stormglass("run", "black-friday", "--no-such-flag") == 2)
        #expect(stormglass("run", "black-friday", "--duration", "1m", "--db", "/proc/nope/x.sqlite") == 2)
        #expect(stormglass("show", temporaryDirectory() + "/missing.sqlite") == 2)
    }

    @Test func replicationsRunInParallelAndAreAllRecorded() throws {
        let db = temporaryDirectory() + "/rep.sqlite"
        #expect(stormglass("run", "node-crash", "--duration", "40m", "--replications", "4", "--seed", "3", "--db", db, "--quiet") == 0)
        let runs = try ResultsStore(path: db).runs()
        #expect(runs.map(\.seed).sorted() == [3, 4, 5, 6])
        #expect(runs.allSatisfy { $0.status.rawValue == "finished" })
    }

    @Test func everyObservedServiceFieldIsStoredAndReadBack() throws {
        var s = ServiceSample(time: 15, interval: 15, service: "x")
        s.arrivals = 1; s.completed = 2; s.failed = 3; s.rejected = 4; s.timedOut = 5
        s.p50 = 0.006; s.p95 = 0.007; s.p99 = 0.008; s.meanQueueWait = 0.009; s.queueDepth = 10; s.inFlight = 11
        s.cpuUtilization = 0.12; s.memoryMiB = 13; s.memoryUtilization = 0.14
        s.readyReplicas = 15; s.startingReplicas = 16; s.pendingReplicas = 17; s.desiredReplicas = 18
        s.concurrencyPerReplica = 19; s.replicaSeconds = 20; s.connectionPool = 21; s.connectionPoolUtilization = 0.22
        s.retries = 23; s.shed = 24; s.goodput = 25; s.started = 26
        // Every stored property differs from a fresh sample's, so a field added to ServiceSample must be set here too
        // (except what only the control plane's view of a metrics-pipeline fault carries, and what only the
        // simulation's own readers use — the HPA's window reading, validate's quantiles — which are never recorded).
        let viewOnly: Set<String> = ["missingPods", "metricsAvailable", "slotSeconds", "latencyBuckets"]
        let fresh = storedFields(of: ServiceSample(time: 0, interval: 0, service: ""))
        let set = storedFields(of: s)
        #expect(set.map(\.path) == fresh.map(\.path))
        for (field, untouched) in zip(set, fresh) where !viewOnly.contains(field.path) {
            #expect(field.value != untouched.value, "\(field.path) is not set by this test")
        }
        let store = try ResultsStore(path: temporaryDirectory() + "/fields.sqlite")
        let writer = try store.beginRun(RunMetadata(scenario: "fields", seed: 1, parameters: [:], label: "", replication: 0, toolVersion: "test",
                                                    simulatedSeconds: 15, scrapeSeconds: 15, services: [], pools: []))
        try writer.append(Scrape(time: 15, interval: 15, services: [s], nodes: []))
        try writer.finish(status: .finished, wallSeconds: 0, events: 0, figures: [], latencyHistogram: [:])
        #expect(try store.serviceSamples(run: writer.runID) == [s])
    }

    /// Bulk inserts bind only what differs from the previous row: text equal to the previous row's but
    /// not the same bytes (decomposed after precomposed) must still be stored as given.
    @Test func rowsThatDifferOnlyInRepresentationAreStoredAsGiven() throws {
        let store = try ResultsStore(path: temporaryDirectory() + "/bits.sqlite")
        let writer = try store.beginRun(RunMetadata(scenario: "bits", seed: 1, parameters: [:], label: "", replication: 0, toolVersion: "test",
                                                    simulatedSeconds: 60, scrapeSeconds: 15, services: [], pools: []))
        let services = ["caf\u{E9}", "cafe\u{301}", "cafe\u{301}", "caf\u{E9}"]
        for (i, name) in services.enumerated() {
            var s = ServiceSample(time: 15 * Double(i + 1), interval: 15, service: name)
            s.arrivals = i % 2   // alternating: 0 1 0 1
            try writer.append(Scrape(time: s.time, interval: 15, services: [s], nodes: []))
        }
        try writer.finish(status: .finished, wallSeconds: 0, events: 0, figures: [], latencyHistogram: [:])
        let stored = try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: "SELECT hex(service) AS name, arrivals FROM service_samples ORDER BY t")
        }
        #expect(stored.map { $0["name"] as String } == services.map { $0.utf8.map { String(format: "%02X", $0) }.joined() })
        #expect(stored.map { $0["arrivals"] as Int } == [0, 1, 0, 1])
    }
}
