import ClusterModel
import ControlPlane
import Foundation
@testable import LiveControl
import SimulationKernel
import Telemetry
@testable import Testbed
import Testing

/// The testbed's parts one by one, each against what it was configured to do.
@Suite("Testbed parts")
struct TestbedPartsTests {
    /// Sends `count` requests at once from threads of their own; their status codes, in no order.
    static func concurrently(_ count: Int, port: Int, path: String = "/") -> [Int] {
        let lock = NSLock()
        var codes: [Int] = []
        let group = DispatchGroup()
        for _ in 0..<count {
            group.enter()
            Thread.detachNewThread {
                let code = LoopbackHTTP.request(port: port, path: path, timeout: 60)?.status ?? 0
                lock.lock(); codes.append(code); lock.unlock()
                group.leave()
            }
        }
        group.wait()
        return codes
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
        let codes = Self.concurrently(6, port: worker.port)
        #expect(codes.sorted() == [200, 200, 200, 200, 503, 503])
        let text = LoopbackHTTP.request(port: worker.port, path: "/metrics")!.body
        #expect(Self.metric(text, "stormglass_worker_requests_total{code=\"200\"}") == 4)
        #expect(Self.metric(text, "stormglass_worker_requests_total{code=\"503\"}") == 2)
        #expect(Self.metric(text, "stormglass_worker_request_duration_seconds_count") == 4)
        // Two served at once for 3 s, two after waiting 3 s: 3 + 3 + 6 + 6 = 18 s of latency, 12 slot-seconds busy.
        let sum = Self.metric(text, "stormglass_worker_request_duration_seconds_sum")!
        #expect(sum >= 18 && sum < 30)  // at least the configured work; a busy machine only adds
        let busy = Self.metric(text, "stormglass_worker_busy_seconds_total")!
        #expect(busy >= 12 && busy < 20)
        #expect(Self.metric(text, "stormglass_worker_in_flight") == 0)
        #expect(Self.metric(text, "stormglass_worker_queue_depth") == 0)
        #expect(text.contains("stormglass_worker_request_duration_seconds_bucket{le=\"5.0\"} 2"))
        #expect(text.contains("stormglass_worker_request_duration_seconds_bucket{le=\"10.0\"} 4"))
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
