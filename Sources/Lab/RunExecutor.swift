import Foundation
import Recorder
import ScenarioKit
import Telemetry

/// The version recorded with every run.
public let toolVersion = "0.2.0"

/// One run to execute: a validated spec, a seed, and how to label it in the database.
public struct RunJob: Sendable {
    public var spec: ScenarioSpec
    public var seed: UInt64
    public var label: String
    public var replication: Int
    /// The `--set` overrides (and sweep values) that made `spec`, recorded with the run.
    public var parameters: [String: String]
    public init(spec: ScenarioSpec, seed: UInt64, label: String = "", replication: Int = 0, parameters: [String: String] = [:]) {
        self.spec = spec; self.seed = seed; self.label = label; self.replication = replication; self.parameters = parameters
    }
}

public struct CompletedRun: Sendable {
    public var job: RunJob
    public var runID: Int64
    public var result: RunResult
}

/// Where progress goes (a terminal line, or nowhere).
public protocol RunProgressDisplay: Sendable {
    /// One run's simulated time and speed.
    func update(label: String, _ progress: RunProgress)
    /// Runs done of many.
    func update(done: Int, of total: Int, started: Date)
    func finish()
}

/// Shows nothing.
public struct NoProgress: RunProgressDisplay {
    public init() {}
    public func update(label: String, _ progress: RunProgress) {}
    public func update(done: Int, of total: Int, started: Date) {}
    public func finish() {}
}

/// Streams a run into a `RunWriter` and reports progress.
public final class RecordingObserver: RunObserver {
    let writer: RunWriter
    let onProgress: (RunProgress) -> Void
    public init(writer: RunWriter, onProgress: @escaping (RunProgress) -> Void) { self.writer = writer; self.onProgress = onProgress }
    public func observe(_ scrape: Scrape) throws { try writer.append(scrape) }
    public func observe(_ events: [TimelineEvent]) throws { try writer.append(events) }
    public func observe(_ predictions: [PredictionRecord]) throws { try writer.append(predictions) }
    public func observe(_ decisions: [ScalingDecision]) throws { try writer.append(decisions) }
    public func progress(_ p: RunProgress) { onProgress(p) }
}

/// Runs jobs on all cores (each run single-threaded), recording each into the store. Stops taking new
/// runs, and ends the running ones as aborted after their current scrape, once `Interrupt` is requested.
public struct RunExecutor {
    public let store: ResultsStore
    public let progress: any RunProgressDisplay
    public var parallelism = ProcessInfo.processInfo.activeProcessorCount
    /// What each run keeps (a league or a big sweep needs only summaries and decisions).
    public var recording = RecordingLevel.all

    public init(store: ResultsStore, progress: any RunProgressDisplay = NoProgress()) { self.store = store; self.progress = progress }

    public func run(_ jobs: [RunJob]) throws -> [CompletedRun] {
        let started = Date()
        let lock = NSLock()
        var completed: [CompletedRun?] = Array(repeating: nil, count: jobs.count)
        var firstError: Error?
        var done = 0
        let next = Counter()
        let workers = max(1, min(parallelism, jobs.count))
        // Runs are recorded (numbered) one at a time in job order, so run ids follow the seeds.
        let starting = NSLock()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                starting.lock()
                let i = next.take()
                guard i < jobs.count, !Interrupt.isRequested else { starting.unlock(); return }
                lock.lock(); let failed = firstError != nil; lock.unlock()
                if failed { starting.unlock(); return }
                do {
                    let prepared: (ScenarioRunner, RunWriter)
                    do { defer { starting.unlock() }; prepared = try begin(jobs[i]) }
                    let c = try run(jobs[i], prepared, showRunProgress: jobs.count == 1, writesInBackground: workers == 1)
                    lock.lock()
                    completed[i] = c
                    done += 1
                    let d = done
                    lock.unlock()
                    if jobs.count > 1 { progress.update(done: d, of: jobs.count, started: started) }
                } catch {
                    lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                }
            }
        }
        progress.finish()
        if let firstError { throw firstError }
        return completed.compactMap { $0 }
    }

    /// Runs and records one job. Recording goes to a background thread only when this is the
    /// sole run going (otherwise the other cores are busy simulating anyway).
    public func runOne(_ job: RunJob, showRunProgress: Bool, writesInBackground: Bool = true) throws -> CompletedRun {
        try run(job, begin(job), showRunProgress: showRunProgress, writesInBackground: writesInBackground)
    }

    /// The job's simulation, and its run recorded as `running` (which gives it its id).
    func begin(_ job: RunJob) throws -> (ScenarioRunner, RunWriter) {
        let runner = try ScenarioRunner(spec: job.spec, seed: job.seed)
        let writer = try store.beginRun(RunMetadata(
            scenario: job.spec.name, seed: job.seed, parameters: job.parameters, label: job.label,
            replication: job.replication, toolVersion: toolVersion, simulatedSeconds: job.spec.duration.seconds,
            scrapeSeconds: job.spec.scrapeInterval.seconds,
            services: job.spec.services.map {
                .init(name: $0.name, sloP95Seconds: $0.slo.p95.seconds, sloErrorRate: $0.slo.errorRate,
                      pricePerReplicaHour: $0.model.pricePerReplicaHour, policy: $0.policy.name,
                      capacityPerReplica: job.spec.nominalCapacityPerReplica($0.name))
            },
            pools: job.spec.pools.map { (name: $0.name, pricePerHour: $0.pricePerHour) },
            faults: job.spec.faults.map { f in
                let service: String? = switch f.target {
                case .service(let s): s
                case .call(_, let to): to
                default: nil
                }
                return .init(name: f.name, kind: f.kind.name, target: f.target.description, targetService: service,
                             start: f.start.seconds, duration: f.duration?.seconds)
            }, recording: recording))
        return (runner, writer)
    }

    func run(_ job: RunJob, _ prepared: (runner: ScenarioRunner, writer: RunWriter), showRunProgress: Bool, writesInBackground: Bool) throws -> CompletedRun {
        let (runner, writer) = prepared
        writer.writesInBackground = writesInBackground
        let label = job.spec.name
        let observer = RecordingObserver(writer: writer) { p in
            if showRunProgress { progress.update(label: label, p) }
        }
        do {
            let result = try runner.run(observer: observer, shouldStop: { Interrupt.isRequested })
            try writer.finish(status: result.status, wallSeconds: result.wallSeconds, events: result.events,
                              figures: result.summary.figures, latencyHistogram: result.latencyBuckets,
                              accuracy: result.accuracy)
            return CompletedRun(job: job, runID: writer.runID, result: result)
        } catch {
            writer.abandon(status: .failed)
            throw error
        }
    }
}

/// A shared index for worker threads.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { value += 1; lock.unlock() }; return value }
}
