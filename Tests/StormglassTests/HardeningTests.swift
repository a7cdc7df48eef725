import Foundation
import GRDB
import Testing
@testable import Recorder

/// Bad input gets a clear error and exit 2, and nothing is lost or misread (the reliability issue's
/// reproductions, run as a user runs them).
@Suite(.serialized) struct HardeningTests {
    func recordedRun() throws -> (dir: String, db: String) {
        let dir = temporaryDirectory("hardening")
        let db = dir + "/r.sqlite"
        #expect(try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"]).code == 0)
        return (dir, db)
    }

    @Test func anUnknownRunIsAnErrorForEveryReadingVerb() throws {
        let (dir, db) = try recordedRun()
        for verb in [["show", db], ["report", db], ["export", db, "--csv"], ["plot", db, "--plots-dir", dir + "/p"]] {
            let out = try stormglassProcess(verb + ["--run", "99"])
            #expect(out.code == 2, "\(verb[0]) --run 99 exited \(out.code)")
            #expect(out.stderr.contains("no run 99 in \(db) (runs 1…1)"), "\(verb[0]): \(out.stderr)")
        }
    }

    @Test func mergingAFileIntoItselfIsRefusedInWords() throws {
        let (_, db) = try recordedRun()
        let out = try stormglassProcess(["merge", db, "-o", db])
        #expect(out.code == 2 && out.stderr.contains("cannot merge \(db) into itself"))
        #expect(try ResultsStore(path: db).runs().count == 1, "nothing was copied")
    }

    @Test func csvExportNeutralisesSpreadsheetFormulas() throws {
        let (dir, db) = try recordedRun()
        try DatabaseQueue(path: db).write { try $0.execute(sql: "UPDATE runs SET label = '=HYPERLINK(\"http://x\")', scenario = '@SUM(1)'") }
        let out = try stormglassProcess(["export", db, "--csv", "--table", "runs", "-o", dir + "/runs.csv"])
        #expect(out.code == 0)
        let csv = try String(contentsOfFile: dir + "/runs.csv", encoding: .utf8)
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\"") && csv.contains(",'@SUM(1),"))
        #expect(!csv.contains(",=") && !csv.contains(",@"))
        // Numbers stay numbers: a negative value is not text.
        #expect(ResultsStore.neutralised("-3") == "'-3" && ResultsStore.neutralised("abc") == "abc")
    }

    @Test func faultsAreRecordedSoReportsNeedNoEventText() throws {
        let (_, db) = try recordedRun()
        let faults = try ResultsStore(path: db).faults(run: 1)
        #expect(faults.count == 1)
        let f = try #require(faults.first)
        #expect(f.name == "crash" && f.kind == "node-crash" && f.targetService == nil && f.start == 1800 && f.duration == nil)
        #expect(f.target == "1 random node")
    }

    @Test func outOfRangeNumbersAreExit2WithTheAllowedRange() throws {
        let db = temporaryDirectory("ranges") + "/x.sqlite"
        let cases: [([String], String)] = [
            (["run", "black-friday", "--duration", "1e12"], "from 1s to 366d"),
            (["run", "black-friday", "--set", "checkout.concurrency=1e12"], "allowed: 1…100000"),
            (["run", "black-friday", "--set", "checkout.concurrency=1000000000000"], "allowed: 1…100000"),
            (["run", "black-friday", "--replications", "1000000000"], "must be in 1…10000"),
            (["plan", "black-friday", "--find", "checkout.replicas", "--meet", "availability >= 99%", "--replications=-1"], "must be in 1…1000"),
            (["sweep", "black-friday", "--vary", "checkout.replicas=1...1000000000"], "at most 10000"),
            (["sweep", "black-friday", "--vary", "k=1...5:2:3"], "lo...hi or lo...hi:step"),
            (["detect", "--csv", trace("art_daily_jumpsup.csv"), "--baseline=-5"], "must be in 20…100000"),
            (["detect", "--csv", trace("art_daily_jumpsup.csv"), "--baseline", "10"], "the detector needs 20 before it judges a point"),
            (["forecast", "--csv", trace("art_daily_jumpsup.csv"), "--horizon", "7m"], "not a whole number of the data's 5m interval; use 5m or 10m"),
            (["forecast", "--csv", trace("art_daily_jumpsup.csv"), "--warmup", "30d"], "is not shorter than the series"),
            (["detect", "--csv", trace("art_daily_jumpsup.csv"), "--threshold", "nan"], "0.1…1000"),
            (["forecast", "--csv", trace("art_daily_jumpsup.csv"), "--horizon", ""], "give one or more durations"),
            (["forecast", "--csv", trace("art_daily_jumpsup.csv"), "--horizon", "10m,,2h"], "give one or more durations"),
        ]
        for (args, message) in cases {
            let out = try stormglassProcess(args + (["detect", "forecast"].contains(args[0]) ? [] : ["--db", db]))
            #expect(out.code == 2, "\(args.joined(separator: " ")) exited \(out.code)")
            #expect(out.stderr.contains(message), "\(args.joined(separator: " ")): \(out.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db), "nothing was recorded")
        // The largest seed wraps to 0 for the second replication instead of overflowing.
        let wrap = try stormglassProcess(["run", "node-crash", "--seed", "18446744073709551615", "--replications", "2", "--duration", "35m", "--db", db, "--quiet"])
        #expect(wrap.code == 0 && wrap.stdout.contains("seeds 18446744073709551615…0"))
    }

    @Test func aHugeGapInATraceIsRefusedAtOnce() throws {
        let dir = temporaryDirectory("gap")
        // A 100-year gap: refused without filling it.
        try "timestamp,value\n0,1\n300,2\n600,3\n3.2e9,4\n".write(toFile: dir + "/g.csv", atomically: false, encoding: .utf8)
        let started = Date()
        let out = try stormglassProcess(["forecast", "--csv", dir + "/g.csv"])
        #expect(out.code == 2 && out.stderr.contains("\(dir)/g.csv: the series has a gap of 3.704e+04 days after t = 600 s, longer than the 7d that can be filled"),
                "\(out.stderr)")
        #expect(Date().timeIntervalSince(started) < 120)   // filling 100 years takes hours; loose for a busy machine
        // The issue's reproduction: a timestamp past the year 5138 is refused as a unit mistake, with its line.
        try "timestamp,value\n0,1\n300,2\n600,3\n1e15,4\n".write(toFile: dir + "/h.csv", atomically: false, encoding: .utf8)
        let far = try stormglassProcess(["forecast", "--csv", dir + "/h.csv"])
        #expect(far.code == 2 && far.stderr.contains("h.csv:5: timestamp 1e15 is out of range"), "\(far.stderr)")
    }

    @Test func aDatabaseThatWouldKeepNothingIsRefused() throws {
        for db in ["", "file:x?mode=memory", ":memory:"] {
            let out = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"])
            #expect(out.code == 2 && out.stderr.contains("results would be kept nowhere"), "--db \(db): \(out.code) \(out.stderr)")
            #expect(!out.stdout.contains("results:"))
        }
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndLeftAsItWas() throws {
        let dir = temporaryDirectory("foreign")
        let path = dir + "/other-app.sqlite"
        try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')") }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for verb in [["show", path], ["report", path], ["export", path, "--csv"], ["plot", path, "--plots-dir", dir + "/p"],
                     ["run", "node-crash", "--duration", "35m", "--db", path], ["merge", path, "-o", dir + "/m.sqlite"]] {
            let out = try stormglassProcess(verb)
            #expect(out.code == 2 && out.stderr.contains("is not a Stormglass results database"), "\(verb[0]): \(out.code) \(out.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file is unchanged")
        let tables = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["notes"])
    }

    @Test func sigtermStopsARunThatHasNotReachedItsFirstScrape() throws {
        let db = temporaryDirectory("sigterm") + "/r.sqlite"
        let started = Date()
        // 10⁸ requests/s: the first 15 s scrape is minutes of work away.
        let out = try stormglassProcess(["run", "black-friday", "--set", "checkout.rate=1e8", "--duration", "1h", "--db", db, "--quiet"],
                                        signal: SIGTERM, after: 3)
        #expect(out.code == 130, "\(out.stderr)")
        #expect(Date().timeIntervalSince(started) < 120)   // the whole run is hours of work; loose for a busy machine
        #expect(try ResultsStore.open(existing: db).runs().map(\.status) == [.aborted])
    }

    @Test func longReadsAndCopiesStopOnRequestAndKeepNothingPartial() throws {
        let (dir, db) = try recordedRun()
        let store = try ResultsStore.open(existing: db)
        #expect(throws: Cancelled.self) { try store.csv(.services, shouldStop: { true }) }
        let merged = try ResultsStore(path: dir + "/m.sqlite")
        #expect(throws: Cancelled.self) { try merged.merge(from: db, shouldStop: { true }) }
        #expect(try merged.runs().isEmpty, "the copy was rolled back")
        #expect(try merged.merge(from: db) == 1)
    }

    @Test func aRunWhoseWriterDiedIsShownAsInterruptedWithWhatWasRecorded() throws {
        let dir = temporaryDirectory("sigkill")
        let db = dir + "/r.sqlite"
        let killed = try stormglassProcess(["run", "black-friday", "--duration", "30d", "--db", db, "--quiet"], signal: SIGKILL, after: 4)
        #expect(killed.code != 0)
        #expect(try ResultsStore.open(existing: db).runs().map(\.status) == [.interrupted])
        let show = try stormglassProcess(["show", db])
        #expect(show.code == 0 && show.stdout.contains("black-friday, seed 1, interrupted"))
        #expect(show.stdout.contains("interrupted: its writer (process ") && show.stdout.contains("recorded up to"), "\(show.stdout)")
        let report = try stormglassProcess(["report", db])
        #expect(report.stderr.contains("note: run 1 is interrupted"))
        // A merged copy is never finished by anyone: it says so itself.
        #expect(try stormglassProcess(["merge", db, "-o", dir + "/m.sqlite"]).code == 0)
        let status = try DatabaseQueue(path: dir + "/m.sqlite").read { try String.fetchOne($0, sql: "SELECT status FROM runs") }
        #expect(status == "interrupted")
    }

    @Test func readingVerbsLeaveTheDatabaseUnchanged() throws {
        let (dir, db) = try recordedRun()
        try DatabaseQueue(path: db).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        for verb in [["show", db], ["report", db], ["export", db, "--csv"], ["plot", db, "--plots-dir", dir + "/p"]] {
            #expect(try stormglassProcess(verb).code == 0, "\(verb[0])")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test func aDamagedDatabaseIsNotAppendedTo() throws {
        let (_, db) = try recordedRun()
        try DatabaseQueue(path: db).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        handle.write(Data(repeating: 7, count: 8192))
        try handle.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let out = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", db, "--quiet"])
        #expect(out.code == 2 && out.stderr.contains("is damaged (SQLite's integrity check:") && out.stderr.contains("nothing was appended"), "\(out.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    /// `plot` with a gnuplot that never finishes: the first Ctrl-C stops it (exit 130), a second Ctrl-C
    /// exits at once — and neither leaves gnuplot running.
    @Test(arguments: [1, 2]) func interruptingPlotLeavesNoGnuplotBehind(interrupts: Int) throws {
        let (dir, db) = try recordedRun()
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\necho $$ > '\(dir)/pid'\ntrap '' INT TERM\nexec sleep 60\n".write(toFile: bin + "/gnuplot", atomically: false, encoding: .utf8)
        chmod(bin + "/gnuplot", 0o755)
        // Its temporary files (the script, gnuplot's errors) go to a folder of this test's own, to be looked at.
        let scratch = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let started = Date()
        let out = try stormglassProcess(["plot", db, "--plots-dir", dir + "/p"], signal: SIGINT, after: 1.5, times: interrupts,
                                        environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                                                      "TMPDIR": scratch])
        #expect(out.code == 130, "\(out.stderr)")
        #expect(Date().timeIntervalSince(started) < 50)   // gnuplot sleeps 60 s; loose for a busy machine
        let pid = try #require(pid_t((try String(contentsOfFile: dir + "/pid", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<100 where !gone { gone = kill(pid, 0) != 0; if !gone { Thread.sleep(forTimeInterval: 0.05) } }
        #expect(gone, "gnuplot \(pid) was left running")
        // A second Ctrl-C exits at once, before any cleanup code runs: the files still go.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == [])
    }

    /// Results on a read-only mount (a CI artifact, another team's share): every reading verb works,
    /// and recording into it is refused in words. Needs root to bind-mount; skipped elsewhere.
    @Test func readingVerbsWorkOnAReadOnlyMount() throws {
        let (dir, db) = try recordedRun()
        let mounted = dir + "/ro"
        try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
        func sh(_ command: String) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command + " 2>/dev/null"]
            try? p.run(); p.waitUntilExit()
            return p.terminationStatus
        }
        let source = (db as NSString).deletingLastPathComponent
        guard getuid() == 0, sh("mount --bind '\(source)' '\(mounted)' && mount -o remount,ro,bind '\(mounted)'") == 0 else {
            _ = sh("umount '\(mounted)'")
            return   // no permission to mount here: nothing to test
        }
        defer { _ = sh("umount '\(mounted)'") }
        #expect(sh("touch '\(mounted)/probe'") != 0, "the mount is read-only")
        let file = mounted + "/r.sqlite"
        for verb in [["show", file], ["report", file], ["export", file, "--csv"], ["plot", file, "--plots-dir", dir + "/p"]] {
            let out = try stormglassProcess(verb)
            #expect(out.code == 0, "\(verb[0]): \(out.stderr)")
        }
        #expect(try stormglassProcess(["show", file]).stdout.contains("node-crash"))
        let record = try stormglassProcess(["run", "node-crash", "--duration", "35m", "--db", file, "--quiet"])
        #expect(record.code == 2 && record.stderr.contains("cannot write results to \(file)"), "\(record.stderr)")
    }
}
