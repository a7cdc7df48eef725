import Telemetry
import ArgumentParser
import ClusterModel
import Foundation
import Lab
import SimulationKernel
import Testbed

/// `stormglass testbed …`: a real system on this machine — worker processes behind nginx, scraped by
/// Prometheus — to run the control plane against, and an open-loop load generator to drive it.
struct TestbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testbed",
        abstract: "A real system on 127.0.0.1: worker processes, nginx, Prometheus, and a load generator.",
        discussion: """
        Needs nginx, prometheus and prometheus-nginx-exporter (scripts/ensure-deps --testbed installs them).
        Example:
          \(CommandName.current) testbed up --dir tb --replicas 2 --for 10m &
          \(CommandName.current) testbed load --target http://127.0.0.1:PORT/ --trace traffic.csv --compress 288 --peak-rate 80
          \(CommandName.current) testbed scale --dir tb 4
        """,
        subcommands: [Up.self, Scale.self, Kill.self, Load.self, Worker.self])
}

/// How each worker behaves (shared by `up` and `worker`).
struct WorkerOptions: ParsableArguments {
    @Option(help: "Requests a worker serves at once; more wait in its queue.")
    var concurrency = 4
    @Option(help: "Requests that may wait in a worker's queue; beyond it the worker answers 503.")
    var queueLimit = 64
    @Option(help: "Mean seconds of work per request.")
    var workMean = 0.05
    @Option(help: "Coefficient of variation of the work: 0 constant, 1 exponential, other values gamma.")
    var workCV = 1.0
    @Option(help: "Share of the work spent on the CPU rather than waiting (0…1).")
    var cpuShare = 0.1
    @Option(help: "Seconds from a worker's start until it reports ready.")
    var startupDelay = 0.0
    @Option(help: "Seed of the workers' work draws (worker i uses seed + i).")
    var seed: UInt64 = 1

    func configuration() throws -> WorkerConfiguration {
        var problems: [String] = []
        if !(workCV >= 0 && workCV <= 10) { problems.append("--work-cv must be 0…10, not \(workCV)") }
        let c = WorkerConfiguration(concurrency: concurrency, queueLimit: queueLimit, work: .work(mean: workMean, cv: max(0, workCV)),
                                    cpuShare: cpuShare, startupDelay: startupDelay, seed: seed)
        problems += c.problems
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        return c
    }
}

extension TestbedCommand {
    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start workers, nginx and Prometheus in a folder and keep the workers at the desired count until stopped.",
            discussion: """
            Writes <dir>/testbed.json (where nginx and Prometheus listen, the workers), <dir>/events.csv (every \
            start, ready, exit and scale, with its time) and <dir>/desired-replicas, which `testbed scale` \
            rewrites. A worker that exits unasked is replaced, as a ReplicaSet does. Ctrl-C, SIGTERM or the end \
            of --for stops everything it started.
            """)
        @Option(help: "The testbed's folder (created).")
        var dir: String
        @Option(help: "Workers to start with.")
        var replicas = 2
        @Option(help: "The most workers it will run, whatever it is asked.")
        var maxReplicas = 16
        @Option(help: "Prometheus' scrape interval, seconds.")
        var scrapeInterval = 1.0
        @Option(name: .customLong("for"), help: "Stop by itself after this long (e.g. 10m; at most 1d).")
        var duration = "1h"
        @Flag(help: "Leave a worker that exits unasked unreplaced (for the self-healer to act on).")
        var noReplace = false
        @OptionGroup var worker: WorkerOptions

        func run() throws {
            var problems: [String] = []
            let config: WorkerConfiguration?
            do { config = try worker.configuration() } catch let e as InputError { problems.append(e.description); config = nil }
            let limit = SimDuration(parsing: duration)
            if limit == nil || limit! <= .zero || limit! > .days(1) { problems.append("--for \(duration): not a duration from 1s to 1d") }
            if !(scrapeInterval >= 0.1 && scrapeInterval <= 300) { problems.append("--scrape-interval must be 0.1…300 s, not \(scrapeInterval)") }
            guard problems.isEmpty, let config, let limit else { throw InputError(problems.joined(separator: "\n")) }
            let settings = TestbedSupervisor.Settings(folder: dir, worker: config, replicas: replicas, maxReplicas: maxReplicas,
                                                      scrapeInterval: scrapeInterval, replaceExited: !noReplace)
            let supervisor: TestbedSupervisor
            do { supervisor = try waitFor { try await TestbedSupervisor.start(settings) } } catch let e as TestbedError { throw InputError(e.description) }
            print("testbed up in \(dir): nginx \(supervisor.balancer.url)/  prometheus \(supervisor.prometheus.url)  (\(replicas) workers; stop with Ctrl-C)")
            print("signals for shadow and control (--prometheus \(supervisor.prometheus.url)):")
            for (signal, query) in TestbedSignals.queries() { print("  --signal \(signal)='\(query)'") }
            print("  --replica-health '\(TestbedSignals.replicaHealth())'")
            fflush(stdout)
            let end = Date().addingTimeInterval(limit.seconds)
            supervisor.run { Interrupt.isRequested || Date() >= end }
            print("testbed down: everything it started has stopped (events in \(dir)/events.csv)")
        }
    }

    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a running testbed for a number of workers (what `control --actuator exec` runs).",
            discussion: "Example: \(CommandName.current) testbed scale --dir tb 4")
        @Option(help: "The testbed's folder.")
        var dir: String
        @Argument(help: "Workers wanted.")
        var replicas: Int

        func run() throws {
            let status = try TestbedStatus.read(dir)
            guard (0...status.maxReplicas).contains(replicas) else { throw InputError("replicas must be 0…\(status.maxReplicas), not \(replicas)") }
            do { try AtomicWrite.write("\(replicas)\n", to: dir + "/desired-replicas") }
            catch { throw InputError("\(dir)/desired-replicas: cannot write: \(error.localizedDescription)") }
            print("testbed \(dir): \(replicas) workers wanted")
        }
    }

    struct Kill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Kill one worker with SIGKILL (chaos on a real process): the oldest ready one, --worker N, or --instance 127.0.0.1:PORT.",
            discussion: "The supervisor starts another in its place, as a ReplicaSet does: `control --exec-replace` replaces an unhealthy worker with this.")
        @Option(help: "The testbed's folder.")
        var dir: String
        @Option(help: "The worker's index (events.csv names them).")
        var worker: Int?
        @Option(help: "The worker's address as Prometheus labels it (its instance).")
        var instance: String?

        func run() throws {
            let status = try TestbedStatus.read(dir)
            let ready = status.workers.filter { $0.ready && !$0.stopping }
            let chosen: TestbedStatus.WorkerStatus?
            switch (worker, instance) {
            case (let w?, nil): chosen = status.workers.first { $0.index == w }
            case (nil, let i?): chosen = status.workers.first { "127.0.0.1:\($0.port)" == i }
            case (nil, nil): chosen = ready.min(by: { $0.index < $1.index })
            case (_?, _?): throw InputError("--worker or --instance, not both")
            }
            guard let victim = chosen else {
                let known = status.workers.map { "\($0.index) (127.0.0.1:\($0.port))" }.joined(separator: ", ")
                throw InputError(worker.map { "testbed \(dir): no worker \($0) (\(known))" }
                                 ?? instance.map { "testbed \(dir): no worker at \($0.debugDescription) (\(known))" }
                                 ?? "testbed \(dir): no ready worker to kill")
            }
            guard victim.pid > 1, kill(pid_t(victim.pid), SIGKILL) == 0 else { throw InputError("worker \(victim.index) (pid \(victim.pid)) is already gone") }
            print("killed worker \(victim.index) (pid \(victim.pid), port \(victim.port))")
        }
    }

    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one worker in the foreground (the testbed starts these; useful alone to try one).",
            discussion: """
            Every path is a request to serve except /metrics (Prometheus text), /ready (200 once started) and \
            POST /chaos?slow=F&fail=P (work F times slower, a share P answered 500; POST /chaos clears).
            """)
        @Option(help: "Port on 127.0.0.1 (0: one the kernel picks, printed once listening).")
        var port = 0
        @OptionGroup var worker: WorkerOptions

        func run() throws {
            let config = try worker.configuration()
            guard (0...65535).contains(port) else { throw InputError("--port must be 0…65535, not \(port)") }
            let server: WorkerServer
            server = try WorkerServer(config, port: port)
            print(WorkerAnnouncement.prefix + "\(server.port)")
            fflush(stdout)
            // A worker whose supervisor is gone (killed outright) ends too, rather than serve no one forever.
            let parent = getppid()
            while !Interrupt.isRequested && getppid() == parent { usleep(50_000) }
            server.stop()
        }
    }
}

/// `testbed.json`, as `scale` and `kill` read it.
struct TestbedStatus: Decodable {
    struct WorkerStatus: Decodable { var index: Int; var pid: Int; var port: Int; var ready: Bool; var stopping: Bool }
    var balancer: String
    var prometheus: String
    var workers: [WorkerStatus]
    var maxReplicas: Int
    /// The workers' configured truth (concurrency, work_mean, work_cv, startup_delay …).
    var worker: [String: Double]?
    /// When the testbed started (Unix seconds), from its event log.
    var started: Double?

    static func read(_ dir: String) throws -> TestbedStatus {
        let path = dir + "/testbed.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): no testbed here (start one with `testbed up --dir \(dir)`)")
        }
        var status: TestbedStatus
        do { status = try JSONDecoder().decode(TestbedStatus.self, from: data) }
        catch { throw InputError("\(path): not a testbed status file: \(error)") }
        let log = (try? String(contentsOfFile: dir + "/events.csv", encoding: .utf8)) ?? ""
        status.started = log.split(separator: "\n").dropFirst().first.flatMap { Double($0.prefix { $0 != "," }) }
        return status
    }

    enum CodingKeys: String, CodingKey { case balancer, prometheus, workers, worker, maxReplicas = "max_replicas" }
}

extension TestbedCommand {
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open-loop load from a trace: Poisson arrivals at the trace's rate, played at a time compression.",
            discussion: """
            Requests leave on schedule whether or not earlier ones were answered; latency counts from the \
            scheduled time. Prints requests by status and p50/p95/p99; --log writes every request.
            Example: \(CommandName.current) testbed load --dir tb --trace day.csv --compress 288 --peak-rate 60 --log latency.csv
            """)
        @Option(help: "The testbed's folder: load goes to its nginx.")
        var dir: String?
        @Option(help: "Or the URL to load (on 127.0.0.1).")
        var target: String?
        @Option(help: "The rate over time: a `timestamp,value` CSV or a Prometheus JSON export.")
        var trace: String
        @Option(help: "Trace seconds per wall second (288 plays a day in 5 minutes).")
        var compress = 1.0
        @Option(help: "Scale the trace so its highest rate is this many requests per second.")
        var peakRate: Double?
        @Option(help: "Or multiply the trace's rates by this.")
        var rateScale = 1.0
        @Option(help: "Stop after this many requests.")
        var maxRequests = 100_000
        @Option(help: "Requests outstanding at most; a request due beyond it is counted as not sent.")
        var maxInFlight = 512
        @Option(help: "Stop after this many wall seconds.")
        var maxSeconds = 3600.0
        @Option(help: "Seconds before a request is given up.")
        var timeout = 30.0
        @Option(help: "Seed of the arrival times.")
        var seed: UInt64 = 1
        @Option(help: "Write every request (scheduled,sent,latency,status) to this CSV.")
        var log: String?

        func run() throws {
            var problems: [String] = []
            var url = target
            if let dir {
                if target != nil { problems.append("--dir and --target: give one") }
                do { url = try TestbedStatus.read(dir).balancer + "/" } catch let e as InputError { problems.append(e.description) }
            } else if target == nil { problems.append("--dir or --target: where to send the load") }
            var series: MetricSeries?
            do { series = try MetricSeries.load(trace) } catch let e as TraceError { problems.append(e.description) }
            if let p = peakRate, !(p > 0 && p <= 100_000) { problems.append("--peak-rate must be more than 0 and at most 100000, not \(p)") }
            if !(rateScale > 0 && rateScale <= 100_000) { problems.append("--rate-scale must be more than 0 and at most 100000, not \(rateScale)") }
            guard problems.isEmpty, let series, let url else { throw InputError(problems.joined(separator: "\n")) }
            let peak = series.points.map(\.value).filter(\.isFinite).max() ?? 0
            let factor = peakRate.map { peak > 0 ? $0 / peak : 0 } ?? rateScale
            let rate = series.points.map { MetricSeries.Point(time: $0.time, value: $0.value * factor) }
            let generator = try LoadGenerator(.init(target: url, rate: rate, compression: compress, maxRequests: maxRequests,
                                                    maxInFlight: maxInFlight, maxSeconds: maxSeconds, timeout: timeout, seed: seed))
            let outcomes = try waitFor { try await generator.run(shouldStop: { Interrupt.isRequested }) }
            if let log {
                do { try AtomicWrite.write(LoadGenerator.csv(outcomes), to: log) }
                catch { throw InputError("--log \(log): cannot write: \(error.localizedDescription)") }
            }
            print(LoadSummary(outcomes).text)
        }
    }
}

/// What a load run did, in a few lines: requests by status, and latency quantiles of those answered.
struct LoadSummary {
    var requests: Int
    var byStatus: [Int: Int]
    var quantiles: [(String, Double)]

    init(_ outcomes: [LoadGenerator.Outcome]) {
        requests = outcomes.count
        byStatus = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
        let answered = outcomes.filter { $0.status == 200 }.map(\.latency).sorted()
        quantiles = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)].map { name, q in
            (name, answered.isEmpty ? .nan : answered[min(answered.count - 1, Int((Double(answered.count) * q).rounded(.up)) - 1)])
        }
    }

    var text: String {
        let statuses = byStatus.keys.sorted().map { "\($0 == 0 ? "no answer" : String($0)): \(byStatus[$0]!)" }.joined(separator: ", ")
        let latency = quantiles.map { String(format: "%@ %.1f ms", $0.0, $0.1 * 1000) }.joined(separator: "  ")
        return "\(requests) requests (\(statuses))\nlatency of 200s: \(latency)"
    }
}
