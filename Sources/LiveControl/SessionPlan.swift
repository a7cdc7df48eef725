import ControlPlane
import Foundation
import Kubernetes

/// Everything a live session was started with, recorded with it (as JSON in the run's parameters) so
/// that `shadow --replay-session` rebuilds the same policies from the same text, not from files that
/// may have changed since.
public struct SessionPlan: Codable, Sendable, Equatable {
    /// A manifest file as it was read when the session started.
    public struct ManifestCopy: Codable, Sendable, Equatable {
        public var file: String
        public var text: String
        public init(file: String, text: String) { self.file = file; self.text = text }
    }

    /// `shadow` (every policy dry-run) or `control` (one policy acts).
    public var mode: String
    public var prometheus: String
    /// Seconds between polls (each policy keeps its own cadence within them, e.g. the HPA's 15 s sync).
    public var interval: Double
    /// Planned length, seconds.
    public var duration: Double
    public var staleAfter: Double
    public var freshnessQuery: String?
    public var service: String
    /// Signal name (``LiveSignal``'s raw value) → PromQL.
    public var queries: [String: String]
    public var concurrencyPerReplica: Int
    /// Policies by name beside the manifests' autoscaler (which comes first when there are manifests).
    public var policies: [String]
    /// The policy whose decisions are applied (control mode).
    public var acting: String?
    public var manifests: [ManifestCopy]
    /// What a custom metric named in the manifests means (`request-rate`, `queue-length`).
    public var metricMeanings: [String: String]
    /// Bounds when there are no manifests.
    public var minReplicas: Int?
    public var maxReplicas: Int?
    /// Mean replica start-up, seconds (a predictive policy's lead time).
    public var startupSeconds: Double
    /// The self-healer's vector query, one series per replica, below 0.5 when unhealthy (``ReplicaHealer``); nil: no healing.
    public var replicaHealthQuery: String?
    /// Seconds a replica stays unhealthy before it is replaced.
    public var replaceAfter: Double?
    /// Replacements allowed per rolling hour.
    public var maxReplacementsPerHour: Int?

    public init(mode: String, prometheus: String, interval: Double, duration: Double, staleAfter: Double, freshnessQuery: String?,
                service: String, queries: [String: String], concurrencyPerReplica: Int, policies: [String], acting: String?,
                manifests: [ManifestCopy], metricMeanings: [String: String], minReplicas: Int?, maxReplicas: Int?, startupSeconds: Double,
                replicaHealthQuery: String? = nil, replaceAfter: Double? = nil, maxReplacementsPerHour: Int? = nil) {
        self.mode = mode; self.prometheus = prometheus; self.interval = interval; self.duration = duration; self.staleAfter = staleAfter
        self.freshnessQuery = freshnessQuery; self.service = service; self.queries = queries; self.concurrencyPerReplica = concurrencyPerReplica
        self.policies = policies; self.acting = acting; self.manifests = manifests; self.metricMeanings = metricMeanings
        self.minReplicas = minReplicas; self.maxReplicas = maxReplicas; self.startupSeconds = startupSeconds
        self.replicaHealthQuery = replicaHealthQuery; self.replaceAfter = replaceAfter; self.maxReplacementsPerHour = maxReplacementsPerHour
    }

    /// The self-healer the plan asks for, fresh; nil without a health query.
    public func healer() -> ReplicaHealer? {
        guard replicaHealthQuery != nil else { return nil }
        return ReplicaHealer(service: service, replaceAfter: replaceAfter ?? 60, checkPeriod: interval, maxReplacementsPerHour: maxReplacementsPerHour ?? 5)
    }

    public var signals: ServiceSignals {
        var q: [LiveSignal: String] = [:]
        for (k, v) in queries { if let s = LiveSignal(rawValue: k) { q[s] = v } }
        return ServiceSignals(service: service, queries: q, concurrencyPerReplica: concurrencyPerReplica)
    }

    /// The policies side by side, the manifests' autoscaler first, and the bounds they share.
    /// Every problem at once.
    public func resolvePolicies() throws -> (policies: [any ScalingPolicy], bounds: ScalingBounds) {
        var problems: [String] = []
        var policies: [any ScalingPolicy] = []
        var bounds: ScalingBounds?
        let environment = PolicyEnvironment(service: service, startupMean: startupSeconds, scrapeInterval: interval)
        if !manifests.isEmpty {
            var meanings: [String: SimulatedMetric] = [:]
            for (name, meaning) in metricMeanings {
                if let m = SimulatedMetric(rawValue: meaning) { meanings[name] = m } else { problems.append("metric \(name)=\(meaning): one of \(SimulatedMetric.allCases.map(\.rawValue).joined(separator: ", "))") }
            }
            let read = Manifests.read(texts: manifests.map { ($0.file, $0.text) }, metrics: meanings)
            do {
                let workload = try KubernetesWorkload.resolve(read, deployment: service)
                policies.append(workload.policy.configured(for: environment))
                bounds = ScalingBounds(minReplicas: workload.minReplicas, maxReplicas: workload.maxReplicas)
            } catch { problems.append("\(error)") }
        } else if let lo = minReplicas, let hi = maxReplicas {
            if lo < 0 || hi < max(1, lo) || hi > 10_000 { problems.append("replica bounds must be 0 ≤ min ≤ max ≤ 10000 and max ≥ 1, not \(lo)…\(hi)") }
            bounds = ScalingBounds(minReplicas: lo, maxReplicas: hi)
        } else {
            problems.append("bounds: give manifests (a Deployment and its HPA or ScaledObject) or --min-replicas and --max-replicas")
        }
        for name in self.policies {
            guard let p = ScalingPolicies.named(name) else {
                problems.append("policy \(name): not one of \(ScalingPolicies.knownNames.joined(separator: ", "))"); continue
            }
            policies.append(p.configured(for: environment))
        }
        if policies.isEmpty { problems.append("no policy: give manifests with an autoscaler, or --policy NAME") }
        var seen = Set<String>()
        for p in policies where !seen.insert(p.name).inserted {
            problems.append("policy \(p.name) twice (the manifests' autoscaler is \(policies.first?.name ?? "none")); each runs once")
        }
        if let acting, !policies.contains(where: { $0.name == acting }) {
            problems.append("the acting policy \(acting) is not among \(policies.map(\.name).joined(separator: ", "))")
        }
        guard problems.isEmpty, let bounds else { throw LiveSessionError(problems) }
        return (policies, bounds)
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> SessionPlan {
        do { return try JSONDecoder().decode(SessionPlan.self, from: Data(json.utf8)) }
        catch { throw LiveSessionError(["the run's session plan cannot be read (\(error)); was it recorded by a live session?"]) }
    }
}

/// Problems with a live session's set-up or its recording, in words.
public struct LiveSessionError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "\n") }
}
