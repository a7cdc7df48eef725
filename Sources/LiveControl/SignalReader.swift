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
        var reads: [LiveRead] = []
        for (signal, query) in signals.ordered {
            reads.append(await readOne(query, signal: signal.rawValue, service: signals.service, unixTime: unixTime, time: time))
        }
        guard let freshnessQuery else { return reads }
        let newest = await readOne(freshnessQuery, signal: "freshness", service: signals.service, unixTime: unixTime, time: time)
        if newest.status == .ok, let scraped = newest.value, unixTime - scraped > staleAfter {
            let age = String(format: "the newest scrape is %.0f s old (stale after %.0f s)", unixTime - scraped, staleAfter)
            for i in reads.indices where reads[i].status == .ok {
                reads[i].status = .stale; reads[i].value = nil; reads[i].detail = age
            }
        }
        return reads + [newest]
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
