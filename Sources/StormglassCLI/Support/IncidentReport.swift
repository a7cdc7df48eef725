import Foundation
import GRDB
import SimulationKernel
import Telemetry

/// Post-incident reports, one Markdown document per incident, built from a recorded run.
struct IncidentReport {
    struct Event { var t: Double; var kind: EventKind; var subject: String; var detail: String }

    let db: DatabaseQueue
    let run: Int64

    func hhmmss(_ t: Double) -> String {
        let s = Int(t.rounded())
        return String(format: "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }

    func render() throws -> [(id: String, markdown: String)] {
        try db.read { db in
            let scenario = try String.fetchOne(db, sql: "SELECT scenario FROM runs WHERE id = ?", arguments: [run]) ?? "?"
            let seed = try Int64.fetchOne(db, sql: "SELECT seed FROM runs WHERE id = ?", arguments: [run]) ?? 0
            let end = try Double.fetchOne(db, sql: "SELECT MAX(t) FROM service_samples WHERE run_id = ?", arguments: [run]) ?? 0
            let events = try Row.fetchAll(db, sql: "SELECT t, kind, subject, detail FROM events WHERE run_id = ? ORDER BY t, rowid", arguments: [run])
                .map { Event(t: $0["t"], kind: EventKind(rawValue: $0["kind"]), subject: $0["subject"], detail: $0["detail"]) }
            let prices = Dictionary(try Row.fetchAll(db, sql: "SELECT service, price_per_replica_hour p, slo_p95_seconds s, slo_error_rate e FROM services WHERE run_id = ?", arguments: [run])
                .map { ($0["service"] as String, (price: $0["p"] as Double, p95: $0["s"] as Double, err: $0["e"] as Double)) }, uniquingKeysWith: { a, _ in a })
            var out: [(String, String)] = []
            for open in events where open.kind == .incidentOpen {
                let id = open.subject
                let close = events.first { $0.kind == .incidentClose && $0.subject == id }
                let closeT = close?.t ?? end
                let window = try Row.fetchAll(db, sql: """
                    SELECT service, SUM(failed) f, SUM(rejected) r, SUM(timed_out) o, SUM(completed) c,
                           SUM(CASE WHEN ss.p95 > sv.slo_p95_seconds OR ss.error_rate > sv.slo_error_rate THEN ss.interval ELSE 0 END) / 60.0 AS slo_min,
                           SUM(replica_seconds) rs, MAX(p95) p95max, MAX(desired) peak
                    FROM service_samples ss JOIN services sv USING (run_id, service)
                    WHERE run_id = ? AND t > ? AND t <= ? GROUP BY service ORDER BY service
                    """, arguments: [run, open.t - 15, closeT])
                let before = try Row.fetchAll(db, sql: """
                    SELECT service, AVG(replica_seconds / interval) replicas, AVG(desired) desired FROM service_samples
                    WHERE run_id = ? AND t > ? AND t <= ? GROUP BY service
                    """, arguments: [run, open.t - 1800, open.t - 15])
                let baseline = Dictionary(before.map { ($0["service"] as String, ($0["replicas"] as Double?) ?? 0) }, uniquingKeysWith: { a, _ in a })
                let baseDesired = Dictionary(before.map { ($0["service"] as String, ($0["desired"] as Double?) ?? 0) }, uniquingKeysWith: { a, _ in a })

                // Root cause: the injected fault active when the incident opened (or started shortly before).
                let faults = events.filter { $0.kind == .faultStart }
                let cause = faults.last { f in
                    let ended = events.first { $0.kind == .faultEnd && $0.subject == f.subject && $0.t >= f.t }?.t ?? .infinity
                    return f.t <= open.t && (open.t <= ended + 300)
                }
                let firstAnomaly = events.first { $0.kind == .anomaly && $0.t >= open.t - 600 && $0.t <= open.t + 60 }
                let duration = closeT - open.t
                var md = "# \(id): \(open.detail.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: " —"))\n\n"
                md += "Scenario `\(scenario)`, run \(run), seed \(seed). Opened at \(hhmmss(open.t)) (simulated), "
                md += close != nil ? "closed at \(hhmmss(closeT)) after \(Int(duration)) s.\n\n" : "still open at the end of the run.\n\n"

                md += "## Summary\n\n"
                if let cause {
                    md += "The incident was caused by the injected fault **\(cause.subject)** (\(cause.detail)), which started at \(hhmmss(cause.t)), "
                    md += "\(Int(open.t - cause.t)) s before the incident was opened.\n"
                } else if let firstAnomaly {
                    md += "No fault was injected; the first anomalous metric was **\(firstAnomaly.detail)** on \(firstAnomaly.subject) at \(hhmmss(firstAnomaly.t)).\n"
                } else {
                    md += "No fault was injected and no anomaly preceded it: the trigger was the SLO breach itself (\(open.detail)).\n"
                }
                let totalErrors = window.reduce(0) { $0 + ($1["f"] as Int) + ($1["r"] as Int) + ($1["o"] as Int) }
                let sloMinutes = window.reduce(0.0) { $0 + ($1["slo_min"] as Double) }
                md += "It cost \(totalErrors) failed requests and \(String(format: "%.2f", sloMinutes)) SLO-violation minutes.\n\n"

                md += "## Timeline\n\n| time | what | detail |\n|---|---|---|\n"
                let from = min(open.t, cause?.t ?? open.t) - 60
                var replicaStarts = 0
                for e in events where e.t >= from && e.t <= closeT + 1 {
                    if e.kind.isReplicaLifecycle { if e.kind == .replicaStarting { replicaStarts += 1 }; continue }
                    md += "| \(hhmmss(e.t)) | \(e.kind) \(e.subject) | \(e.detail.replacingOccurrences(of: "|", with: "/")) |\n"
                }
                if replicaStarts > 0 { md += "\n(\(replicaStarts) replica start-ups in this window are left out of the table.)\n" }

                md += "\n## Impact\n\n| service | failed | rejected | timed out | SLO-violation min | worst p95 | extra cost |\n|---|---|---|---|---|---|---|\n"
                for r in window {
                    let s: String = r["service"]
                    let extra = ((r["rs"] as Double) - (baseline[s] ?? 0) * (duration + 15)) * (prices[s]?.price ?? 0) / 3600
                    md += "| \(s) | \(r["f"] as Int) | \(r["r"] as Int) | \(r["o"] as Int) | \(String(format: "%.2f", r["slo_min"] as Double)) | "
                    md += "\(Int(((r["p95max"] as Double) * 1000).rounded())) ms | \(String(format: "$%.2f", max(0, extra))) |\n"
                }

                md += "\n## What the control plane did\n\n"
                let actions = events.filter { $0.t >= (cause?.t ?? open.t) && $0.t <= closeT && $0.kind.isControlAction }
                if actions.isEmpty { md += "Nothing: no scaling, replacement or failover happened during the incident.\n" }
                for a in actions { md += "- \(hhmmss(a.t)) \(a.kind) \(a.subject): \(a.detail)\n" }

                md += "\n## Recommendations\n\n"
                var recs: [String] = []
                // Replica start-up against the time the system had before it breached.
                let starts = events.filter { $0.kind == .replicaStarting && $0.t >= open.t - 600 && $0.t <= closeT }
                let readies = Dictionary(events.filter { $0.kind == .replicaReady }.map { ($0.subject, $0.t) }, uniquingKeysWith: { _, b in b })
                let startups = starts.compactMap { s in readies[s.subject].flatMap { $0 >= s.t ? $0 - s.t : nil } }
                if let cause, let firstBreach = try Double.fetchOne(db, sql: """
                    SELECT MIN(t) FROM service_samples ss JOIN services sv USING (run_id, service)
                    WHERE run_id = ? AND t > ? AND (ss.p95 > sv.slo_p95_seconds OR ss.error_rate > sv.slo_error_rate)
                    """, arguments: [run, cause.t]), !startups.isEmpty {
                    let meanStartup = startups.reduce(0, +) / Double(startups.count)
                    let toBreach = firstBreach - cause.t
                    if meanStartup > toBreach {
                        let warm = window.map { r in Int(((r["peak"] as Int?).map(Double.init) ?? 0) - (baseDesired[r["service"]] ?? 0)) }.max() ?? 1
                        recs.append("Replica start-up of \(Int(meanStartup)) s exceeds the time to breach (\(Int(toBreach)) s): keep \(max(1, warm)) warm replica\(max(1, warm) == 1 ? "" : "s") or scale on a forecast.")
                    }
                }
                if let detected = events.first(where: { $0.kind == .nodeFailureDetected && $0.t >= (cause?.t ?? open.t) }), let cause {
                    let detect = detected.t - cause.t
                    let recovered = close.map { $0.t - cause.t } ?? .infinity
                    if detect >= 0.2 * recovered {
                        recs.append("The heartbeat timeout dominates detection (\(Int(detect)) s of \(recovered.isFinite ? "\(Int(recovered)) s" : "an unfinished recovery")): a shorter timeout or more frequent checks would start the replacement sooner.")
                    }
                    if let p = events.first(where: { $0.kind == .nodeProvisioning && $0.t >= detected.t }),
                       let r = events.first(where: { $0.kind == .nodeReady && $0.subject == p.subject }), r.t - p.t >= 0.3 * recovered {
                        recs.append("Node start-up (\(Int(r.t - p.t)) s) is the largest part of recovery: keep a warm spare node, or leave room on the other nodes.")
                    }
                }
                if let cause, cause.detail.hasPrefix("latency") {
                    let target = cause.detail.components(separatedBy: "service ").dropFirst().first?.components(separatedBy: " ").first ?? "the dependency"
                    let upstream = window.filter { ($0["slo_min"] as Double) > 0 && ($0["service"] as String) != target }.map { $0["service"] as String }
                    if !upstream.isEmpty {
                        recs.append("Latency on \(target) propagated upstream to \(upstream.joined(separator: ", ")): give calls to \(target) a timeout below the caller's SLO and a fallback or circuit breaker.")
                    }
                }
                let rejected = window.reduce(0) { $0 + ($1["r"] as Int) }, timed = window.reduce(0) { $0 + ($1["o"] as Int) }
                if rejected > 0 && rejected >= timed { recs.append("Full queues rejected \(rejected) requests: scale sooner or allow a deeper queue where latency allows.") }
                if !actions.contains(where: { $0.kind.isScaling || $0.kind == .replace }) {
                    recs.append("The control plane took no corrective action: give the affected service an autoscaling policy (compare them with `stormglass compare`).")
                }
                if recs.isEmpty { recs.append("None: detection, mitigation and recovery were quick for this fault.") }
                md += recs.map { "- \($0)" }.joined(separator: "\n") + "\n"
                out.append((id, md))
            }
            return out
        }
    }
}
