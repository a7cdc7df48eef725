import Foundation

/// A worker's counters and gauges, written in Prometheus' text exposition format (version 0.0.4).
///
/// Confined to the worker's event loop: every update and every `/metrics` read happens there.
struct WorkerMetrics {
    /// Upper bounds of the latency histogram's buckets, seconds (Prometheus client libraries' defaults).
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    var responses: [Int: Int] = [:]           // by status code
    var bucketCounts = [Int](repeating: 0, count: buckets.count)
    var durationCount = 0
    var durationSum = 0.0
    /// Slot-seconds of finished requests; with the running ones' share it is the worker's busy time.
    var finishedBusySeconds = 0.0

    mutating func record(code: Int, duration: Double) {
        responses[code, default: 0] += 1
        // Only served requests describe the service's latency; turned-away ones are counted by code.
        guard code != 503 else { return }
        durationCount += 1
        durationSum += duration
        for (i, upper) in Self.buckets.enumerated() where duration <= upper { bucketCounts[i] += 1 }
    }

    /// The exposition text at one instant, given the gauges that live in the worker's state.
    func text(inFlight: Int, queueDepth: Int, busySeconds: Double, slots: Int, ready: Bool, startTime: Double) -> String {
        var out = ""
        out += "# HELP stormglass_worker_requests_total Requests answered, by HTTP status.\n"
        out += "# TYPE stormglass_worker_requests_total counter\n"
        for code in Set(responses.keys).union([200, 500, 503]).sorted() {
            out += "stormglass_worker_requests_total{code=\"\(code)\"} \(responses[code] ?? 0)\n"
        }
        out += "# HELP stormglass_worker_request_duration_seconds Time from arrival to answer of served requests (queueing included).\n"
        out += "# TYPE stormglass_worker_request_duration_seconds histogram\n"
        for (i, upper) in Self.buckets.enumerated() {
            out += "stormglass_worker_request_duration_seconds_bucket{le=\"\(upper)\"} \(bucketCounts[i])\n"
        }
        out += "stormglass_worker_request_duration_seconds_bucket{le=\"+Inf\"} \(durationCount)\n"
        out += "stormglass_worker_request_duration_seconds_sum \(durationSum)\n"
        out += "stormglass_worker_request_duration_seconds_count \(durationCount)\n"
        out += gauge("stormglass_worker_in_flight", "Requests being served.", Double(inFlight))
        out += gauge("stormglass_worker_queue_depth", "Requests waiting for a slot.", Double(queueDepth))
        out += gauge("stormglass_worker_slots", "Requests served at once.", Double(slots))
        out += gauge("stormglass_worker_ready", "1 once start-up is over.", ready ? 1 : 0)
        out += "# HELP stormglass_worker_busy_seconds_total Slot-seconds spent serving requests.\n"
        out += "# TYPE stormglass_worker_busy_seconds_total counter\nstormglass_worker_busy_seconds_total \(busySeconds)\n"
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        out += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        out += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \(cpu)\n"
        out += gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", startTime)
        return out
    }

    private func gauge(_ name: String, _ help: String, _ value: Double) -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
    }
}
