import Foundation
import Lab
import Recorder
import Telemetry

/// What one incident of a recorded run was, as data: its trigger, root cause, timeline, impact,
/// what the control plane did, and recommendations derived from the run. `markdown` renders it.
///
/// Everything is read through the results store's typed queries: the fault's kind and target come
/// from the `faults` table, never from an event's text.
public struct IncidentAnalysis: Sendable {
    public struct Impact: Sendable {
        public var service: String
        public var failed = 0, rejected = 0, timedOut = 0
        public var sloViolationMinutes = 0.0
        public var worstP95 = 0.0
        /// Replica cost above the 30 minutes before the incident.
        public var extraCost = 0.0
        public var peakDesired = 0
        /// Tries that arrived, and how many of them were retries.
        public var arrivals = 0, retries = 0
        /// Tries per first try over the incident (the Definitions article's retry amplification).
        public var retryAmplification: Double { arrivals > retries ? Double(arrivals) / Double(arrivals - retries) : 1 }
    }
    /// The injected fault active when the incident opened (or that started shortly before).
    public struct Cause: Sendable {
        public var fault: String
        /// The fault kind and the service it hit (nil for runs recorded before faults were).
        public var kind: String?
        public var targetService: String?
        public var start: Double
        public var detail: String
    }

    public var id: String
    public var scenario: String
    public var run: Int64
    public var seed: Int64
    /// The incident-open event's text, as the incident manager wrote it.
    public var trigger: String
    public var opened: Double
    /// nil: still open when the run ended (at `end`).
    public var closed: Double?
    public var end: Double
    public var cause: Cause?
    public var firstAnomaly: TimelineEvent?
    /// Everything but replica lifecycle events, from a minute before the cause to the close.
    public var timeline: [TimelineEvent]
    public var replicaStartsLeftOut: Int
    public var impact: [Impact]
    public var actions: [TimelineEvent]
    public var recommendations: [String]

    public var duration: Double { (closed ?? end) - opened }

    /// Every incident of `run`, in the order they opened.
    /// `shouldStop` is asked before each incident; stopping throws `Interrupted`.
    public static func analyse(_ store: ResultsStore, run: Int64, shouldStop: () -> Bool = { false }) throws -> [IncidentAnalysis] {
        guard let info = try store.runs().first(where: { $0.id == run }) else { return [] }
        let events = try store.events(run: run)
        let samples = try store.serviceSamples(run: run)
        let services = try store.serviceDescriptions(run: run)
        let slos = Dictionary(services.map { ($0.name, $0.slo) }, uniquingKeysWith: { a, _ in a })
        let prices = Dictionary(services.map { ($0.name, $0.pricePerReplicaHour) }, uniquingKeysWith: { a, _ in a })
        let faults = Dictionary(try store.faults(run: run).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let end = samples.last?.time ?? 0
        return try events.filter { $0.kind == .incidentOpen }.map { open in
            if shouldStop() { throw Interrupted() }
            let close = events.first { $0.kind == .incidentClose && $0.subject == open.subject }
            let closeT = close?.time ?? end
            let cause = events.filter { $0.kind == .faultStart }.last { f in
                let ended = events.first { $0.kind == .faultEnd && $0.subject == f.subject && $0.time >= f.time }?.time ?? .infinity
                return f.time <= open.time && open.time <= ended + 300
            }.map { f in
                Cause(fault: f.subject, kind: faults[f.subject]?.kind, targetService: faults[f.subject]?.targetService, start: f.time, detail: f.detail)
            }
            var a = IncidentAnalysis(id: open.subject, scenario: info.scenario, run: run, seed: info.seed, trigger: open.detail,
                                     opened: open.time, closed: close?.time, end: end, cause: cause,
                                     firstAnomaly: events.first { $0.kind == .anomaly && $0.time >= open.time - 600 && $0.time <= open.time + 60 },
                                     timeline: [], replicaStartsLeftOut: 0, impact: [], actions: [], recommendations: [])
            let from = min(open.time, cause?.start ?? open.time) - 60
            for e in events where e.time >= from && e.time <= closeT + 1 {
                if e.kind.isReplicaLifecycle { if e.kind == .replicaStarting { a.replicaStartsLeftOut += 1 } } else { a.timeline.append(e) }
            }
            a.actions = events.filter { $0.time >= (cause?.start ?? open.time) && $0.time <= closeT && $0.kind.isControlAction }

            // Impact over the incident, against the half hour before it.
            var impact: [String: Impact] = [:]
            var before: [String: (replicas: Double, desired: Double, n: Int)] = [:]
            for s in samples {
                if s.time > open.time - 15, s.time <= closeT {
                    var x = impact[s.service] ?? Impact(service: s.service)
                    x.failed += s.failed; x.rejected += s.rejected; x.timedOut += s.timedOut
                    x.arrivals += s.arrivals; x.retries += s.retries
                    if slos[s.service]?.isBreached(by: s) ?? false { x.sloViolationMinutes += s.interval / 60 }
                    x.extraCost += s.replicaSeconds * (prices[s.service] ?? 0) / 3600
                    x.worstP95 = max(x.worstP95, s.p95)
                    x.peakDesired = max(x.peakDesired, s.desiredReplicas)
                    impact[s.service] = x
                } else if s.time > open.time - 1800, s.time <= open.time - 15 {
                    let b = before[s.service] ?? (0, 0, 0)
                    before[s.service] = (b.replicas + s.replicaSeconds / s.interval, b.desired + Double(s.desiredReplicas), b.n + 1)
                }
            }
            let window = a.duration + 15
            a.impact = impact.values.sorted { $0.service < $1.service }.map { x in
                var x = x
                let baseline = before[x.service].map { $0.replicas / Double($0.n) } ?? 0
                x.extraCost = max(0, x.extraCost - baseline * window * (prices[x.service] ?? 0) / 3600)
                return x
            }
            a.recommendations = recommendations(a, events: events, samples: samples, slos: slos,
                                                baselineDesired: before.mapValues { $0.desired / Double($0.n) })
            return a
        }
    }

    /// Advice that follows from what the run shows (each rule states the figure that triggers it).
    static func recommendations(_ a: IncidentAnalysis, events: [TimelineEvent], samples: [ServiceSample], slos: [String: SLOTarget],
                                baselineDesired: [String: Double]) -> [String] {
        var recs: [String] = []
        let closeT = a.closed ?? a.end
        // Replica start-up against the time the system had before it breached.
        let starts = events.filter { $0.kind == .replicaStarting && $0.time >= a.opened - 600 && $0.time <= closeT }
        let startups = startUpDurations(of: starts, in: events)
        if let cause = a.cause, !startups.isEmpty,
           let firstBreach = samples.first(where: { $0.time > cause.start && (slos[$0.service]?.isBreached(by: $0) ?? false) })?.time {
            let meanStartup = startups.reduce(0, +) / Double(startups.count)
            let toBreach = firstBreach - cause.start
            if meanStartup > toBreach {
                let warm = max(1, a.impact.map { Int(Double($0.peakDesired) - (baselineDesired[$0.service] ?? 0)) }.max() ?? 1)
                recs.append("Replica start-up of \(Int(meanStartup)) s exceeds the time to breach (\(Int(toBreach)) s): keep \(warm) warm replica\(warm == 1 ? "" : "s") or scale on a forecast.")
            }
        }
        if let cause = a.cause, let detected = events.first(where: { $0.kind == .nodeFailureDetected && $0.time >= cause.start }) {
            let detect = detected.time - cause.start
            let recovered = a.closed.map { $0 - cause.start } ?? .infinity
            if detect >= 0.2 * recovered {
                recs.append("The heartbeat timeout dominates detection (\(Int(detect)) s of \(recovered.isFinite ? "\(Int(recovered)) s" : "an unfinished recovery")): a shorter timeout or more frequent checks would start the replacement sooner.")
            }
            if let p = events.first(where: { $0.kind == .nodeProvisioning && $0.time >= detected.time }),
               let r = events.first(where: { $0.kind == .nodeReady && $0.subject == p.subject }), r.time - p.time >= 0.3 * recovered {
                recs.append("Node start-up (\(Int(r.time - p.time)) s) is the largest part of recovery: keep a warm spare node, or leave room on the other nodes.")
            }
        }
        if let cause = a.cause, cause.kind == "latency", let target = cause.targetService {
            let upstream = a.impact.filter { $0.sloViolationMinutes > 0 && $0.service != target }.map(\.service)
            if !upstream.isEmpty {
                recs.append("Latency on \(target) propagated upstream to \(upstream.joined(separator: ", ")): give calls to \(target) a timeout below the caller's SLO and a fallback or circuit breaker.")
            }
        }
        for x in a.amplified {
            recs.append("Retries multiplied \(x.service)'s load \(String(format: "%.1f", x.retryAmplification))× (\(x.retries) retries): give its clients a retry budget (retries ≤ 10–20 % of requests) or shed arrivals behind a standing queue (`Admission(maxQueueWait:)`).")
        }
        let rejected = a.impact.reduce(0) { $0 + $1.rejected }, timedOut = a.impact.reduce(0) { $0 + $1.timedOut }
        if rejected > 0 && rejected >= timedOut { recs.append("Full queues rejected \(rejected) requests: scale sooner or allow a deeper queue where latency allows.") }
        if !a.actions.contains(where: { $0.kind.isScaling || $0.kind == .replace }) {
            recs.append("The control plane took no corrective action: give the affected service an autoscaling policy (compare them with `\(CommandName.current) compare`).")
        }
        if recs.isEmpty { recs.append("None: detection, mitigation and recovery were quick for this fault.") }
        return recs
    }
}

extension IncidentAnalysis {
    /// How long each of `starts` took to become ready: paired with the first ready event of the same replica
    /// after it and before that name starts again (names are reused, and a restart starts again); a start
    /// that never became ready is left out.
    static func startUpDurations(of starts: [TimelineEvent], in events: [TimelineEvent]) -> [Double] {
        func timesBySubject(_ kind: EventKind) -> [String: [Double]] {
            Dictionary(grouping: events.filter { $0.kind == kind }, by: \.subject).mapValues { $0.map(\.time).sorted() }
        }
        let readies = timesBySubject(.replicaReady), startTimes = timesBySubject(.replicaStarting)
        return starts.compactMap { s in
            let nextStart = startTimes[s.subject]?.first { $0 > s.time } ?? .infinity
            guard let ready = readies[s.subject]?.first(where: { $0 >= s.time }), ready < nextStart else { return nil }
            return ready - s.time
        }
    }

    static func hhmmss(_ t: Double) -> String {
        let s = Int(t.rounded())
        return String(format: "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }

    /// Markdown table cells hold text from the run as data (no pipes, no line breaks).
    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ") }

    /// Services whose retries multiplied their load by a material factor (≥ 1.5 tries per request)
    /// during the incident: retry amplification is then a cause, not a bystander.
    public var amplified: [Impact] { impact.filter { $0.retryAmplification >= 1.5 } }

    /// The post-incident report.
    public var markdown: String {
        let h = Self.hhmmss, cell = Self.cell
        var md = "# \(cell(id)): \(cell(trigger))\n\n"
        md += "Scenario `\(cell(scenario))`, run \(run), seed \(UInt64(bitPattern: seed)). Opened at \(h(opened)) (simulated), "
        md += closed != nil ? "closed at \(h(closed!)) after \(Int(duration)) s.\n\n" : "still open at the end of the run.\n\n"
        md += "## Summary\n\n"
        if let cause {
            md += "The incident was caused by the injected fault **\(cell(cause.fault))** (\(cell(cause.detail))), which started at \(h(cause.start)), "
            md += "\(Int(opened - cause.start)) s before the incident was opened.\n"
            for x in amplified {
                md += "**Retry amplification** kept it going: \(cell(x.service)) received \(String(format: "%.1f", x.retryAmplification)) tries per request "
                md += "(\(x.retries) retries), so the load it saw exceeded the external arrival rate by that factor.\n"
            }
        } else if let firstAnomaly {
            md += "No fault was injected; the first anomalous metric was **\(cell(firstAnomaly.detail))** on \(cell(firstAnomaly.subject)) at \(h(firstAnomaly.time)).\n"
        } else {
            md += "No fault was injected and no anomaly preceded it: the trigger was the SLO breach itself (\(cell(trigger))).\n"
        }
        // Said as the impact table counts them: failed, rejected and timed out apart.
        let (failed, rejected, timedOut) = impact.reduce((0, 0, 0)) { ($0.0 + $1.failed, $0.1 + $1.rejected, $0.2 + $1.timedOut) }
        md += "It cost \(failed + rejected + timedOut) requests (\(failed) failed, \(rejected) rejected, \(timedOut) timed out) and "
            + "\(String(format: "%.2f", impact.reduce(0) { $0 + $1.sloViolationMinutes })) SLO-violation minutes.\n\n"
        md += "## Timeline\n\n| time | what | detail |\n|---|---|---|\n"
        for e in timeline { md += "| \(h(e.time)) | \(e.kind) \(cell(e.subject)) | \(cell(e.detail)) |\n" }
        if replicaStartsLeftOut > 0 { md += "\n(\(replicaStartsLeftOut) replica start-ups in this window are left out of the table.)\n" }
        md += "\n## Impact\n\n| service | failed | rejected | timed out | SLO-violation min | worst p95 | extra cost |\n|---|---|---|---|---|---|---|\n"
        for x in impact {
            md += "| \(cell(x.service)) | \(x.failed) | \(x.rejected) | \(x.timedOut) | \(String(format: "%.2f", x.sloViolationMinutes)) | "
            md += "\(Int((x.worstP95 * 1000).rounded())) ms | \(String(format: "$%.2f", x.extraCost)) |\n"
        }
        md += "\n## What the control plane did\n\n"
        if actions.isEmpty { md += "Nothing: no scaling, replacement or failover happened during the incident.\n" }
        for a in actions { md += "- \(h(a.time)) \(a.kind) \(cell(a.subject)): \(cell(a.detail))\n" }
        md += "\n## Recommendations\n\n" + recommendations.map { "- \($0)" }.joined(separator: "\n") + "\n"
        return md
    }
}
