import Calibration
import Foundation
import Testing

/// Calibration and validation held to the testbed's ground truth: sessions recorded from real workers,
/// nginx and Prometheus (`scripts/testbed-sessions`, kept in Examples/Testbed/sessions) with the workers'
/// configured work, slots and start-up in each session's truth.json.
@Suite(.serialized) struct TestbedCalibrationTests {
    static let sessions = repositoryRoot.appendingPathComponent("Examples/Testbed/sessions").path
    static let manifests = repositoryRoot.appendingPathComponent("Examples/Testbed/worker.yaml").path

    static func truth(_ session: String) throws -> [String: Double] {
        let data = try #require(FileManager.default.contents(atPath: "\(sessions)/\(session)/truth.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(object["worker"] as? [String: Any]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    static func calibrate(_ session: String, first: String?, into dir: String) throws -> (CommandOutput, CalibratedModel?) {
        let out = dir + "/\(session).model.json"
        let r = try stormglassProcess(["calibrate", "--history", "\(sessions)/\(session)/history.csv", "--events", "\(sessions)/\(session)/events.csv",
                                       "--truth", "\(sessions)/\(session)/truth.json", "--service", "worker", "--timeout", "30s",
                                       "--out", out, "--swift", dir + "/\(session).swift"] + (first.map { ["--first", $0] } ?? []))
        return (r, try? CalibratedModel.load(out))
    }

    /// The prelude of each session (its first two minutes) identifies the worker it ran: work, slots and start-up
    /// near what the testbed was told.
    @Test(arguments: ["surge-day", "slow-startup"])
    func theFirstTwoMinutesIdentifyTheConfiguredWorker(session: String) throws {
        let dir = temporaryDirectory()
        let truth = try Self.truth(session)
        let (r, fitted) = try Self.calibrate(session, first: "2m", into: dir)
        #expect(r.code == 0, "\(r.stdout)\(r.stderr)")
        let model = try #require(fitted, "\(r.stdout)")
        let work = try #require(model.work), slots = try #require(model.concurrency), startup = try #require(model.startup)
        let configuredMean = try #require(truth["work_mean"]), configuredSlots = try #require(truth["concurrency"])
        let configuredStartup = try #require(truth["startup_delay"])
        // Work: the worker's own draw, measured at the worker (its queue at light load included): within three
        // standard errors of the configured mean, the error itself under 10 % of it.
        #expect(abs(work.mean.value - configuredMean) <= 3 * work.mean.error && work.mean.error <= 0.1 * configuredMean, "\(work.mean) vs \(configuredMean)")
        // An exponential work (CV 1): the histogram's 11 buckets tell it within 0.25.
        #expect(abs(work.cv.value - (truth["work_cv"] ?? 1)) <= 0.25, "\(work.cv)")
        #expect(Int(slots.value.rounded()) == Int(configuredSlots), "\(slots)")
        // Start-up: the configured delay plus launching a process and the supervisor's 0.2 s look at /ready.
        #expect(startup.mean.value >= configuredStartup && startup.mean.value <= configuredStartup + 1.5, "\(startup.mean)")
        // The queue: where requests were turned away, Little's law over the full queue and the slots.
        let queue = try #require(model.queueLimit), configuredQueue = try #require(truth["queue_limit"])
        #expect(abs(queue.value / configuredQueue - 1) <= 0.15, "\(queue) vs \(configuredQueue)")
        #expect(r.stdout.contains("configured") && r.stdout.contains("work mean (ms)") && r.stdout.contains("slots per replica") && r.stdout.contains("queue per replica"))
        let swift = try String(contentsOfFile: dir + "/\(session).swift", encoding: .utf8)
        #expect(swift.contains("ServiceTime(.gamma(shape:") && swift.contains("Concurrency(\(Int(configuredSlots)))") && swift.contains("QueueCapacity(\(queue.requests))"))
    }
}

extension TestbedCalibrationTests {
    /// On the real testbed, in the test run: a worker configured unlike the recorded sessions' (3 slots, 80 ms of
    /// work), two minutes of light load and overload, scaled by `control`, recorded by `scripts/testbed-session`
    /// through `calibrate --testbed`; the fit is held to the configuration.
    @Test func aLiveTestbedSessionIsCalibratedAgainstItsConfiguredWorker() throws {
        let dir = temporaryDirectory()
        let prelude = [Double](repeating: 6, count: 60) + [Double](repeating: 60, count: 40) + [Double](repeating: 6, count: 20)
        try ("timestamp,value\n" + prelude.enumerated().map { "\($0),\($1)" }.joined(separator: "\n") + "\n")
            .write(toFile: dir + "/prelude.csv", atomically: false, encoding: .utf8)
        let script = repositoryRoot.appendingPathComponent("scripts/testbed-session").path
        let session = try BackgroundCommand([script, dir + "/session", dir + "/prelude.csv", "--compress", "1", "--rate-scale", "1", "--settle", "15",
                                             "--concurrency", "3", "--work-mean", "0.08", "--seed", "9"],
                                            executable: "/bin/bash", environment: ["STORMGLASS_BIN": stormglassExecutable])
        let recorded = session.wait(atMost: 600)
        #expect(recorded.code == 0 && recorded.stdout.contains("session recorded in"), "\(recorded.stdout)\(recorded.stderr)")
        // What `calibrate --testbed` printed while the testbed was up: the fitted values beside the configured ones.
        let live = (try? String(contentsOfFile: dir + "/session/calibrate.txt", encoding: .utf8)) ?? ""
        #expect(live.contains("configured") && live.contains("slots per replica"), "\(live)")
        let out = dir + "/model.json"
        let r = try stormglassProcess(["calibrate", "--history", dir + "/session/history.csv", "--events", dir + "/session/events.csv",
                                       "--truth", dir + "/session/truth.json", "--service", "worker", "--queue-limit", "64", "--out", out])
        #expect(r.code == 0, "\(r.stdout)\(r.stderr)\n\(live)")
        let model = try #require(try? CalibratedModel.load(out), "\(r.stdout)")
        let work = try #require(model.work), slots = try #require(model.concurrency), startup = try #require(model.startup)
        #expect(abs(work.mean.value / 0.08 - 1) <= 0.10, "\(work.mean)\n\(r.stdout)")
        #expect(Int(slots.value.rounded()) == 3, "\(slots)\n\(r.stdout)")
        #expect(startup.mean.value >= 2 && startup.mean.value <= 3.5, "\(startup.mean)")
    }
}

extension TestbedCalibrationTests {
    @Test func badInputsAreRefusedWithEveryProblemAndExitTwo() throws {
        let dir = temporaryDirectory()
        let none = try stormglassProcess(["calibrate"])
        #expect(none.code == 2 && none.stderr.contains("give one of --history FILE, --testbed DIR or --prometheus URL"), "\(none.stderr)")
        try "time,rate\n1,x\n1,2\n".write(toFile: dir + "/bad.csv", atomically: false, encoding: .utf8)
        let bad = try stormglassProcess(["calibrate", "--history", dir + "/bad.csv", "--concurrency", "0"])
        #expect(bad.code == 2 && bad.stderr.contains("--concurrency must be 1…10000, not 0"), "\(bad.stderr)")
        let shapeless = try stormglassProcess(["calibrate", "--history", dir + "/bad.csv", "--work-mean", "100ms"])
        #expect(shapeless.code == 2 && shapeless.stderr.contains("--work-mean needs --work-cv"), "\(shapeless.stderr)")
        // Everything given: the configured truth as a model, nothing fitted but CPU.
        let s0 = "\(Self.sessions)/surge-day"
        let given = try stormglassProcess(["calibrate", "--history", s0 + "/history.csv", "--work-mean", "100ms", "--work-cv", "1", "--concurrency", "4",
                                           "--startup", "2s", "--queue-limit", "64", "--out", dir + "/truth.json"])
        let truth = try CalibratedModel.load(dir + "/truth.json")
        #expect(given.code == 0 && truth.work?.mean == .given(0.1) && truth.work?.cv == .given(1) && truth.queueLimit == .given(64), "\(given.stdout)\(given.stderr)")
        let lines = try stormglassProcess(["calibrate", "--history", dir + "/bad.csv"])
        #expect(lines.code == 2 && lines.stderr.contains("bad.csv:2: rate \"x\" is not a number ≥ 0") && lines.stderr.contains("bad.csv:3: time 1 is not after the row before (1)"), "\(lines.stderr)")
        // The quiet stretch of a session never saturates a worker and starts none: both refused, in words, and no model written.
        let s = "\(Self.sessions)/surge-day"
        let quiet = try stormglassProcess(["calibrate", "--history", s + "/history.csv", "--first", "55s", "--out", dir + "/m.json"])
        #expect(quiet.code == 2 && quiet.stdout.contains("not fitted: concurrency: never saturated") && quiet.stdout.contains("not fitted: start-up: no event log")
                && quiet.stderr.contains("--out \(dir)/m.json: not written: the model lacks concurrency (give --concurrency); start-up (give --startup)"), "\(quiet.stdout)\(quiet.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.json"))
        try #"{"service": "w", "work": {"family": "weibull", "mean": {"value": -1}, "cv": {"value": 1}, "requests": 1, "loadPerReplica": []}, "concurrency": {"value": 0}, "refusals": [], "data": {}}"#
            .write(toFile: dir + "/model.json", atomically: false, encoding: .utf8)
        let model = try stormglassProcess(["validate", "--model", dir + "/model.json", "--history", s + "/history.csv", "--manifests", Self.manifests])
        #expect(model.code == 2 && model.stderr.contains("work.family \"weibull\": one of constant, gamma, lognormal")
                && model.stderr.contains("work.mean -1.0: more than 0 and at most 3600 s") && model.stderr.contains("concurrency 0.0: 1…10000"), "\(model.stderr)")
        let noManifests = try stormglassProcess(["validate", "--model", dir + "/nothing.json", "--history", s + "/history.csv", "--window-reading", "promql"])
        #expect(noManifests.code == 2 && noManifests.stderr.contains("--manifests FILE-OR-FOLDER") && noManifests.stderr.contains("nothing.json: cannot read it")
                && noManifests.stderr.contains("--window-reading promql: not one of time-weighted, current-capacity"), "\(noManifests.stderr)")
    }
}

extension TestbedCalibrationTests {
    /// The model fitted on the whole surge-day, validated on the three sessions of the same worker it never saw;
    /// slow-startup (a worker configured with a 10 s start-up) on the model of its own first two minutes. The
    /// testbed's HPA reads a PromQL ratio over the capacity now (`--window-reading current-capacity`). What
    /// holds is asserted at the issue's tolerances; what does not (see docs/results/calibration.md) is reported
    /// by the command and exit 1.
    @Test func theModelsAreValidatedOnWhatTheyWereNotFittedOn() throws {
        let dir = temporaryDirectory()
        let s = Self.sessions
        let fit = try stormglassProcess(["calibrate", "--history", s + "/surge-day/history.csv", "--events", s + "/surge-day/events.csv",
                                         "--service", "worker", "--timeout", "30s", "--out", dir + "/model.json"])
        #expect(fit.code == 0, "\(fit.stdout)\(fit.stderr)")
        let (own, _) = try Self.calibrate("slow-startup", first: "2m", into: dir)
        #expect(own.code == 0, "\(own.stdout)\(own.stderr)")
        for session in ["quiet-day", "killed-worker", "slow-startup", "public-trace"] {
            let json = dir + "/\(session).json"
            let model = session == "slow-startup" ? dir + "/slow-startup.model.json" : dir + "/model.json"
            let r = try stormglassProcess(["validate", "--model", model, "--history", "\(s)/\(session)/history.csv",
                                           "--events", "\(s)/\(session)/events.csv", "--manifests", Self.manifests, "--after", "2m",
                                           "--window-reading", "current-capacity", "--json", json]
                                          + (session == "killed-worker" ? ["--charts", dir + "/charts", "--record"] : []))
            #expect(r.code == 0 || r.code == 1, "\(session): \(r.stderr)")
            let data = try #require(FileManager.default.contents(atPath: json), "\(session): \(r.stdout)\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect((doc["passed"] as? Bool) == (r.code == 0), "\(session)")
            #expect(r.stdout.contains(r.code == 0 ? "valid: every tolerance holds" : "not valid: "), "\(session): \(r.stdout)")
            let rows = try #require(doc["rows"] as? [[String: Any]])
            let replicas = try #require(rows.first { $0["metric"] as? String == "replicas" })
            #expect((replicas["scrapes"] as? Int ?? 0) >= 40 && (doc["compared"] as? [Any])?.count == replicas["scrapes"] as? Int, "\(session): \(replicas)")
            let served = try #require(rows.first { ($0["metric"] as? String ?? "").hasPrefix("served total") })
            let timings = try #require(doc["timings"] as? [[String: Any]])
            let scaleUps = timings.filter { ($0["event"] as? String ?? "").hasPrefix("scale-up") }
            if session == "public-trace" {
                // One worker serves most of this day (the real HPA scaled up only in the prelude): no scale-up to
                // time, and the requests served agree. The replica count is not asserted: the day sits at the
                // HPA's threshold (docs/results/calibration.md).
                #expect(scaleUps.isEmpty && served["passed"] as? Bool == true, "\(served)")
            } else {
                // Through a surge the simulated replicas follow the real ones within the issue's 10 %, and every
                // real scale-up has a simulated one within one sync period.
                #expect((replicas["mape"] as? Double ?? 1) <= 0.10, "\(session): \(r.stdout)")
                #expect(!scaleUps.isEmpty && scaleUps.allSatisfy { $0["passed"] as? Bool == true }, "\(session): \(r.stdout)")
            }
            if session == "quiet-day" { #expect(r.code == 0, "\(r.stdout)") }
            if session == "killed-worker" {
                #expect(timings.contains { $0["event"] as? String == "recovery after a death" && $0["passed"] as? Bool == true }, "\(timings)")
                for chart in ["replicas.png", "p95.png", "error.png"] { #expect(FileManager.default.fileExists(atPath: dir + "/charts/" + chart), "\(chart)") }
            }
        }
        // The recorded validation travels with the model: replay prints it beside its answer.
        let trace = dir + "/trace.csv"
        let history = try String(contentsOfFile: s + "/quiet-day/history.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        try ("timestamp,value\n" + history.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .filter { $0.count > 1 && !$0[1].isEmpty }.map { "\($0[0]),\($0[1])" }.joined(separator: "\n") + "\n")
            .write(toFile: trace, atomically: false, encoding: .utf8)
        let replay = try stormglassProcess(["replay", "--manifests", Self.manifests, "--trace", "worker=" + trace, "--replay-values", "per-second",
                                            "--model", dir + "/model.json", "--db", dir + "/r.sqlite"])
        #expect(replay.code == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("model worker on ") && replay.stdout.contains("killed-worker/history.csv") && replay.stdout.contains("replicas MAPE"), "\(replay.stdout)")
    }
}
