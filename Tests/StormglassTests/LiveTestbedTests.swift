import ClusterModel
import Foundation
import Testbed
import Testing

/// Live mode end to end on a real system: worker processes behind nginx, scraped by Prometheus, loaded
/// open-loop with a compressed day of a real trace that surges, scaled by `stormglass control --policy hpa`
/// through `testbed scale`, with a worker killed mid-surge and a shadow session recorded beside it.
/// The testbed's own event log is the truth the decisions are held to.
@Suite("Live mode on the testbed", .serialized)
struct LiveTestbedTests {
    struct Event { var time: Double; var kind: String; var worker: Int?; var detail: String }

    static func events(_ folder: String) -> [Event] {
        let text = (try? String(contentsOfFile: folder + "/events.csv", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let parts = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4, let t = Double(parts[0]) else { return nil }
            return Event(time: t, kind: parts[1], worker: Int(parts[2]), detail: parts[3].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
    }

    static func status(_ folder: String) -> [String: Any]? {
        FileManager.default.contents(atPath: folder + "/testbed.json").flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    static func readyWorkers(_ folder: String) -> Int {
        ((status(folder)?["workers"] as? [[String: Any]]) ?? []).filter { ($0["ready"] as? Bool) == true && ($0["stopping"] as? Bool) == false }.count
    }

    /// An instant query's single value, asked with a plain HTTP GET (this runs on a thread of its own).
    static func instant(_ server: String, _ query: String) -> Double? {
        guard let port = Int(server.split(separator: ":").last ?? ""),
              let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics),
              let answer = LoopbackHTTP.request(port: port, path: "/api/v1/query?query=\(encoded)", timeout: 30),
              let json = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
              let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]],
              let value = result.first?["value"] as? [Any], let text = value.last as? String else { return nil }
        return Double(text)
    }

    static func until(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() { if Date() > deadline { return false }; Thread.sleep(forTimeInterval: 0.2) }
        return true
    }

    @Test func theHPAScalesARealSystemThroughASurgeAndAKilledWorker() async throws {
        try await onOwnThread { try Self.surgeAndKill() }
    }

    static func surgeAndKill() throws {
        let dir = temporaryDirectory(), tb = dir + "/tb"
        // Day 10 of art_daily_jumpsup: ~20 at night, a nine-hour surge to ~165 from 09:00 to 18:00.
        let series = try MetricSeries.load(trace("art_daily_jumpsup.csv"))
        let day = Array(series.points[2880..<3168])
        try ("timestamp,value\n" + day.map { "\(Int($0.time)),\($0.value)" }.joined(separator: "\n") + "\n")
            .write(toFile: dir + "/day.csv", atomically: false, encoding: .utf8)

        let testbed = try BackgroundCommand(["testbed", "up", "--dir", tb, "--replicas", "1", "--startup-delay", "2", "--concurrency", "4",
                                             "--work-mean", "0.1", "--cpu-share", "0.05", "--for", "15m"])
        defer { testbed.stop() }
        try #require(Self.until(180) { Self.readyWorkers(tb) == 1 }, "the testbed did not come up: \(testbed.wait(atMost: 0).stderr)")
        let prometheus = try #require(Self.status(tb)?["prometheus"] as? String)
        // What it tells a user to pass to shadow and control, on its terminal and in testbed.json.
        let announced = (try? String(contentsOfFile: testbed.out, encoding: .utf8)) ?? ""
        #expect(announced.contains("--signal rate='sum(rate(stormglass_worker_requests_total[15s]))'")
                && announced.contains("--replica-health '\(TestbedSignals.replicaHealth())'"), "\(announced)")
        #expect((Self.status(tb)?["signals"] as? [String])?.count == TestbedSignals.queries().count)

        let signals = TestbedSignals.queries().flatMap { ["--signal", "\($0.signal)=\($0.query)"] }
        let common = ["--prometheus", prometheus, "--service", "worker", "--min-replicas", "1", "--max-replicas", "6", "--concurrency", "4",
                      "--startup", "2s", "--interval", "5s", "--for", "150s"] + signals
        let healing = ["--replica-health", TestbedSignals.replicaHealth(), "--replace-after", "10s"]
        let control = try BackgroundCommand(["control"] + common + healing + ["--policy", "hpa", "--apply", "--db", dir + "/control.sqlite",
                                             "--exec", "[\"\(stormglassExecutable)\", \"testbed\", \"scale\", \"--dir\", \"\(tb)\", \"{replicas}\"]",
                                             "--exec-replace", "[\"\(stormglassExecutable)\", \"testbed\", \"kill\", \"--dir\", \"\(tb)\", \"--instance\", \"{replica}\"]"])
        let shadow = try BackgroundCommand(["shadow"] + common + healing + ["--policy", "hpa", "--policy", "predictive", "--db", dir + "/shadow.sqlite"])
        // 86,400 s in 120 s: the surge runs from 45 s to 90 s; a worker is killed in the middle of it.
        let load = try BackgroundCommand(["testbed", "load", "--dir", tb, "--trace", dir + "/day.csv", "--compress", "720", "--peak-rate", "60",
                                          "--log", dir + "/latency.csv", "--max-seconds", "200"])
        Thread.sleep(forTimeInterval: 70)
        let killedAt = Date().timeIntervalSince1970
        let kill = try stormglassProcess(["testbed", "kill", "--dir", tb])
        #expect(kill.code == 0, "\(kill.stderr)")
        // 25 s later another worker starts answering every request 500: alive, ready, and sick.
        Thread.sleep(forTimeInterval: 25)
        let sick = try #require((Self.status(tb)?["workers"] as? [[String: Any]])?.first { ($0["ready"] as? Bool) == true && ($0["index"] as? Int) != 0 })
        let sickPort = try #require(sick["port"] as? Int), sickIndex = try #require(sick["index"] as? Int)
        let sickAt = Date().timeIntervalSince1970
        #expect(LoopbackHTTP.request(port: sickPort, path: "/chaos?fail=1", method: "POST")?.status == 200)
        let loaded = load.wait(atMost: 300)
        let controlled = control.wait(atMost: 300)
        let shadowed = shadow.wait(atMost: 300)
        #expect(loaded.code == 0, "\(loaded.stderr)")
        #expect(controlled.code == 0, "\(controlled.stderr)")
        #expect(shadowed.code == 0, "\(shadowed.stderr)")
        #expect(controlled.stdout.contains("hpa wants") && controlled.stdout.contains("action") && controlled.stdout.contains("polls recorded as run 1"))
        #expect(shadowed.stdout.contains("hpa wants") && shadowed.stdout.contains("predictive wants"))
        #expect(loaded.stdout.contains(" requests (") && loaded.stdout.contains("200: ") && loaded.stdout.contains("latency of 200s: p50"), "\(loaded.stdout)")
        #expect(kill.stdout.hasPrefix("killed worker 0"))

        // What the HPA asked for, the testbed did: every action made appears in its log, in order.
        let actions = try sqlite(dir + "/control.sqlite", "SELECT replicas FROM live_actions WHERE outcome = 'done' AND replica IS NULL ORDER BY t").compactMap(Int.init)
        let log = Self.events(tb)
        let asked = log.filter { $0.kind == "desired" }.compactMap { Int($0.detail.split(separator: " ").last ?? "") }
        #expect(!actions.isEmpty && actions.max()! >= 2, "a surge past one worker's capacity was not scaled for: \(actions)")
        #expect(asked == actions)
        #expect(actions.allSatisfy { (1...6).contains($0) })
        // …and it ends with as many ready workers as last asked.
        #expect(Self.until(60) { Self.readyWorkers(tb) == actions.last! }, "ready \(Self.readyWorkers(tb)), asked \(actions.last!)")

        // The killed worker: noticed by the testbed and replaced by a new one that became ready.
        let exited = try #require(log.first { $0.kind == "exited" && $0.detail.contains("status 9") })
        // Its replacement: the first worker started after the exit (not one a scale-up started before it).
        let started = try #require(log.first { $0.kind == "started" && $0.time >= exited.time })
        let replacement = try #require(log.first { $0.kind == "ready" && $0.worker == started.worker })
        print(String(format: "killed worker: exit noticed %.2f s after the kill, replacement ready %.2f s later", exited.time - killedAt, replacement.time - exited.time))

        // The sick worker: the self-healer (control) replaced it through `testbed kill --instance`; the shadow
        // healer would have, in a dry run. The testbed saw the kill (SIGKILL) and started another.
        let replaced = try sqlite(dir + "/control.sqlite", "SELECT replica || ' ' || outcome FROM live_actions WHERE replica IS NOT NULL")
        #expect(replaced == ["127.0.0.1:\(sickPort) done"], "\(replaced)")
        let wouldReplace = try sqlite(dir + "/shadow.sqlite", "SELECT replica || ' ' || outcome FROM live_actions WHERE replica IS NOT NULL")
        #expect(wouldReplace == ["127.0.0.1:\(sickPort) skipped"], "\(wouldReplace)")
        let healed = try #require(log.first { $0.kind == "exited" && $0.worker == sickIndex && $0.detail.contains("status 9") })
        #expect(log.contains { $0.kind == "ready" && $0.time > healed.time })
        print(String(format: "sick worker: killed by the self-healer %.1f s after it began failing", healed.time - sickAt))

        // Both recorded sessions replay offline to the same decisions, bit for bit.
        for db in ["control", "shadow"] {
            let replay = try stormglassProcess(["shadow", "--replay-session", "1", "--db", dir + "/\(db).sqlite"])
            #expect(replay.code == 0 && replay.stdout.contains("and 1 replacement recorded, 0 divergent"), "\(db): \(replay.stdout)\(replay.stderr)")
        }
        // show and plot read a live session as they read a simulated run.
        let shown = try stormglassProcess(["show", dir + "/control.sqlite", "--run", "1"])
        #expect(shown.code == 0 && shown.stdout.contains("control session on \(prometheus)") && shown.stdout.contains("done"), "\(shown.stdout)")
        let plotted = try stormglassProcess(["plot", dir + "/control.sqlite", "--run", "1", "--plots-dir", dir + "/plots"])
        #expect(plotted.code == 0, "\(plotted.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/plots/run1-worker-load.png"))
        let policies = try sqlite(dir + "/shadow.sqlite", "SELECT DISTINCT policy FROM decisions ORDER BY policy")
        #expect(policies == ["hpa", "predictive"])

        // What the load generator sent and what the workers counted, as Prometheus scraped them (every
        // worker's counter at its highest, the killed one's too; its last second of requests may be unscraped).
        let outcomes = try String(contentsOfFile: dir + "/latency.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let byWorkers = outcomes.filter { [200, 500, 503].contains(Int($0.split(separator: ",")[3]) ?? 0) }.count
        Thread.sleep(forTimeInterval: 3)
        let counted = try #require(Self.instant(prometheus, "sum(max_over_time(stormglass_worker_requests_total[20m]))"))
        print("load: \(outcomes.count) requests, \(byWorkers) answered by workers; Prometheus counted \(Int(counted))")
        #expect(outcomes.count > 2000)
        // The load generator's summary counts what its log holds: "N requests (no answer: a, 200: b, …)".
        let summary = loaded.stdout.split(separator: "\n").first { $0.contains(" requests (") }.map(String.init) ?? ""
        let byStatus = summary.split(separator: "(").last?.dropLast().split(separator: ",").compactMap { Int($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") } ?? []
        #expect(summary.hasPrefix("\(outcomes.count) requests (") && byStatus.reduce(0, +) == outcomes.count, "\(summary)")
        #expect(abs(counted - Double(byWorkers)) <= max(60, 0.03 * Double(byWorkers)))
    }
}

/// One column of a query's rows, through the sqlite3 command line (an independent reader of the database).
func sqlite(_ db: String, _ query: String) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [db, query]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}
