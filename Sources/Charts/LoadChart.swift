import Recorder

/// Arrival rate against capacity (ready replicas × nominal per-replica throughput), with the desired
/// replicas on the right axis; when clients retry, goodput (external requests that succeeded) beside the
/// arrivals, so a retry storm shows as the gap between them.
///
/// The right axis is the left one divided by the per-replica throughput, so a replica count sits exactly
/// where its capacity does: the capacity line is the ready replicas (read on the right), and the desired
/// line, dashed and drawn last, shows how far the capacity asked for is from the capacity there is.
struct LoadChart: ServiceChart {
    let kind = "load"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let rows = data.samples[service.name], !rows.isEmpty else { return false }
        let perReplica = service.capacityPerReplica
        s.set(.title, data.title("Load vs capacity", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "requests / s")
        s.set(.y2label, "replicas")
        s.data("d", rows.map { [data.axis.value($0.time), $0.arrivalRate, Double($0.readyReplicas) * perReplica,
                                Double($0.desiredReplicas), Double($0.readyReplicas), Double($0.goodput) / $0.interval] })
        s.shade(data.shades)
        s.code("set y2tics")
        let mostReplicas = Double(rows.map { max($0.desiredReplicas, $0.readyReplicas) }.max() ?? 1)
        let ready: [GnuplotScript.Series]
        if perReplica > 0, perReplica.isFinite {
            let busiest = rows.map { max($0.arrivalRate, Double($0.goodput) / $0.interval) }.max() ?? 0
            let top = max(busiest, (mostReplicas + 1) * perReplica) * 1.1
            s.range(.y, 0, top)
            s.range(.y2, 0, top / perReplica)
            ready = []   // the capacity line, read on the right axis
        } else {
            // No nominal throughput (no worker slots): replicas on their own scale.
            s.range(.y, 0, nil)
            s.range(.y2, 0, mostReplicas * 1.15 + 1)
            ready = [.data("d", using: "1:5", "with steps lw 1.5", .ready, title: "ready replicas", y2: true)]
        }
        s.plot([.data("d", using: "1:2", "with lines lw 1.5", .arrivals, title: "arrival rate"),
                .data("d", using: "1:3", "with lines lw 2", .capacity, title: perReplica > 0 ? "capacity: ready replicas × per-replica (right axis)" : "capacity")]
               + ready
               + (rows.contains { $0.retries > 0 } ? [.data("d", using: "1:6", "with lines lw 1.5 dt 2", .goodput, title: "goodput")] : [])
               + [.data("d", using: "1:4", "with steps lw 2 dt (6,4)", .desired, title: "desired replicas", y2: true)]
               + GnuplotScript.keys(data.shades))
        return true
    }
}
