import Foundation
import LiveMetrics
import Telemetry

/// Reads every signal of a service at one instant from Prometheus, each as a ``LiveRead`` with its
/// status: a number, an empty answer, NaN, a stale series, or the server's error in words.
public struct SignalReader: Sendable {
    public let client: PrometheusClient
    /// A query whose value is the Unix time of the newest scrape behind the signals, e.g.
    /// `max(timestamp(up{job="workers"}))`; nil: no staleness check.
    public var freshnessQuery: String?
    /// A newest scrape older than this (seconds) makes every read of the poll `stale`.
    public var staleAfter: Double

    public init(client: PrometheusClient, freshnessQuery: String? = nil, staleAfter: Double = 45) {
        self.client = client; self.freshnessQuery = freshnessQuery; self.staleAfter = staleAfter
    }

    /// The reads of one poll: evaluated at `unixTime`, recorded at session time `time`.
    public func read(_ signals: ServiceSignals, unixTime: Double, time: Double) async -> [LiveRead] {
        // All at once, each evaluated at the same instant: a server that stops answering costs a poll one
        // timeout, not one per signal. Recorded in the signals' order.
        let queries = signals.ordered.map { ($0.signal.rawValue, $0.query) } + (freshnessQuery.map { [("freshness", $0)] } ?? [])
        var answered = [LiveRead?](repeating: nil, count: queries.count)
        await withTaskGroup(of: (Int, LiveRead).self) { group in
            for (i, (signal, query)) in queries.enumerated() {
                group.addTask { (i, await readOne(query, signal: signal, service: signals.service, unixTime: unixTime, time: time)) }
            }
            for await (i, read) in group { answered[i] = read }
        }
        var reads = answered.compactMap { $0 }
        guard freshnessQuery != nil else { return reads }
        let newest = reads.removeLast()
        if newest.status == .ok, let scraped = newest.value, unixTime - scraped > staleAfter {
            let age = String(format: "the newest scrape is %.0f s old (stale after %.0f s)", unixTime - scraped, staleAfter)
            for i in reads.indices where reads[i].status == .ok {
                reads[i].status = .stale; reads[i].value = nil; reads[i].detail = age
            }
        }
        return reads + [newest]
    }

    /// One read per replica of a vector query (``ReplicaHealer``): the replica named by the series' `pod`
    /// label, else its `instance`, in `detail`; NaN recorded as `nan` (no opinion). A failed query is one
    /// read saying why.
    public func readReplicas(_ query: String, service: String, unixTime: Double, time: Double) async -> [LiveRead] {
        let one = { (status: LiveReadStatus, detail: String) in
            [LiveRead(time: time, service: service, signal: ReplicaHealer.signal, query: query, status: status, detail: detail)]
        }
        let samples: [PrometheusClient.Sample]
        do { samples = try await client.instant(query, at: unixTime) } catch { return one(.error, "\(error)") }
        if samples.isEmpty { return one(.empty, "no series matched") }
        var worst: [String: Double] = [:]
        for sample in samples {
            guard let name = sample.labels["pod"] ?? sample.labels["instance"] else {
                return one(.error, "a series without a pod or instance label: keep one per replica, e.g. max by (pod) (…)")
            }
            // Two series for one replica: the less healthy one counts.
            worst[name] = min(worst[name] ?? .infinity, sample.value.isNaN ? .infinity : sample.value)
        }
        return worst.keys.sorted().map { name in
            let value = worst[name]!
            return LiveRead(time: time, service: service, signal: ReplicaHealer.signal, query: query, status: value.isInfinite ? .nan : .ok,
                            value: value.isInfinite ? nil : value, detail: name)
        }
    }

    func readOne(_ query: String, signal: String, service: String, unixTime: Double, time: Double) async -> LiveRead {
        var read = LiveRead(time: time, service: service, signal: signal, query: query, status: .error)
        do {
            let samples = try await client.instant(query, at: unixTime)
            switch samples.count {
            case 0:
                read.status = .empty
                read.detail = "no series matched"
            case 1 where samples[0].value.isFinite:
                read.status = .ok
                read.value = samples[0].value
            case 1:
                read.status = .nan
                read.detail = "the server answered \(samples[0].value)"
            default:
                read.detail = "\(samples.count) series answered; one is needed (aggregate it, e.g. sum(…))"
            }
        } catch {
            read.detail = "\(error)"
        }
        return read
    }
}
