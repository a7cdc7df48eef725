import Foundation
import Telemetry

public struct IncidentSettings: Sendable, Equatable {
    /// An incident closes when its service has met its SLO continuously this long.
    public var stabilityWindow: Double
    /// After closing, the same key does not reopen within this time (de-duplication of flapping).
    public var cooldown: Double
    /// Watch each service's latency, errors, traffic and memory for anomalies: raise alerts, and open incidents
    /// on those that hurt and last (``anomalyScrapes``).
    public var anomalyDetection: Bool
    /// A sudden anomaly in the direction that hurts (latency or errors up, traffic down) opens an incident once
    /// it has lasted this many scrapes; a slow shift (a latency creep, a memory leak) opens one when found.
    /// 0: anomalies raise alerts only.
    public var anomalyScrapes: Int
    public init(stabilityWindow: Double = 120, cooldown: Double = 300, anomalyDetection: Bool = true, anomalyScrapes: Int = 4) {
        self.stabilityWindow = stabilityWindow; self.cooldown = cooldown; self.anomalyDetection = anomalyDetection
        self.anomalyScrapes = anomalyScrapes
    }
}

/// Opens incidents from SLO breaches, critical anomalies and node failures; records the control
/// plane's responses on their timeline; closes them when the SLO has held for the stability window.
public struct IncidentManager: Sendable {
    public typealias SLOTarget = Telemetry.SLOTarget

    struct Incident: Sendable {
        var id: Int
        var key: String
        var opened: Double
        var severity: Severity
        var trigger: String
        var healthySince: Double?
    }

    let settings: IncidentSettings
    let slos: [String: SLOTarget]
    var open: [String: Incident] = [:]
    var closedAt: [String: Double] = [:]
    var nextID = 1
    var watches: [String: [Watch]] = [:]

    /// One metric of a service under an anomaly detector: `spike` or `shift`.
    struct Watch: Sendable {
        var metric: String
        var value: KeyPath<ServiceSample, Double> & Sendable
        /// A sudden departure from the recent baseline (critical severity only). Optional rather than an enum's
        /// payload so it is updated in place: a copy taken out would copy its baseline and seasonal profiles.
        var spike: AnomalyDetector?
        /// A slow change of level against the hours before.
        var shift: LevelShiftDetector?
        /// Which way hurts: only an anomaly that way opens an incident.
        var harmful: LevelShiftDetector.Direction
        /// Only scrapes that served requests count (a latency of an idle interval says nothing).
        var needsRequests = false
        /// Scrapes in a row this watch has alerted (0: quiet).
        var alerting = 0
    }

    public init(settings: IncidentSettings, slos: [String: SLOTarget]) { self.settings = settings; self.slos = slos }

    /// Feeds one scrape plus what else the control plane noticed; returns timeline events.
    public mutating func observe(_ scrape: Scrape, nodeFailures: [TimelineEvent], responses: [ScalingDecision], actions: [ControlAction]) -> [TimelineEvent] {
        var events: [TimelineEvent] = []
        let now = scrape.time
        for f in nodeFailures {
            openIncident(key: Self.nodeKeyPrefix + f.subject, severity: .critical, trigger: "node \(f.subject) failed: \(f.detail)", at: now, &events)
        }
        for s in scrape.services {
            guard let slo = slos[s.service] else { continue }
            let breach = slo.isBreached(by: s)
            if breach {
                let what = s.errorRate > slo.errorRate
                    ? String(format: "error rate %.2f%% > %.2f%%", s.errorRate * 100, slo.errorRate * 100)
                    : String(format: "p95 %.0f ms > %.0f ms", s.p95 * 1000, slo.p95 * 1000)
                let severity = s.errorRate > 5 * slo.errorRate || s.p95 > 3 * slo.p95 ? Severity.critical : .major
                openIncident(key: s.service, severity: severity, trigger: "\(s.service) SLO breach: \(what)", at: now, &events)
            }
            if settings.anomalyDetection { detect(s, at: now, &events) }
            // Health for closing: the service's own incident, and node incidents wait for all services.
            if var inc = open[s.service] {
                if breach { inc.healthySince = nil } else if inc.healthySince == nil { inc.healthySince = now - s.interval }
                open[s.service] = inc
            }
        }
        let anyBreach = scrape.services.contains { s in slos[s.service]?.isBreached(by: s) ?? false }
        for key in open.keys where key.hasPrefix(Self.nodeKeyPrefix) {
            if anyBreach { open[key]!.healthySince = nil } else if open[key]!.healthySince == nil { open[key]!.healthySince = now - scrape.interval }
        }
        // Responses taken while incidents are open go on their timelines.
        if !open.isEmpty {
            let ids = open.values.map { "INC-\($0.id)" }.sorted().joined(separator: ",")
            for d in responses where !d.dryRun && d.final > d.current {
                events.append(TimelineEvent(time: now, kind: .incidentResponse, subject: ids, detail: "scale up \(d.service) \(d.current) → \(d.final)"))
            }
            for a in actions {
                switch a {
                case .replaceNode(let n, _): events.append(TimelineEvent(time: now, kind: .incidentResponse, subject: ids, detail: "replace node \(n)"))
                case .provisionNode(let p, _): events.append(TimelineEvent(time: now, kind: .incidentResponse, subject: ids, detail: "provision a node in \(p)"))
                default: break
                }
            }
        }
        for (key, inc) in open.sorted(by: { $0.value.id < $1.value.id }) {
            if let since = inc.healthySince, now - since >= settings.stabilityWindow {
                open[key] = nil
                closedAt[key] = now
                let healthy = key.hasPrefix(Self.anomalyKeyPrefix) ? "back to normal" : "SLO met"
                events.append(TimelineEvent(time: now, kind: .incidentClose, subject: "INC-\(inc.id)",
                                            detail: "\(key): \(healthy) for \(Int(settings.stabilityWindow))s (open \(Int(now - inc.opened))s)"))
            }
        }
        return events
    }

    mutating func openIncident(key: String, severity: Severity, trigger: String, at now: Double, _ events: inout [TimelineEvent]) {
        guard open[key] == nil else { return }
        if let closed = closedAt[key], now - closed < settings.cooldown { return }
        let inc = Incident(id: nextID, key: key, opened: now, severity: severity, trigger: trigger)
        nextID += 1
        open[key] = inc
        events.append(TimelineEvent(time: now, kind: .incidentOpen, subject: "INC-\(inc.id)", detail: "[\(severity)] \(trigger)"))
    }

    static let nodeKeyPrefix = "node:", anomalyKeyPrefix = "anomaly:"

    mutating func detect(_ s: ServiceSample, at now: Double, _ events: inout [TimelineEvent]) {
        // One look-up of the service's watches, updated in place (this runs for every service at every scrape).
        var watches = self.watches.removeValue(forKey: s.service) ?? Self.watches(step: s.interval)
        defer { self.watches[s.service] = watches }
        for i in watches.indices {
            if watches[i].needsRequests && s.completed == 0 { continue }
            let value = s[keyPath: watches[i].value]
            let found: (detail: String, harmful: Bool)?
            if watches[i].spike != nil {
                found = watches[i].spike!.observe(value, at: s.time).flatMap { a in
                    guard a.severity == .critical else { return nil }
                    return (String(format: "%@ %.4g vs expected %.4g (%+.1fσ)", watches[i].metric, a.value, a.expected, a.score),
                            (a.score > 0) == (watches[i].harmful == .up))
                }
            } else {
                found = watches[i].shift!.observe(value).map { sh in
                    (String(format: "%@ %.4g over the last %@, %+.0f%% against %.4g in the %@ before", watches[i].metric, sh.recentMedian,
                            Self.shiftWindows.recentText, sh.change * 100, sh.referenceMedian, Self.shiftWindows.referenceText), true)
                }
            }
            let key = Self.anomalyKeyPrefix + s.service + ":" + watches[i].metric
            guard let found else {
                watches[i].alerting = 0
                if open[key] != nil, open[key]!.healthySince == nil { open[key]!.healthySince = now - s.interval }
                continue
            }
            watches[i].alerting += 1
            // One alert per episode, once it has lasted two scrapes: a single interval's p95 of a few hundred
            // requests is noisy enough to cross a critical threshold a dozen times a day.
            if watches[i].alerting == (watches[i].shift != nil ? 1 : 2) {
                events.append(TimelineEvent(time: s.time, kind: .anomaly, subject: s.service, detail: found.detail))
            }
            if open[key] != nil { open[key]!.healthySince = nil }
            let lastsLongEnough = watches[i].shift != nil || watches[i].alerting >= settings.anomalyScrapes
            // An open SLO incident of the service already covers what its metrics show: one incident, not two.
            if found.harmful, settings.anomalyScrapes > 0, lastsLongEnough, open[s.service] == nil {
                openIncident(key: key, severity: .major, trigger: "\(s.service) anomaly: \(found.detail)", at: now, &events)
            }
        }
    }

    /// The windows a slow shift is measured over: the median of `recent` against the median of `reference` before it.
    static let shiftWindows = (recent: 1800.0, recentText: "30 min", reference: 21_600.0, referenceText: "6 h")

    static func watches(step: Double) -> [Watch] {
        let recent = max(1, Int((shiftWindows.recent / step).rounded())), reference = max(1, Int((shiftWindows.reference / step).rounded()))
        return [
            Watch(metric: "p95 latency", value: \.p95, spike: AnomalyDetector(kind: .responseTime, method: .robust, step: step, baseline: 60),
                  harmful: .up, needsRequests: true),
            Watch(metric: "error rate", value: \.errorRate, spike: AnomalyDetector(kind: .errorRate, method: .robust, step: step, baseline: 60),
                  harmful: .up),
            Watch(metric: "request rate", value: \.arrivalRate,
                  spike: AnomalyDetector(kind: .requestRate, method: .seasonal, threshold: 4, step: step, baseline: 60), harmful: .down),
            // Slow shifts: a creep of half the latency, a leak of a quarter of the memory request, beyond a floor.
            Watch(metric: "p95 latency level", value: \.p95,
                  shift: LevelShiftDetector(direction: .up, recent: recent, reference: reference, relative: 0.5, absolute: 0.010),
                  harmful: .up, needsRequests: true),
            Watch(metric: "memory per replica", value: \.memoryUtilization,
                  shift: LevelShiftDetector(direction: .up, recent: recent, reference: reference, relative: 0.25, absolute: 0.05),
                  harmful: .up),
        ]
    }
}
