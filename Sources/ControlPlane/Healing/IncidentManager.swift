import Foundation
import Telemetry

public struct IncidentSettings: Sendable, Equatable {
    /// An incident closes when its service has met its SLO continuously this long.
    public var stabilityWindow: Double
    /// After closing, the same key does not reopen within this time (de-duplication of flapping).
    public var cooldown: Double
    /// Raise alerts (and open incidents on critical ones) from the predictor's anomaly detection.
    public var anomalyDetection: Bool
    public init(stabilityWindow: Double = 120, cooldown: Double = 300, anomalyDetection: Bool = true) {
        self.stabilityWindow = stabilityWindow; self.cooldown = cooldown; self.anomalyDetection = anomalyDetection
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
    var detectors: [String: [Watch]] = [:]
    /// One metric of a service under an anomaly detector.
    struct Watch: Sendable {
        var metric: String
        var value: KeyPath<ServiceSample, Double> & Sendable
        var detector: AnomalyDetector
    }
    /// (service, metric) pairs currently anomalous: one alert when an anomaly starts, not one per scrape.
    /// Detectors alerting now, as (service, index of the detector): one alert per episode.
    struct AlertKey: Hashable { var service: String, detector: Int }
    var alerting: Set<AlertKey> = []

    public init(settings: IncidentSettings, slos: [String: SLOTarget]) { self.settings = settings; self.slos = slos }

    /// Feeds one scrape plus what else the control plane noticed; returns timeline events.
    public mutating func observe(_ scrape: Scrape, nodeFailures: [TimelineEvent], responses: [ScalingDecision], actions: [ControlAction]) -> [TimelineEvent] {
        var events: [TimelineEvent] = []
        let now = scrape.time
        for f in nodeFailures {
            openIncident(key: "node:\(f.subject)", severity: .critical, trigger: "node \(f.subject) failed: \(f.detail)", at: now, &events)
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
            if settings.anomalyDetection { detect(s, &events) }
            // Health for closing: the service's own incident, and node incidents wait for all services.
            if var inc = open[s.service] {
                if breach { inc.healthySince = nil } else if inc.healthySince == nil { inc.healthySince = now - s.interval }
                open[s.service] = inc
            }
        }
        let anyBreach = scrape.services.contains { s in slos[s.service]?.isBreached(by: s) ?? false }
        for key in open.keys where key.hasPrefix("node:") {
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
                events.append(TimelineEvent(time: now, kind: .incidentClose, subject: "INC-\(inc.id)",
                                            detail: "\(key): SLO met for \(Int(settings.stabilityWindow))s (open \(Int(now - inc.opened))s)"))
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

    mutating func detect(_ s: ServiceSample, _ events: inout [TimelineEvent]) {
        // One look-up of the service's detectors, updated in place (this runs for every service
        // at every scrape).
        Self.detect(s, with: &detectors[s.service, default: Self.detectors(step: s.interval)], alerting: &alerting, &events)
    }

    static func detectors(step: Double) -> [Watch] {
        [Watch(metric: "p95 latency", value: \.p95, detector: AnomalyDetector(kind: .responseTime, method: .robust, step: step, baseline: 60)),
         Watch(metric: "error rate", value: \.errorRate, detector: AnomalyDetector(kind: .errorRate, method: .robust, step: step, baseline: 60)),
         Watch(metric: "request rate", value: \.arrivalRate,
               detector: AnomalyDetector(kind: .requestRate, method: .seasonal, threshold: 4, step: step, baseline: 60))]
    }

    static func detect(_ s: ServiceSample, with detectors: inout [Watch], alerting: inout Set<AlertKey>, _ events: inout [TimelineEvent]) {
        for i in detectors.indices {
            guard let a = detectors[i].detector.observe(s[keyPath: detectors[i].value], at: s.time), a.severity == .critical else {
                if !alerting.isEmpty { alerting.remove(AlertKey(service: s.service, detector: i)) }
                continue
            }
            guard alerting.insert(AlertKey(service: s.service, detector: i)).inserted else { continue }
            events.append(TimelineEvent(time: s.time, kind: .anomaly, subject: s.service,
                                        detail: String(format: "%@ %.4g vs expected %.4g (%+.1fσ)", detectors[i].metric, a.value, a.expected, a.score)))
        }
    }
}
