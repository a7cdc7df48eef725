import ClusterModel
import Foundation
import LiveMetrics
import Telemetry

/// A real Prometheus (Debian's `prometheus`) on a loopback port, in a folder of its own: optionally
/// backfilled with series (through `promtool tsdb create-blocks-from openmetrics`) and scraping targets.
///
/// ```swift
/// let server = try await PrometheusServer.start(in: folder, backfill: [BackfillSeries(name: "requests", points: trace.points)])
/// defer { server.stop() }
/// ```
public final class PrometheusServer: @unchecked Sendable {
    /// A scrape job: `targets` as `127.0.0.1:PORT`, or a file of targets Prometheus watches
    /// (`file_sd_configs`: how the testbed's workers come and go, as pods do behind Kubernetes discovery).
    public struct ScrapeJob: Sendable {
        public var name: String
        public var targets: [String]
        public var targetsFile: String?
        public var path: String
        public init(name: String, targets: [String] = [], targetsFile: String? = nil, path: String = "/metrics") {
            self.name = name; self.targets = targets; self.targetsFile = targetsFile; self.path = path
        }

        /// Writes `targets` as a file_sd JSON file, atomically (Prometheus may read it at any moment).
        public static func writeTargets(_ targets: [String], labels: [String: String] = [:], to path: String) throws {
            let groups: [[String: Any]] = targets.isEmpty ? [] : [["targets": targets, "labels": labels]]
            let data = try JSONSerialization.data(withJSONObject: groups, options: [.sortedKeys])
            try AtomicWrite.write(data, to: path)
        }
    }

    public let url: String
    public let folder: String
    public let process: ManagedProcess

    private init(url: String, folder: String, process: ManagedProcess) { self.url = url; self.folder = folder; self.process = process }

    /// Starts a server and waits until it is ready (at most `readyWithin` seconds: a busy machine is slow).
    ///
    /// - Parameters:
    ///   - folder: its configuration, data and log go here; the folder is created.
    ///   - scrapeInterval: how often it scrapes `jobs`, in seconds.
    public static func start(in folder: String, jobs: [ScrapeJob] = [], scrapeInterval: Double = 1,
                             backfill: [BackfillSeries] = [], readyWithin: Double = 120) async throws -> PrometheusServer {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = folder + "/data"
        if !backfill.isEmpty { try BackfillSeries.load(backfill, into: data, scratch: folder) }
        let configuration = folder + "/prometheus.yml"
        try AtomicWrite.write(configurationText(jobs: jobs, scrapeInterval: scrapeInterval), to: configuration)
        // The port is free when asked; another process may take it first, so try a few.
        var lastLog = ""
        for attempt in 1...3 {
            let port = try LoopbackPort.free()
            let process = try ManagedProcess(name: "prometheus", executable: "prometheus", arguments: [
                "--config.file=\(configuration)", "--storage.tsdb.path=\(data)",
                // Backfilled traces are old; keep them.
                "--storage.tsdb.retention.time=100y",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ], log: folder + "/prometheus-\(attempt).log")
            let server = PrometheusServer(url: "http://127.0.0.1:\(port)", folder: folder, process: process)
            if try await server.waitUntilReady(within: readyWithin) { return server }
            lastLog = process.logTail()
            server.stop()
            if !lastLog.contains("address already in use") { break }
        }
        throw TestbedError("prometheus did not become ready within \(Int(readyWithin)) s; its log ends:\n\(lastLog)")
    }

    /// True once `/-/ready` answers; false if the process exits, or the time runs out after at least 20 looks.
    /// (On a busy machine this task may not run for minutes: time it was not given is not time Prometheus failed.)
    private func waitUntilReady(within seconds: Double) async throws -> Bool {
        let client = try PrometheusClient(.init(baseURL: url, timeout: 5))
        let deadline = Date().addingTimeInterval(seconds)
        var ready = false, looks = 0
        while !ready && process.isRunning && (Date() < deadline || looks < 20) {
            ready = await client.isReady()
            looks += 1
            if !ready { try? await Task.sleep(nanoseconds: 100_000_000) }
        }
        await client.shutdown()
        return ready
    }

    public func stop() { process.stop() }

    static func configurationText(jobs: [ScrapeJob], scrapeInterval: Double) -> String {
        var text = "global:\n  scrape_interval: \(Self.seconds(scrapeInterval))\n  evaluation_interval: \(Self.seconds(scrapeInterval))\n"
        guard !jobs.isEmpty else { return text }
        text += "scrape_configs:\n"
        for job in jobs {
            // Names and paths are quoted YAML strings: data, never structure.
            text += "  - job_name: \(quoted(job.name))\n    metrics_path: \(quoted(job.path))\n"
            if let file = job.targetsFile {
                text += "    file_sd_configs:\n      - files: [\(quoted(file))]\n        refresh_interval: 1s\n"
            } else {
                text += "    static_configs:\n      - targets: [\(job.targets.map(quoted).joined(separator: ", "))]\n"
            }
        }
        return text
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s))s" : "\(Int((s * 1000).rounded()))ms" }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20 || u.value == 0x7f: out += String(format: "\\x%02x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// A series to load into a Prometheus before it starts, as a `gauge` with labels.
public struct BackfillSeries: Sendable {
    public var name: String
    public var labels: [String: String]
    public var points: [MetricSeries.Point]

    public init(name: String, labels: [String: String] = [:], points: [MetricSeries.Point]) {
        self.name = name; self.labels = labels; self.points = points
    }

    /// The series in OpenMetrics text, as `promtool tsdb create-blocks-from openmetrics` reads it.
    public static func openMetrics(_ series: [BackfillSeries]) throws -> String {
        var text = ""
        var typed = Set<String>()
        for s in series {
            guard s.name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil else {
                throw TestbedError("backfill: \(s.name.debugDescription) is not a Prometheus metric name")
            }
            for key in s.labels.keys where key.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) == nil {
                throw TestbedError("backfill: \(key.debugDescription) is not a Prometheus label name")
            }
            if typed.insert(s.name).inserted { text += "# TYPE \(s.name) gauge\n" }
            let labels = s.labels.isEmpty ? "" : "{" + s.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\(labelValue($0.value))" }.joined(separator: ",") + "}"
            for p in s.points where p.value.isFinite {
                text += "\(s.name)\(labels) \(p.value) \(p.time)\n"
            }
        }
        return text + "# EOF\n"
    }

    static func labelValue(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// Writes the series as TSDB blocks into `data` with promtool.
    static func load(_ series: [BackfillSeries], into data: String, scratch: String) throws {
        let input = scratch + "/backfill.om"
        try AtomicWrite.write(openMetrics(series), to: input)
        let promtool = try ManagedProcess(name: "promtool", executable: "promtool",
                                          arguments: ["tsdb", "create-blocks-from", "openmetrics", input, data], log: scratch + "/promtool.log")
        // promtool ends by itself; a bounded wait keeps a broken one from hanging the caller.
        let deadline = Date().addingTimeInterval(600)
        while promtool.isRunning && Date() < deadline { usleep(50_000) }
        promtool.stop(grace: 1)
        guard promtool.exitStatus == 0 else {
            throw TestbedError("promtool could not backfill \(input) (exit \(promtool.exitStatus.map(String.init) ?? "none")):\n\(promtool.logTail())")
        }
    }
}
