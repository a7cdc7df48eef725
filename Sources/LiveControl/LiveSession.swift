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
    private var healer: ReplicaHealer?
    /// Replicas the actuator last set (control): the acting policy's current replicas.
    private var actuated: Int?
    private var available = true
    private let resuming: Resumption?
    /// Unix time of the session's t = 0.
    public let origin: Double

    /// What one poll did, for a progress line.
    public struct Poll: Sendable {
        public var time: Double
        public var sample: ServiceSample
        public var reads: [LiveRead]
        public var decisions: [ScalingDecision]
        public var actions: [LiveAction]
    }

    /// - Parameter resuming: a stopped session to go on with: its policies relive what it read before the first poll.
    public init(plan: SessionPlan, reader: SignalReader, store: ResultsStore, toolVersion: String,
                actuator: (any Actuator)? = nil, safety: ActuationGuard = ActuationGuard(), resuming: Resumption? = nil) throws {
        let (policies, bounds) = try plan.resolvePolicies()
        var panel = PolicyPanel(service: plan.service, policies: policies, bounds: bounds, acting: plan.acting)
        var builder = LiveSampleBuilder(signals: plan.signals, interval: plan.interval)
        var healer = plan.healer()
        if let resuming {
            SessionReplay.relive(resuming.reads, panel: &panel, builder: &builder, healer: &healer)
            // The acting policy's replicas are what the actuator last set, as recorded.
            actuated = resuming.reads.last { $0.signal == LiveSignal.replicas.rawValue && $0.status == .ok }?.value.map { Int($0.rounded()) }
        }
        self.plan = plan; self.reader = reader; self.store = store; self.actuator = actuator; self.safety = safety
        self.panel = panel; self.builder = builder; self.healer = healer; self.resuming = resuming
        // Polls fall on multiples of the interval in Unix time, as the query range steps do; a resumed session keeps its clock.
        let origin = resuming?.origin ?? (Date().timeIntervalSince1970 / plan.interval).rounded(.up) * plan.interval
        self.origin = origin
        var parameters = ["plan": try plan.json(), "prometheus": plan.prometheus, "origin": String(origin)]
        if let resuming { parameters["resumes"] = String(resuming.run) }
        let meta = RunMetadata(scenario: plan.mode, seed: 0, parameters: parameters,
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
        let origin = self.origin
        var k = 0, polls = 0, skipped = 0
        var whySkipped = ""
        if let resuming {
            // Go on from the next tick to come, to the end the session was planned to have.
            k = max(0, Int(((Date().timeIntervalSince1970 - origin) / plan.interval).rounded(.up)))
            skipped = max(0, k - 1 - resuming.lastTick)
            whySkipped = "while the session was stopped (resumed from run \(resuming.run))"
        }
        var status = RunStatus.finished
        do {
            while Double(k) * plan.interval <= plan.duration + 1e-9 {
                let tick = origin + Double(k) * plan.interval
                // A scrape at the tick needs a moment to land: evaluate at the tick, ask a little after it.
                guard await Self.sleep(until: tick + 0.25, unless: shouldStop) else { status = .aborted; break }
                let poll = try await pollOnce(unixTime: tick, time: tick - origin, skipped: skipped, whySkipped: whySkipped)
                polls += 1
                progress(poll)
                // Behind (a slow answer, a stopped machine): go on from the next tick to come, not every missed one,
                // and say so with that poll.
                let next = max(k + 1, Int(((Date().timeIntervalSince1970 - origin) / plan.interval).rounded(.up)))
                skipped = next - k - 1
                whySkipped = "the previous one ended \(skipped) interval\(skipped == 1 ? "" : "s") late"
                k = next
            }
        } catch {
            writer.abandon(status: .failed)
            throw error
        }
        try writer.finish(status: status, wallSeconds: Date().timeIntervalSince(started), events: UInt64(polls), figures: [], latencyHistogram: [:])
        return polls
    }

    func pollOnce(unixTime: Double, time: Double, skipped: Int = 0, whySkipped: String = "") async throws -> Poll {
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
        if skipped > 0 {
            step.events.append(TimelineEvent(time: time, kind: .pollsSkipped, subject: plan.service,
                                             detail: "\(skipped) poll\(skipped == 1 ? "" : "s") missed: \(whySkipped)"))
        }
        var actions: [LiveAction] = []
        for case .setReplicas(let service, let count, let reason) in step.actions {
            actions.append(await act(service: service, replicas: count, reason: reason, time: time))
        }
        if let query = plan.replicaHealthQuery, var healer {
            var health = await reader.readReplicas(query, service: plan.service, unixTime: unixTime, time: time)
            if let stale = reads.first(where: { $0.status == .stale }) {
                for i in health.indices where health[i].status == .ok { health[i].status = .stale; health[i].value = nil; health[i].detail += "; " + stale.detail }
            }
            let verdict = healer.observe(health, at: time)
            self.healer = healer
            step.events += verdict.events
            for (replica, reason) in verdict.replace {
                actions.append(await replace(replica, reason: reason, time: time))
            }
            reads += health
        }
        for action in actions where action.outcome == "error" {
            step.events.append(TimelineEvent(time: time, kind: .actuationFailed, subject: action.replica ?? action.service, detail: action.detail))
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

    /// The self-healer's replacement: the kill switch and dry run, then the actuator.
    func replace(_ replica: String, reason: String, time: Double) async -> LiveAction {
        let count = actuated ?? 0
        let kind = actuator?.kind ?? "none"
        let skip = { (why: String) in LiveAction(time: time, service: self.plan.service, replicas: count, actuator: kind, outcome: "skipped", detail: why, replica: replica) }
        if let why = safety.refusesReplacement(of: replica) { return skip(why) }
        guard let actuator else { return skip("no actuator") }
        let (done, detail) = await actuator.replace(service: plan.service, replica: replica, reason: reason)
        return LiveAction(time: time, service: plan.service, replicas: count, actuator: kind, outcome: done ? "done" : "error", detail: detail, replica: replica)
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

/// A stopped live session to go on with (`--resume RUN`): its plan, its clock, and every read it (and any
/// session it resumed) recorded, for the policies to relive before the first new poll.
public struct Resumption: Sendable {
    public var run: Int64
    public var plan: SessionPlan
    /// Unix time of the session's t = 0.
    public var origin: Double
    /// The reads of the whole chain, oldest first.
    public var reads: [LiveRead]
    /// The last poll recorded, in intervals from the origin.
    public var lastTick: Int { Int(((reads.last?.time ?? 0) / plan.interval).rounded()) }

    public static func load(store: ResultsStore, run: Int64) throws -> Resumption {
        var chain: [Int64] = []
        var next: Int64? = run
        var first: (plan: SessionPlan, origin: Double)?
        let runs = try store.runs()
        while let id = next {
            guard chain.count < 10_000, !chain.contains(id) else { throw LiveSessionError(["run \(run): its chain of resumed sessions loops"]) }
            guard let record = runs.first(where: { $0.id == id }) else { throw LiveSessionError(["no run \(id) in the database"]) }
            let parameters = (try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8))) as? [String: String] ?? [:]
            guard let json = parameters["plan"] else {
                throw LiveSessionError(["run \(id) is a \(record.scenario) run, not a live session (shadow or control)"])
            }
            guard let origin = parameters["origin"].flatMap(Double.init) else {
                throw LiveSessionError(["run \(id) was recorded without its clock (by an older Stormglass): it cannot be resumed"])
            }
            if first == nil { first = (try SessionPlan.decode(json), origin) }
            chain.append(id)
            next = parameters["resumes"].flatMap { Int64($0) }
        }
        var reads: [LiveRead] = []
        for id in chain.reversed() { reads += try store.liveReads(run: id) }
        return Resumption(run: run, plan: first!.plan, origin: first!.origin, reads: reads)
    }
}

/// Re-runs a recorded live session offline: the same plan, the recorded reads, poll by poll.
public enum SessionReplay {
    /// Recorded reads cut into polls (the reads of one poll share its time), in order.
    static func polls(_ reads: [LiveRead]) -> [ArraySlice<LiveRead>] {
        var polls: [ArraySlice<LiveRead>] = []
        var i = 0
        while i < reads.count {
            var j = i
            while j < reads.count && reads[j].time == reads[i].time { j += 1 }
            polls.append(reads[i..<j])
            i = j
        }
        return polls
    }

    /// Feeds recorded reads, poll by poll, to the policies and the healer; their answers are not kept.
    static func relive(_ reads: [LiveRead], panel: inout PolicyPanel, builder: inout LiveSampleBuilder, healer: inout ReplicaHealer?) {
        for poll in polls(reads) {
            let time = poll.first!.time
            _ = panel.observe(builder.sample(at: time, from: Array(poll)))
            _ = healer?.observe(poll.filter { $0.signal == ReplicaHealer.signal }, at: time)
        }
    }

    public struct Outcome: Sendable {
        public var polls: Int
        public var decisions: Int
        /// Positions where the replayed decision differs from the recorded one (or one side has none).
        public var divergent: [(index: Int, recorded: String?, replayed: String?)]
        /// The self-healer's replacements recorded (done, refused or dry-run).
        public var replacements: Int = 0
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
        var healer = plan.healer()
        // A resumed session's policies had lived through the sessions before it.
        if let earlier = parameters["resumes"].flatMap({ Int64($0) }) {
            SessionReplay.relive(try Resumption.load(store: store, run: earlier).reads, panel: &panel, builder: &builder, healer: &healer)
        }
        var replayed: [ScalingDecision] = []
        var replayedReplacements: [String] = []
        let polls = Self.polls(try store.liveReads(run: run))
        for poll in polls {
            let time = poll.first!.time
            replayed += panel.observe(builder.sample(at: time, from: Array(poll))).decisions
            if healer != nil {
                replayedReplacements += healer!.observe(poll.filter { $0.signal == ReplicaHealer.signal }, at: time).replace
                    .map { "\(String(time.bitPattern)) replace \($0.replica)" }
            }
        }
        // Replacements after the scaling decisions, in the order each side made them.
        let recordedReplacements = try store.liveActions(run: run).compactMap { a in a.replica.map { "\(String(a.time.bitPattern)) replace \($0)" } }
        let recordedLines = try store.recordedDecisionLines(run: run) + recordedReplacements
        let replayedLines = ResultsStore.decisionLines(replayed) + replayedReplacements
        var divergent: [(Int, String?, String?)] = []
        for k in 0..<max(recordedLines.count, replayedLines.count) {
            let a = k < recordedLines.count ? recordedLines[k] : nil, b = k < replayedLines.count ? replayedLines[k] : nil
            if a != b { divergent.append((k, a, b)) }
        }
        return Outcome(polls: polls.count, decisions: recordedLines.count - recordedReplacements.count, divergent: divergent,
                       replacements: recordedReplacements.count)
    }
}
