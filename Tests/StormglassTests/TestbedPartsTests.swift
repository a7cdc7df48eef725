import ClusterModel
import ControlPlane
import Foundation
@testable import LiveControl
import Recorder
import SimulationKernel
import Telemetry
@testable import Testbed
import Testing

/// The testbed's parts one by one, each against what it was configured to do.
@Suite("Testbed parts")
struct TestbedPartsTests {
    /// One answer seen by a client: its status (0 for none) and when it was sent and answered, seconds on the
    /// uptime clock the worker also uses.
    struct Answer { var status: Int; var sent: Double; var answered: Double }

    /// Sends `count` requests at once from threads of their own; their answers, in no order.
    static func concurrently(_ count: Int, port: Int, path: String = "/") -> [Answer] {
        let lock = NSLock()
        var answers: [Answer] = []
        let group = DispatchGroup()
        for _ in 0..<count {
            group.enter()
            Thread.detachNewThread {
                let sent = WorkerState.now()
                let code = LoopbackHTTP.request(port: port, path: path, timeout: 60)?.status ?? 0
                let answer = Answer(status: code, sent: sent, answered: WorkerState.now())
                lock.lock(); answers.append(answer); lock.unlock()
                group.leave()
            }
        }
        group.wait()
        return answers
    }

    /// A Prometheus text line's value: `name{labels} value`.
    static func metric(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func aWorkerServesItsConcurrencyQueuesItsLimitAndTurnsAwayTheRest() throws {
        // 2 slots, 2 places in the queue, 3 s of work: of 6 requests arriving together, 2 are served at
        // once, 2 after them, 2 turned away. Long work so that "together" holds on a busy machine.
        let worker = try WorkerServer(WorkerConfiguration(concurrency: 2, queueLimit: 2, work: .constant(3), cpuShare: 0), port: 0)
        defer { worker.stop(drain: 1) }
        let answers = Self.concurrently(6, port: worker.port)
        #expect(answers.map(\.status).sorted() == [200, 200, 200, 200, 503, 503])
        let text = LoopbackHTTP.request(port: worker.port, path: "/metrics")!.body
        #expect(Self.metric(text, "stormglass_worker_requests_total{code=\"200\"}") == 4)
        #expect(Self.metric(text, "stormglass_worker_requests_total{code=\"503\"}") == 2)
        #expect(Self.metric(text, "stormglass_worker_request_duration_seconds_count") == 4)
        // Two slots, four served, 3 s each: the last answer comes at least 6 s after the first request was sent,
        // and nobody is served in less than the work. A busy machine only adds to either, so no upper bounds
        // on time; the worker's own latency sum is bounded above by what the clients measured around it.
        let served = answers.filter { $0.status == 200 }
        #expect(served.map(\.answered).max()! - answers.map(\.sent).min()! >= 6)
        #expect(served.allSatisfy { $0.answered - $0.sent >= 3 })
        let sum = Self.metric(text, "stormglass_worker_request_duration_seconds_sum")!
        #expect(sum >= 12 && sum <= served.map { $0.answered - $0.sent }.reduce(0, +))
        let busy = Self.metric(text, "stormglass_worker_busy_seconds_total")!
        #expect(busy >= 12 && busy <= sum)
        #expect(Self.metric(text, "stormglass_worker_in_flight") == 0)
        #expect(Self.metric(text, "stormglass_worker_queue_depth") == 0)
        #expect(text.contains("stormglass_worker_request_duration_seconds_bucket{le=\"2.5\"} 0"))
        #expect(text.contains("stormglass_worker_request_duration_seconds_bucket{le=\"+Inf\"} 4"))
    }

    @Test func aWorkerIsUnreadyUntilItsStartupDelayAndFailsWhenToldTo() throws {
        let starting = try WorkerServer(WorkerConfiguration(startupDelay: 3600), port: 0)
        #expect(LoopbackHTTP.request(port: starting.port, path: "/ready")?.status == 503)
        #expect(LoopbackHTTP.request(port: starting.port, path: "/")?.status == 503)
        #expect(Self.metric(LoopbackHTTP.request(port: starting.port, path: "/metrics")!.body, "stormglass_worker_ready") == 0)
        starting.stop(drain: 1)

        let worker = try WorkerServer(WorkerConfiguration(work: .constant(0.01), cpuShare: 0), port: 0)
        defer { worker.stop(drain: 1) }
        #expect(LoopbackHTTP.request(port: worker.port, path: "/ready")?.status == 200)
        #expect(LoopbackHTTP.request(port: worker.port, path: "/chaos?fail=1", method: "POST")?.status == 200)
        #expect(LoopbackHTTP.request(port: worker.port, path: "/")?.status == 500)
        #expect(LoopbackHTTP.request(port: worker.port, path: "/chaos?fail=2", method: "POST")?.status == 400)
        #expect(LoopbackHTTP.request(port: worker.port, path: "/chaos", method: "POST")?.status == 200)
        #expect(LoopbackHTTP.request(port: worker.port, path: "/")?.status == 200)
    }

    @Test func theLoadScheduleIsAPoissonProcessFollowingTheTrace() throws {
        // 50/s for 100 s then 10/s for 100 s, at compression 2: 100 s of wall time, 2500 + 500 expected.
        let rate = [MetricSeries.Point(time: 0, value: 50), .init(time: 100, value: 10)]
        let times = try LoadGenerator(.init(target: "http://127.0.0.1:1/", rate: rate, compression: 2, seed: 7)).schedule()
        let first = times.filter { $0 < 50 }.count, second = times.filter { $0 >= 50 }.count
        // Within 4 standard deviations (√n) of the Poisson means.
        #expect(abs(Double(first) - 2500) < 4 * 2500.0.squareRoot())
        #expect(abs(Double(second) - 500) < 4 * 500.0.squareRoot())
        #expect(times.last! < 100)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        // Inter-arrival times of a Poisson process are exponential: their CV is 1.
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.prefix(first - 1)
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
        #expect(abs(sd / mean - 1) < 0.1)
        // Bounded: never more than asked, never past the time limit.
        #expect(try LoadGenerator(.init(target: "http://127.0.0.1:1/", rate: rate, maxRequests: 10)).schedule().count == 10)
        #expect(try LoadGenerator(.init(target: "http://127.0.0.1:1/", rate: rate, maxSeconds: 5)).schedule().allSatisfy { $0 < 5 })
        #expect(throws: TestbedError.self) { try LoadGenerator(.init(target: "http://example.com/", rate: rate)) }
    }

    @Test func theGuardHoldsTheKillSwitchAndTheChangePerMinute() throws {
        let killSwitch = temporaryDirectory() + "/stop"
        var guardian = ActuationGuard(dryRun: false, killSwitch: killSwitch, maxChangePerMinute: 3)
        #expect(guardian.judge(current: 2, wanted: 4, at: 0) == .act(replicas: 4, cut: nil))
        guardian.done(from: 2, to: 4, at: 0)
        // One more replica is left within this minute: 4 → 7 is cut to 5.
        guard case .act(5, let cut?) = guardian.judge(current: 4, wanted: 7, at: 30) else { Issue.record("not cut to 5"); return }
        #expect(cut.contains("--max-change-per-minute 3"))
        guardian.done(from: 4, to: 5, at: 30)
        guard case .skip = guardian.judge(current: 5, wanted: 4, at: 59) else { Issue.record("a fourth change within the minute"); return }
        // A minute after the first change its two replicas no longer count.
        #expect(guardian.judge(current: 5, wanted: 7, at: 60) == .act(replicas: 7, cut: nil))
        FileManager.default.createFile(atPath: killSwitch, contents: nil)
        guard case .skip(let why) = guardian.judge(current: 5, wanted: 7, at: 200) else { Issue.record("acted with the kill switch present"); return }
        #expect(why.contains("kill switch"))
        var dry = ActuationGuard()
        #expect(dry.judge(current: 1, wanted: 2, at: 0) == .wouldAct(replicas: 2, cut: nil))
    }

    @Test func theExecActuatorPassesValuesAsArgumentsNeverToAShell() async throws {
        let out = temporaryDirectory() + "/args"
        let actuator = try ExecActuator(template: "/usr/bin/touch \(out)-{service}-{replicas}")
        let hostile = "x;touch \(out)-pwned $(id)"
        #expect(actuator.command(service: hostile, replicas: 3) == ["/usr/bin/touch", "\(out)-\(hostile)-3"])
        let (done, detail) = await actuator.apply(service: "checkout", replicas: 3, reason: "test")
        #expect(done, "\(detail)")
        #expect(FileManager.default.fileExists(atPath: "\(out)-checkout-3"))
        let failing = try ExecActuator(template: "/usr/bin/false {replicas}")
        let (ok, why) = await failing.apply(service: "s", replicas: 1, reason: "")
        #expect(!ok && why.contains("exit 1"))
        #expect(throws: LiveSessionError.self) { try ExecActuator(template: "kubectl scale deployment/x") }
        #expect(throws: LiveSessionError.self) { try ExecActuator(template: "/no/such/command {replicas}") }
    }

    /// The signature checked by OpenSSL, an implementation of HMAC that is not the one signing.
    static func opensslHMAC(key: String, body: String) throws -> String {
        let file = temporaryDirectory("hmac") + "/body"
        try body.write(toFile: file, atomically: false, encoding: .utf8)
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["dgst", "-sha256", "-hmac", key, "-r", file]
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return String(text.prefix { $0 != " " })
    }

    @Test func theWebhookActuatorSendsTheChangeSignedAndSaysWhatTheReceiverAnswered() async throws {
        let dir = temporaryDirectory()
        let key = "k3y with spaces & \"quotes\""
        try key.appending("\n").write(toFile: dir + "/key", atomically: false, encoding: .utf8)
        let receiver = try OneRequestReceiver(status: 200)
        let actuator = try WebhookActuator(url: "http://127.0.0.1:\(receiver.port)/scale?team=sre", secretFile: dir + "/key", timeout: 30)
        let before = Int(Date().timeIntervalSince1970)
        let (done, detail) = await actuator.apply(service: "checkout", replicas: 4, reason: "cpu 91% > 60%")
        #expect(done, "\(detail)")
        #expect(detail.hasPrefix("POST http://127.0.0.1:\(receiver.port)/scale?team=sre: HTTP 200"), "\(detail)")
        let request = receiver.request()
        #expect(request.line == "POST /scale?team=sre HTTP/1.1")
        #expect(request.head["content-type"] == "application/json")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(fields["action"] as? String == "set-replicas" && fields["service"] as? String == "checkout" && fields["replicas"] as? Int == 4
                && fields["reason"] as? String == "cpu 91% > 60%")
        let time = try #require(fields["time"] as? Int)
        #expect(time >= before && time <= Int(Date().timeIntervalSince1970))
        // The receiver's check: HMAC-SHA256 of the raw body with the key from the file (its line break not part of it).
        let expected = try Self.opensslHMAC(key: key, body: request.body)
        #expect(expected.count == 64)
        #expect(request.head[WebhookActuator.signatureHeader.lowercased()] == "sha256=" + expected)
        await actuator.shutdown()

        // A refusal, nothing listening, a receiver that never answers: each a failed action, in words.
        let refusing = try OneRequestReceiver(status: 503, body: "draining\nsecond line")
        let second = try WebhookActuator(url: "http://127.0.0.1:\(refusing.port)/", secretFile: dir + "/key", timeout: 30)
        let (ok503, why503) = await second.apply(service: "s", replicas: 1, reason: "")
        #expect(!ok503 && why503.hasSuffix("HTTP 503: draining"), "\(why503)")
        await second.shutdown()
        let nobody = try WebhookActuator(url: "http://127.0.0.1:\(try LoopbackPort.free())/", secretFile: nil, timeout: 30,
                                         environment: [WebhookActuator.secretVariable: "from-the-environment"])
        let (okNone, whyNone) = await nobody.apply(service: "s", replicas: 1, reason: "")
        #expect(!okNone && whyNone.contains("connection refused"), "\(whyNone)")
        await nobody.shutdown()
        let silent = try LoopbackSocket(listening: true)
        let hung = try WebhookActuator(url: "http://127.0.0.1:\(silent.port)/", secretFile: dir + "/key", timeout: 1)
        let (okHung, whyHung) = await hung.apply(service: "s", replicas: 1, reason: "")
        #expect(!okHung && whyHung.contains("no answer within 1 s"), "\(whyHung)")
        await hung.shutdown()
        silent.close()
    }

    @Test func aWebhookWithoutAKeyOrWithASecretInItsURLIsRefused() throws {
        let error = try #require(throws: LiveSessionError.self) {
            try WebhookActuator(url: "https://ops:hunter2@hooks.example/scale", secretFile: nil, environment: [:])
        }
        #expect(error.description.contains("a URL holding a user or password") && error.description.contains("--webhook-secret-file FILE or STORMGLASS_WEBHOOK_SECRET"),
                "\(error.description)")
        #expect(throws: LiveSessionError.self) { try WebhookActuator(url: "ftp://x/", secretFile: nil, environment: ["STORMGLASS_WEBHOOK_SECRET": "k"]) }
        let control = try stormglassProcess(["control", "--prometheus", "http://127.0.0.1:9", "--service", "x", "--signal", "rate=r", "--signal", "cpu=c",
                                             "--signal", "ready=n", "--min-replicas", "1", "--max-replicas", "3", "--policy", "hpa",
                                             "--webhook", "file:///etc/passwd", "--webhook-secret-file", "/no/such/key", "--exec", "/bin/true {replicas}"])
        #expect(control.code == 2)
        for words in ["--webhook file:///etc/passwd: not an http", "--webhook-secret-file /no/such/key: no such file", "one actuator, not both"] {
            #expect(control.stderr.contains(words), "\(words): \(control.stderr)")
        }
        let neither = try stormglassProcess(["control", "--prometheus", "http://127.0.0.1:9", "--service", "x", "--signal", "rate=r", "--signal", "cpu=c",
                                             "--signal", "ready=n", "--min-replicas", "1", "--max-replicas", "3", "--policy", "hpa"])
        #expect(neither.code == 2 && neither.stderr.contains("--exec TEMPLATE or --webhook URL"), "\(neither.stderr)")
    }

    @Test func theSelfHealerReplacesAReplicaUnhealthyTooLongAndNeverOneThatLeft() {
        var healer = ReplicaHealer(service: "api", replaceAfter: 30, checkPeriod: 15, maxReplacementsPerHour: 1, cooldown: 60)
        func poll(_ t: Double, _ replicas: [String: Double?]) -> [LiveRead] {
            replicas.keys.sorted().map { name in
                let v = replicas[name]!
                return LiveRead(time: t, service: "api", signal: ReplicaHealer.signal, query: "q", status: v == nil ? .nan : .ok, value: v, detail: name)
            }
        }
        // a healthy throughout, b healthy then failing from 30 s, c healthy then gone (scaled in), d idle (NaN).
        #expect(healer.observe(poll(0, ["a": 1, "b": 1, "c": 1, "d": nil]), at: 0).replace.isEmpty)
        #expect(healer.observe(poll(15, ["a": 1, "b": 0.9, "d": nil]), at: 15).replace.isEmpty)
        #expect(healer.observe(poll(30, ["a": 1, "b": 0.2, "d": nil]), at: 30).replace.isEmpty)
        // Unreadable health says nothing: no one is replaced for it, however long it lasts.
        let unreadable = [LiveRead(time: 45, service: "api", signal: ReplicaHealer.signal, query: "q", status: .error, detail: "timeout")]
        #expect(healer.observe(unreadable, at: 45).replace.isEmpty)
        // Last healthy at 15 s: at 45 s that is exactly 30 s (not more); at 60 s it is 45 s: replaced.
        #expect(healer.observe(poll(60, ["a": 1, "b": 0, "d": nil]), at: 60).replace.map(\.replica) == ["b"])
        // The budget (one an hour) is spent: the next failure is refused, in an event.
        _ = healer.observe(poll(75, ["a": 0, "d": nil]), at: 75)
        _ = healer.observe(poll(90, ["a": 0, "d": nil]), at: 90)
        let refused = healer.observe(poll(120, ["a": 0, "d": nil]), at: 120)
        #expect(refused.replace.isEmpty)
        #expect(refused.events.map(\.kind) == [.nodeFailureDetected, .replacementRefused])
        #expect(refused.events.first?.detail.hasPrefix("unhealthy for 60s") == true, "\(refused.events)")
    }

    @Test func aReplicaNameFromTheMetricsServerNeverBecomesAnOption() async throws {
        let out = temporaryDirectory() + "/replaced"
        let actuator = try ExecActuator(template: "/bin/true {replicas}", replaceTemplate: "/usr/bin/touch \(out)-{replica}")
        let (done, detail) = await actuator.replace(service: "api", replica: "api-7d9f.x2:8080", reason: "unhealthy")
        #expect(done, "\(detail)")
        #expect(FileManager.default.fileExists(atPath: "\(out)-api-7d9f.x2:8080"))
        for hostile in ["--all", "-rf", "../etc", "a b", "a/b", "$(id)", ""] {
            let (ok, why) = await actuator.replace(service: "api", replica: hostile, reason: "")
            #expect(!ok && why.contains("is not a plain name"), "\(hostile): \(why)")
        }
        let (none, whyNone) = await (try ExecActuator(template: "/bin/true {replicas}")).replace(service: "api", replica: "p", reason: "")
        #expect(!none && whyNone.contains("no --exec-replace"))
        #expect(throws: LiveSessionError.self) { try ExecActuator(template: "/bin/true {replicas}", replaceTemplate: "/bin/true {replicas}") }
    }

    @Test func aLiveSessionMergesWithItsReadsAndActions() throws {
        let dir = temporaryDirectory()
        let source = try ResultsStore(path: dir + "/a.sqlite")
        let writer = try source.beginRun(RunMetadata(scenario: "shadow", seed: 0, parameters: [:], label: "", replication: 0, toolVersion: "t",
                                                     simulatedSeconds: 1, scrapeSeconds: 1, services: [], pools: []))
        let read = LiveRead(time: 5, service: "api", signal: "rate", query: "sum(rate(x[1m]))", status: .ok, value: 12.5)
        let action = LiveAction(time: 5, service: "api", replicas: 3, actuator: "exec", outcome: "done", detail: "ok", replica: "api-1")
        try source.appendLiveReads(run: writer.runID, [read], actions: [action])
        try writer.finish(status: .finished, wallSeconds: 1, events: 1, figures: [], latencyHistogram: [:])
        let target = try ResultsStore(path: dir + "/b.sqlite")
        #expect(try target.merge(from: dir + "/a.sqlite") == 1)
        let run = try #require(try target.runs().first?.id)
        #expect(try target.liveReads(run: run) == [read])
        #expect(try target.liveActions(run: run) == [action])
    }

    @Test func unreadableMetricsAreNeverZeroAndTheHPAHolds() throws {
        let signals = ServiceSignals(service: "api", queries: [.rate: "r", .cpu: "c", .ready: "n"])
        var builder = LiveSampleBuilder(signals: signals, interval: 15)
        func reads(_ t: Double, cpu: LiveReadStatus, value: Double?) -> [LiveRead] {
            [LiveRead(time: t, service: "api", signal: "rate", query: "r", status: .ok, value: 30),
             LiveRead(time: t, service: "api", signal: "cpu", query: "c", status: cpu, value: value),
             LiveRead(time: t, service: "api", signal: "ready", query: "n", status: .ok, value: 2)]
        }
        var panel = PolicyPanel(service: "api", policies: [HPAPolicy(HPAConfig(metrics: [.cpu(50)]))], bounds: .init(minReplicas: 1, maxReplicas: 10), acting: nil)
        // 90 % CPU on 2 replicas with a 50 % target: upstream asks ceil(2 × 90 / 50) = 4.
        let busy = builder.sample(at: 0, from: reads(0, cpu: .ok, value: 0.9))
        #expect(busy.metricsAvailable && busy.arrivals == 450 && busy.readyReplicas == 2)
        #expect(panel.observe(busy).decisions.map(\.final) == [4])
        for status in [LiveReadStatus.nan, .empty, .stale, .error] {
            let s = builder.sample(at: 15, from: reads(15, cpu: status, value: nil))
            #expect(!s.metricsAvailable, "\(status)")
            #expect(s.readyReplicas == 2)
        }
        // The HPA does not act on metrics it cannot read (it holds; the simulation's metrics chaos agrees).
        let unreadable = builder.sample(at: 30, from: reads(30, cpu: .nan, value: nil))
        #expect(panel.observe(unreadable).decisions.isEmpty)
    }

    @Test func liveCommandsNameEveryProblemAtOnce() throws {
        let shadow = try stormglassProcess(["shadow", "--interval", "0s", "--policy", "nonesuch"])
        #expect(shadow.code == 2)
        for words in ["--prometheus URL", "--signal rate=QUERY is needed", "--signal cpu=QUERY is needed", "--signal ready=QUERY is needed",
                      "--interval 0s", "--service NAME"] {
            #expect(shadow.stderr.contains(words), "\(words): \(shadow.stderr)")
        }
        let control = try stormglassProcess(["control", "--prometheus", "http://127.0.0.1:9", "--exec", "kubectl scale deployment/x",
                                             "--max-change-per-minute", "0", "--service", "x", "--signal", "rate=r", "--signal", "cpu=c", "--signal", "ready=n",
                                             "--min-replicas", "1", "--max-replicas", "3", "--policy", "hpa"])
        #expect(control.code == 2)
        #expect(control.stderr.contains("must contain {replicas}") && control.stderr.contains("--max-change-per-minute must be"), "\(control.stderr)")
        let scale = try stormglassProcess(["testbed", "scale", "--dir", temporaryDirectory() + "/none", "3"])
        #expect(scale.code == 2 && scale.stderr.contains("no testbed here"), "\(scale.stderr)")
    }
}
