import ControlPlane
import Foundation
import LiveMetrics
import Recorder
import Telemetry

/// A live session: every `interval` it reads the service's signals from Prometheus, turns them into
/// a sample, lets every policy decide, applies the acting policy's changes through the safety layer
/// and the actuator (control), and records all of it — reads, sample, decisions, actions — in one
/// transaction per poll, so a session stopped at any moment keeps every poll before it.
public final class LiveSession: @unchecked Sendable {
    public let plan: SessionPlan
    public let runID: Int64
    private let reader: SignalReader
    private let store: ResultsStore
    private let writer: RunWriter
    private let actuator: (any Actuator)?
    private var safety: ActuationGuard
    private var panel: PolicyPanel
    private var builder: LiveSampleBuilder
    /// Replicas the actuator last set (control): the acting policy's current replicas.
    private var actuated: Int?
    private var available = true

    /// What one poll did, for a progress line.
    public struct Poll: Sendable {
        public var time: Double
        public var sample: ServiceSample
        public var reads: [LiveRead]
        public var decisions: [ScalingDecision]
        public var actions: [LiveAction]
    }

    public init(plan: SessionPlan, reader: SignalReader, store: ResultsStore, toolVersion: String,
                actuator: (any Actuator)? = nil, safety: ActuationGuard = ActuationGuard()) throws {
        let (policies, bounds) = try plan.resolvePolicies()
        self.plan = plan; self.reader = reader; self.store = store; self.actuator = actuator; self.safety = safety
        panel = PolicyPanel(service: plan.service, policies: policies, bounds: bounds, acting: plan.acting)
        builder = LiveSampleBuilder(signals: plan.signals, interval: plan.interval)
        let meta = RunMetadata(scenario: plan.mode, seed: 0, parameters: ["plan": try plan.json(), "prometheus": plan.prometheus],
                               label: panel.names.joined(separator: "+"), replication: 0, toolVersion: toolVersion,
                               simulatedSeconds: plan.duration, scrapeSeconds: plan.interval,
                               services: [.init(name: plan.service, sloP95Seconds: 0, sloErrorRate: 0, pricePerReplicaHour: 0,
                                                policy: plan.acting ?? panel.names[0], capacityPerReplica: 0)],
                               pools: [])
        writer = try store.beginRun(meta)
        writer.writesInBackground = false
        runID = writer.runID
    }

    /// Polls until the planned duration is over or `shouldStop` says so; `progress` hears of each poll.
    /// Returns the number of polls made.
    @discardableResult
    public func run(shouldStop: @escaping @Sendable () -> Bool, progress: (Poll) -> Void = { _ in }) async throws -> Int {
        let started = Date()
        // Polls fall on multiples of the interval in Unix time, as the query range steps do.
        let origin = (Date().timeIntervalSince1970 / plan.interval).rounded(.up) * plan.interval
        var k = 0, polls = 0
        var status = RunStatus.finished
        do {
            while Double(k) * plan.interval <= plan.duration + 1e-9 {
                let tick = origin + Double(k) * plan.interval
                // A scrape at the tick needs a moment to land: evaluate at the tick, ask a little after it.
                guard await Self.sleep(until: tick + 0.25, unless: shouldStop) else { status = .aborted; break }
                let poll = try await pollOnce(unixTime: tick, time: tick - origin)
                polls += 1
                progress(poll)
                // Behind (a slow answer, a stopped machine): go on from the next tick to come, not every missed one.
                k = max(k + 1, Int(((Date().timeIntervalSince1970 - origin) / plan.interval).rounded(.up)))
            }
        } catch {
            writer.abandon(status: .failed)
            throw error
        }
        try writer.finish(status: status, wallSeconds: Date().timeIntervalSince(started), events: UInt64(polls), figures: [], latencyHistogram: [:])
        return polls
    }

    func pollOnce(unixTime: Double, time: Double) async throws -> Poll {
        var reads = await reader.read(plan.signals, unixTime: unixTime, time: time)
        if plan.acting != nil, plan.queries[LiveSignal.replicas.rawValue] == nil {
            // What the actuator last set is the Deployment's spec.replicas: recorded as a read, so the replay sees it too.
            let ready = reads.first { $0.signal == LiveSignal.ready.rawValue && $0.status == .ok }?.value.map { Int($0.rounded()) }
            if actuated == nil { actuated = ready }
            if let actuated {
                reads.append(LiveRead(time: time, service: plan.service, signal: LiveSignal.replicas.rawValue, query: "(replicas the actuator last set)",
                                      status: .ok, value: Double(actuated)))
            }
        }
        let sample = builder.sample(at: time, from: reads)
        var step = panel.observe(sample)
        if sample.metricsAvailable != available {
            available = sample.metricsAvailable
            let unreadable = reads.filter { $0.status != .ok }.map { "\($0.signal) \($0.status.rawValue)\($0.detail.isEmpty ? "" : ": \($0.detail)")" }
            step.events.append(TimelineEvent(time: time, kind: available ? .metricsRestored : .metricsUnavailable, subject: plan.service,
                                             detail: available ? "every signal read" : unreadable.joined(separator: "; ")))
        }
        var actions: [LiveAction] = []
        for case .setReplicas(let service, let count, let reason) in step.actions {
            let action = await act(service: service, replicas: count, reason: reason, time: time)
            if action.outcome == "error" {
                step.events.append(TimelineEvent(time: time, kind: .actuationFailed, subject: service, detail: action.detail))
            }
            actions.append(action)
        }
        try store.appendLiveReads(run: runID, reads, actions: actions)
        try writer.append(Scrape(time: time, interval: plan.interval, services: [sample], nodes: []))
        try writer.append(step.decisions)
        try writer.append(step.events)
        try writer.flush()
        return Poll(time: time, sample: sample, reads: reads, decisions: step.decisions, actions: actions)
    }

    /// The safety layer, then the actuator.
    func act(service: String, replicas wanted: Int, reason: String, time: Double) async -> LiveAction {
        let current = actuated ?? wanted
        let kind = actuator?.kind ?? "none"
        switch safety.judge(current: current, wanted: wanted, at: time) {
        case .skip(let why):
            return LiveAction(time: time, service: service, replicas: wanted, actuator: kind, outcome: "skipped", detail: why)
        case .wouldAct(let replicas, let cut):
            return LiveAction(time: time, service: service, replicas: replicas, actuator: kind, outcome: "skipped",
                              detail: "dry run: would set \(current) → \(replicas)" + (cut.map { " (\($0))" } ?? ""))
        case .act(let replicas, let cut):
            guard let actuator else {
                return LiveAction(time: time, service: service, replicas: replicas, actuator: kind, outcome: "skipped", detail: "no actuator")
            }
            let (done, detail) = await actuator.apply(service: service, replicas: replicas, reason: reason)
            if done {
                safety.done(from: current, to: replicas, at: time)
                actuated = replicas
            }
            return LiveAction(time: time, service: service, replicas: replicas, actuator: kind, outcome: done ? "done" : "error",
                              detail: detail + (cut.map { " (\($0))" } ?? ""))
        }
    }

    /// Sleeps until `unixTime` in short steps; false if `shouldStop` said so first.
    static func sleep(until unixTime: Double, unless shouldStop: @Sendable () -> Bool) async -> Bool {
        while true {
            if shouldStop() { return false }
            let left = unixTime - Date().timeIntervalSince1970
            if left <= 0 { return true }
            try? await Task.sleep(nanoseconds: UInt64(min(left, 0.2) * 1e9))
        }
    }
}

/// Re-runs a recorded live session offline: the same plan, the recorded reads, poll by poll.
public enum SessionReplay {
    public struct Outcome: Sendable {
        public var polls: Int
        public var decisions: Int
        /// Positions where the replayed decision differs from the recorded one (or one side has none).
        public var divergent: [(index: Int, recorded: String?, replayed: String?)]
    }

    public static func run(store: ResultsStore, run: Int64) throws -> Outcome {
        guard let record = try store.runs().first(where: { $0.id == run }) else { throw LiveSessionError(["no run \(run) in the database"]) }
        let parameters = (try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8))) as? [String: String] ?? [:]
        guard let json = parameters["plan"] else {
            throw LiveSessionError(["run \(run) is a \(record.scenario) run, not a live session (shadow or control): nothing to replay"])
        }
        let plan = try SessionPlan.decode(json)
        let (policies, bounds) = try plan.resolvePolicies()
        var panel = PolicyPanel(service: plan.service, policies: policies, bounds: bounds, acting: plan.acting)
        var builder = LiveSampleBuilder(signals: plan.signals, interval: plan.interval)
        var replayed: [ScalingDecision] = []
        var polls = 0
        let reads = try store.liveReads(run: run)
        var i = 0
        while i < reads.count {
            var j = i
            while j < reads.count && reads[j].time == reads[i].time { j += 1 }
            let sample = builder.sample(at: reads[i].time, from: Array(reads[i..<j]))
            replayed += panel.observe(sample).decisions
            polls += 1
            i = j
        }
        let recordedLines = try store.recordedDecisionLines(run: run)
        let replayedLines = ResultsStore.decisionLines(replayed)
        var divergent: [(Int, String?, String?)] = []
        for k in 0..<max(recordedLines.count, replayedLines.count) {
            let a = k < recordedLines.count ? recordedLines[k] : nil, b = k < replayedLines.count ? replayedLines[k] : nil
            if a != b { divergent.append((k, a, b)) }
        }
        return Outcome(polls: polls, decisions: recordedLines.count, divergent: divergent)
    }
}
