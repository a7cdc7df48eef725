import Recorder

/// Arrival rate against capacity (ready replicas × nominal per-replica throughput), with the desired
/// and ready replica counts on the right axis; when clients retry, goodput (external requests that
/// succeeded) beside the arrivals, so a retry storm shows as the gap between them.
struct LoadChart: ServiceChart {
    let kind = "load"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let rows = data.samples[service.name], !rows.isEmpty else { return false }
        s.set(.title, data.title("Load vs capacity", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "requests / s")
        s.set(.y2label, "replicas")
        s.data("d", rows.map { [data.axis.value($0.time), $0.arrivalRate, Double($0.readyReplicas) * service.capacityPerReplica,
                                Double($0.desiredReplicas), Double($0.readyReplicas), Double($0.goodput) / $0.interval] })
        s.shade(data.shades)
        s.code("set y2tics")
        s.range(.y, 0, nil)
        s.range(.y2, 0, Double(rows.map { max($0.desiredReplicas, $0.readyReplicas) }.max() ?? 1) * 1.15 + 1)
        s.plot([.data("d", using: "1:2", "with lines lw 1.5", .arrivals, title: "arrival rate"),
                .data("d", using: "1:3", "with lines lw 2", .capacity, title: "capacity (ready × per-replica)"),
                .data("d", using: "1:4", "with steps lw 1 dt 2", .desired, title: "desired replicas", y2: true),
                .data("d", using: "1:5", "with steps lw 1.5", .ready, title: "ready replicas", y2: true)]
               + (rows.contains { $0.retries > 0 } ? [.data("d", using: "1:6", "with lines lw 1.5 dt 2", .goodput, title: "goodput")] : [])
               + GnuplotScript.keys(data.shades))
        return true
    }
}
