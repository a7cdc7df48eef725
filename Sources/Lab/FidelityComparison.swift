import ClusterModel
import Foundation
import ScenarioKit
import Telemetry

/// One scenario and seed run at request level (the reference) and as flows, side by side: the
/// figures the fluid fidelity promises to keep (SLO-violation minutes, availability, cost and
/// per-scrape p95) and how much faster it got them. `stormglass fidelity SCENARIO` prints it; the
/// validation tests assert its tolerances.
public struct FidelityComparison: Sendable {
    /// The promises (DESIGN's definitions, per run): SLO-violation minutes within 10 % or 1 minute,
    /// availability within 0.1 percentage points, cost within 2 %, each service's p95 over the run
    /// within 10 %, and per-scrape p95 within 10 % on at least 90 % of the scrapes where a service
    /// is not saturated and served enough requests for a request-level p95 to be that precise.
    public enum Tolerance {
        public static let sloMinutesRelative = 0.10, sloMinutesAbsolute = 1.0
        public static let availabilityPoints = 0.1
        public static let costRelative = 0.02
        public static let p95Relative = 0.10, p95ScrapeShare = 0.90
        /// A scrape is compared when the request-level run served at least this many requests in
        /// it (a p95 of fewer varies by more than 10 % from one seed to the next) and was not
        /// saturated: slots (or CPU) under 85 % busy, nothing queued beyond one request per slot, no
        /// rejections or timeouts.
        public static let minimumRequests = 500
        public static let saturatedUtilization = 0.85
    }

    public struct Side: Sendable {
        public var summary: RunSummary
        public var wallSeconds: Double
    }

    /// Per-scrape p95 agreement of one service.
    public struct LatencyAgreement: Sendable {
        public var service: String
        /// Scrapes compared (not saturated, enough requests), and those within `Tolerance.p95Relative`.
        public var compared = 0, within = 0
        /// |fluid − request| / request over the compared scrapes.
        public var medianError = 0.0, worstError = 0.0
        public var share: Double { compared > 0 ? Double(within) / Double(compared) : 1 }
    }

    public var scenario: String
    public var seed: UInt64
    public var request: Side
    public var fluid: Side
    public var latency: [LatencyAgreement]

    public var speedup: Double { fluid.wallSeconds > 0 ? request.wallSeconds / fluid.wallSeconds : .infinity }

    /// Each promise, kept or not, in words (for the report and the tests' messages).
    public var checks: [(name: String, kept: Bool, detail: String)] {
        let (r, f) = (request.summary, fluid.summary)
        let sloGap = abs(f.sloViolationMinutes - r.sloViolationMinutes)
        let sloLimit = max(Tolerance.sloMinutesAbsolute, Tolerance.sloMinutesRelative * r.sloViolationMinutes)
        let availabilityGap = abs(f.availability - r.availability) * 100
        let costGap = r.cost > 0 ? abs(f.cost - r.cost) / r.cost : 0
        var out: [(String, Bool, String)] = [
            ("SLO-violation minutes", sloGap <= sloLimit, String(format: "fluid %.2f, request %.2f (limit ±%.2f)", f.sloViolationMinutes, r.sloViolationMinutes, sloLimit)),
            ("availability", availabilityGap <= Tolerance.availabilityPoints,
             String(format: "fluid %.3f%%, request %.3f%% (limit ±%.1f pp)", f.availability * 100, r.availability * 100, Tolerance.availabilityPoints)),
            ("cost", costGap <= Tolerance.costRelative, String(format: "fluid $%.2f, request $%.2f (%.1f%% apart, limit %.0f%%)", f.cost, r.cost, costGap * 100, Tolerance.costRelative * 100)),
        ]
        for (a, b) in zip(r.services, f.services) where a.completed > 0 {
            let gap = a.p95 > 0 ? abs(b.p95 - a.p95) / a.p95 : 0
            out.append(("p95 \(a.service) (run)", gap <= Tolerance.p95Relative,
                        String(format: "fluid %.0f ms, request %.0f ms (%.1f%% apart, limit %.0f%%)", b.p95 * 1000, a.p95 * 1000, gap * 100, Tolerance.p95Relative * 100)))
        }
        for l in latency where l.compared > 0 {
            out.append(("p95 \(l.service)", l.share >= Tolerance.p95ScrapeShare,
                        String(format: "within 10%% on %d of %d unsaturated scrapes (median error %.1f%%, worst %.1f%%)", l.within, l.compared, l.medianError * 100, l.worstError * 100)))
        }
        return out
    }

    public var keptAll: Bool { checks.allSatisfy(\.kept) }

    /// Runs `spec` with `seed` both ways (the scenario's own fidelity is ignored).
    /// `shouldStop` is asked as each run is; stopping throws `Interrupted` (a verdict on part of a run
    /// would compare unlike stretches).
    public static func run(_ spec: ScenarioSpec, seed: UInt64? = nil, shouldStop: () -> Bool = { false }) throws -> FidelityComparison {
        var requestSpec = spec, fluidSpec = spec
        requestSpec.fidelity = .request
        fluidSpec.fidelity = .fluid
        let reference = ScrapeCollector(), flows = ScrapeCollector()
        let r = try ScenarioRunner(spec: requestSpec, seed: seed).run(observer: reference, shouldStop: shouldStop)
        guard r.status == .finished else { throw Interrupted() }
        let f = try ScenarioRunner(spec: fluidSpec, seed: seed).run(observer: flows, shouldStop: shouldStop)
        guard f.status == .finished else { throw Interrupted() }
        return FidelityComparison(scenario: spec.name, seed: seed ?? spec.seed,
                                  request: Side(summary: r.summary, wallSeconds: r.wallSeconds),
                                  fluid: Side(summary: f.summary, wallSeconds: f.wallSeconds),
                                  latency: agreement(reference.samples, flows.samples))
    }

    static func agreement(_ reference: [String: [ServiceSample]], _ fluid: [String: [ServiceSample]]) -> [LatencyAgreement] {
        reference.keys.sorted().map { name in
            var a = LatencyAgreement(service: name)
            var errors: [Double] = []
            for (r, f) in zip(reference[name] ?? [], fluid[name] ?? []) where comparable(r) && f.completed > 0 {
                let e = abs(f.p95 - r.p95) / r.p95
                errors.append(e)
                if e <= Tolerance.p95Relative { a.within += 1 }
            }
            a.compared = errors.count
            errors.sort()
            a.medianError = errors.isEmpty ? 0 : errors[errors.count / 2]
            a.worstError = errors.last ?? 0
            return a
        }
    }

    /// Whether a request-level scrape is one the p95 promise covers.
    static func comparable(_ s: ServiceSample) -> Bool {
        let slots = Double(max(1, s.readyReplicas * s.concurrencyPerReplica))
        return s.completed >= Tolerance.minimumRequests && s.p95 > 0 && s.rejected == 0 && s.timedOut == 0
            && s.cpuUtilization < Tolerance.saturatedUtilization && Double(s.queueDepth) <= slots
    }
}

/// Keeps every service sample of a run (for comparisons; a day of a two-service scenario is
/// 11,520 samples).
final class ScrapeCollector: RunObserver {
    var samples: [String: [ServiceSample]] = [:]
    func observe(_ scrape: Scrape) throws {
        for s in scrape.services { samples[s.service, default: []].append(s) }
    }
}
