import Foundation
import Telemetry
import SimulationKernel
#if canImport(Glibc)
import Glibc
#endif

/// Everything the testbed runs, in one folder: worker processes, nginx in front of them, Prometheus
/// scraping both (nginx through Debian's exporter), and a controller that keeps as many workers as the
/// folder's `desired-replicas` file asks — what a Deployment's ReplicaSet does for pods.
///
/// Workers join nginx's upstream and Prometheus' targets once their `/ready` answers 200, leave them
/// before they are stopped, and a worker that exits unasked is replaced. Every change goes to
/// `events.csv`; `testbed.json` says where everything listens.
public final class TestbedSupervisor: @unchecked Sendable {
    public struct Settings: Sendable {
        public var folder: String
        public var worker: WorkerConfiguration
        public var replicas: Int
        /// The most workers it will run, whatever `desired-replicas` says.
        public var maxReplicas: Int
        public var scrapeInterval: Double
        /// Replace a worker that exits unasked (as a ReplicaSet does); off, the hole stays until scaled.
        public var replaceExited: Bool
        /// The executable whose `testbed worker` verb runs a worker (this one by default).
        public var executable: String

        public init(folder: String, worker: WorkerConfiguration = WorkerConfiguration(), replicas: Int = 1, maxReplicas: Int = 16,
                    scrapeInterval: Double = 1, replaceExited: Bool = true, executable: String = TestbedSupervisor.currentExecutable) {
            self.folder = folder; self.worker = worker; self.replicas = replicas; self.maxReplicas = maxReplicas
            self.scrapeInterval = scrapeInterval; self.replaceExited = replaceExited; self.executable = executable
        }
    }

    /// One worker process and what is known of it.
    final class Worker {
        let index: Int
        let process: ManagedProcess
        let started: Double
        var port: Int?
        var ready = false
        var stopping = false
        var stopIssued = false
        init(index: Int, process: ManagedProcess) { self.index = index; self.process = process; started = Date().timeIntervalSince1970 }
    }

    public let settings: Settings
    public let balancer: NginxBalancer
    public let prometheus: PrometheusServer
    private let exporter: ManagedProcess
    private var workers: [Worker] = []
    private var nextIndex = 0
    private var desired: Int
    private var badDesiredReported = false
    private let events: FileHandle

    public var desiredFile: String { settings.folder + "/desired-replicas" }
    public static var currentExecutable: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    /// Starts nginx, the exporter, Prometheus and `replicas` workers; returns once Prometheus is ready
    /// (workers become ready in their own time).
    public static func start(_ settings: Settings) async throws -> TestbedSupervisor {
        var problems = settings.worker.problems
        if !(0...settings.maxReplicas).contains(settings.replicas) { problems.append("replicas must be 0…\(settings.maxReplicas), not \(settings.replicas)") }
        if !(1...256).contains(settings.maxReplicas) { problems.append("max replicas must be 1…256, not \(settings.maxReplicas)") }
        guard problems.isEmpty else { throw TestbedError("testbed: " + problems.joined(separator: "; ")) }
        let folder = settings.folder
        try FileManager.default.createDirectory(atPath: folder + "/workers", withIntermediateDirectories: true)
        let targets = folder + "/worker-targets.json"
        try PrometheusServer.ScrapeJob.writeTargets([], to: targets)
        try AtomicWrite.write("\(settings.replicas)\n", to: folder + "/desired-replicas")
        let balancer = try NginxBalancer.start(in: folder + "/nginx", upstreams: [])
        do {
            let exporterPort = try LoopbackPort.free()
            let exporter = try ManagedProcess(name: "nginx exporter", executable: "prometheus-nginx-exporter", arguments: [
                "-nginx.scrape-uri", "\(balancer.url)/nginx_status", "-web.listen-address", "127.0.0.1:\(exporterPort)",
            ], log: folder + "/nginx-exporter.log")
            do {
                let prometheus = try await PrometheusServer.start(in: folder + "/prometheus", jobs: [
                    .init(name: "workers", targetsFile: targets),
                    .init(name: "nginx", targets: ["127.0.0.1:\(exporterPort)"]),
                ], scrapeInterval: settings.scrapeInterval)
                return try TestbedSupervisor(settings: settings, balancer: balancer, prometheus: prometheus, exporter: exporter)
            } catch { exporter.stop(); throw error }
        } catch { balancer.stop(); throw error }
    }

    private init(settings: Settings, balancer: NginxBalancer, prometheus: PrometheusServer, exporter: ManagedProcess) throws {
        self.settings = settings; self.balancer = balancer; self.prometheus = prometheus; self.exporter = exporter
        desired = settings.replicas
        let path = settings.folder + "/events.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data("time,event,worker,detail\n".utf8))
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TestbedError("testbed: cannot write \(path)") }
        handle.seekToEndOfFile()
        events = handle
        record("testbed-started", worker: nil, "nginx \(balancer.url), prometheus \(prometheus.url)")
        try writeStatus()
    }

    /// Runs the controller every `period` seconds until `shouldStop` says so, then stops everything.
    public func run(period: Double = 0.2, until shouldStop: () -> Bool) {
        while !shouldStop() {
            reconcile()
            usleep(UInt32(period * 1e6))
        }
        stop()
    }

    /// One pass of the controller: notice exits and readiness, start or stop workers, re-route.
    public func reconcile() {
        readDesired()
        var changed = false
        for w in workers where !w.process.isRunning {
            record(w.stopping ? "stopped" : "exited", worker: w.index, "status \(w.process.exitStatus ?? -1)")
            changed = true
        }
        let exitedUnasked = workers.filter { !$0.process.isRunning && !$0.stopping }.count
        workers.removeAll { !$0.process.isRunning }
        for w in workers where !w.ready && !w.stopping {
            if w.port == nil { w.port = Self.announcedPort(in: w.process.log) }
            if let port = w.port, LoopbackHTTP.request(port: port, path: "/ready", timeout: 0.5)?.status == 200 {
                w.ready = true
                record("ready", worker: w.index, String(format: "port %d after %.3f s", port, Date().timeIntervalSince1970 - w.started))
                changed = true
            }
        }
        let live = workers.filter { !$0.stopping }
        let target = settings.replaceExited || exitedUnasked == 0 ? desired : min(desired, live.count)
        if live.count < target {
            for _ in live.count..<target { startWorker(); changed = true }
        } else if live.count > target {
            // Starting ones first, then the newest ready ones: the oldest keep serving.
            let victims = live.sorted { ($0.ready ? 1 : 0, -$0.index) < ($1.ready ? 1 : 0, -$1.index) }.prefix(live.count - target)
            for w in victims { w.stopping = true; record("stopping", worker: w.index, "scaled to \(target)") }
            changed = true
        }
        if changed {
            let serving = workers.filter { $0.ready && !$0.stopping }.compactMap(\.port)
            do {
                try balancer.route(to: serving)
                try PrometheusServer.ScrapeJob.writeTargets(serving.map { "127.0.0.1:\($0)" }, labels: ["service": "worker"],
                                                            to: settings.folder + "/worker-targets.json")
                try writeStatus()
            } catch { record("error", worker: nil, "\(error)") }
            // Out of the upstream first, then stopped: its requests drain (SIGTERM), new ones go elsewhere.
            for w in workers where w.stopping && !w.stopIssued {
                w.stopIssued = true
                let p = w.process
                Thread.detachNewThread { p.stop(grace: 15) }
            }
        }
    }

    /// Stops workers, nginx, the exporter and Prometheus. Safe to call more than once.
    public func stop() {
        for w in workers { w.process.stop(grace: 12) }
        workers = []
        balancer.stop(); exporter.stop(); prometheus.stop()
        record("testbed-stopped", worker: nil, "")
        try? writeStatus()
    }

    private func startWorker() {
        let index = nextIndex
        nextIndex += 1
        let c = settings.worker
        do {
            let process = try ManagedProcess(name: "worker \(index)", executable: settings.executable, arguments: [
                "testbed", "worker", "--port", "0", "--concurrency", "\(c.concurrency)", "--queue-limit", "\(c.queueLimit)",
                "--work-mean", "\(c.work.mean)", "--work-cv", "\(c.work.coefficientOfVariation)", "--cpu-share", "\(c.cpuShare)",
                "--startup-delay", "\(c.startupDelay)", "--seed", "\(c.seed &+ UInt64(index))",
            ], log: settings.folder + "/workers/\(index).log")
            workers.append(Worker(index: index, process: process))
            record("started", worker: index, "pid \(process.pid)")
        } catch { record("error", worker: index, "\(error)") }
    }

    private func readDesired() {
        let text = (try? String(contentsOfFile: desiredFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard let n = Int(text), (0...settings.maxReplicas).contains(n) else {
            if !badDesiredReported { record("error", worker: nil, "\(desiredFile) holds \(text.debugDescription), not 0…\(settings.maxReplicas); keeping \(desired)") }
            badDesiredReported = true
            return
        }
        badDesiredReported = false
        if n != desired { record("desired", worker: nil, "\(desired) → \(n)"); desired = n }
    }

    /// The port a worker printed once listening (`--port 0` lets the kernel pick, so no two collide).
    static func announcedPort(in log: String) -> Int? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8),
              let range = text.range(of: WorkerAnnouncement.prefix) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    private func record(_ event: String, worker: Int?, _ detail: String) {
        let clean = detail.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ")
        let line = String(format: "%.3f", Date().timeIntervalSince1970) + ",\(event),\(worker.map(String.init) ?? ""),\"\(clean)\"\n"
        events.write(Data(line.utf8))
    }

    private func writeStatus() throws {
        let status: [String: Any] = [
            "balancer": balancer.url, "prometheus": prometheus.url, "desired": desired, "max_replicas": settings.maxReplicas, "supervisor_pid": Int(getpid()),
            "workers": workers.map { ["index": $0.index, "pid": Int($0.process.pid), "port": $0.port ?? 0, "ready": $0.ready, "stopping": $0.stopping] as [String: Any] },
            // What `shadow` and `control` read here, ready to pass as --signal NAME=QUERY and --replica-health.
            "signals": TestbedSignals.queries().map { "\($0.signal)=\($0.query)" }, "replica_health": TestbedSignals.replicaHealth(),
            // The configured truth a calibration is held to.
            "worker": ["concurrency": settings.worker.concurrency, "queue_limit": settings.worker.queueLimit, "work_mean": settings.worker.work.mean,
                       "work_cv": settings.worker.work.coefficientOfVariation, "cpu_share": settings.worker.cpuShare,
                       "startup_delay": settings.worker.startupDelay] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: status, options: [.sortedKeys, .prettyPrinted])
        try AtomicWrite.write(data, to: settings.folder + "/testbed.json")
    }
}

/// The line a worker prints once it listens, which the supervisor reads from its log.
public enum WorkerAnnouncement {
    public static let prefix = "stormglass worker listening on 127.0.0.1:"
}

extension Distribution {
    /// Standard deviation ÷ mean of a gamma or constant work distribution (what `--work-cv` took).
    var coefficientOfVariation: Double {
        switch self {
        case .gamma(let shape, _): return 1 / shape.squareRoot()
        case .exponential: return 1
        default: return 0
        }
    }
}

/// The PromQL that reads each signal a live session needs from the testbed's Prometheus: what
/// `stormglass shadow --signal NAME=QUERY` takes (`testbed up` prints them).
public enum TestbedSignals {
    public static func queries(window: String = "15s") -> [(signal: String, query: String)] {
        [
            ("rate", "sum(rate(stormglass_worker_requests_total[\(window)]))"),
            ("cpu", "sum(rate(stormglass_worker_busy_seconds_total[\(window)])) / sum(stormglass_worker_slots)"),
            ("queue", "sum(stormglass_worker_queue_depth)"),
            ("in_flight", "sum(stormglass_worker_in_flight)"),
            ("ready", "sum(up{job=\"workers\"})"),
            ("errors", "sum(rate(stormglass_worker_requests_total{code!=\"200\"}[\(window)]))"),
            ("p95", "histogram_quantile(0.95, sum by (le) (rate(stormglass_worker_request_duration_seconds_bucket[\(window)])))"),
        ]
    }

    /// The PromQL behind each column of a service history (`calibrate --testbed`), over windows of one
    /// step so that every request is counted once: rates, the latency histogram's sum, count, quantiles
    /// and buckets, process CPU, busy slots, ready workers.
    public static func history(step: String) -> [(column: String, query: String)] {
        let h = "stormglass_worker_request_duration_seconds"
        var out: [(String, String)] = [
            ("rate", "sum(rate(stormglass_worker_requests_total[\(step)]))"),
            ("served", "sum(rate(stormglass_worker_requests_total{code=\"200\"}[\(step)]))"),
            ("errors", "sum(rate(stormglass_worker_requests_total{code!=\"200\"}[\(step)]))"),
            ("latency_sum", "sum(rate(\(h)_sum[\(step)]))"),
            ("latency_count", "sum(rate(\(h)_count[\(step)]))"),
        ]
        for (name, q) in [("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99")] {
            out.append((name, "histogram_quantile(\(q), sum by (le) (rate(\(h)_bucket[\(step)])))"))
        }
        out.append(("cpu", "sum(rate(process_cpu_seconds_total{job=\"workers\"}[\(step)]))"))
        out.append(("busy", "sum(rate(stormglass_worker_busy_seconds_total[\(step)])) / sum(stormglass_worker_slots)"))
        out.append(("ready", "sum(up{job=\"workers\"})"))
        for bound in WorkerMetrics.buckets.map({ String($0) }) + ["+Inf"] {
            out.append(("le_" + bound, "sum(rate(\(h)_bucket{le=\"\(bound)\"}[\(step)]))"))
        }
        return out
    }

    /// The self-healer's query (`--replica-health`): each worker's share of requests not answered 500 —
    /// below 0.5, it is failing. No requests: NaN, no opinion. (503, turned away when full, is load, not sickness.)
    public static func replicaHealth(window: String = "15s") -> String {
        "1 - sum by (instance) (rate(stormglass_worker_requests_total{code=\"500\"}[\(window)])) / sum by (instance) (rate(stormglass_worker_requests_total[\(window)]))"
    }
}
