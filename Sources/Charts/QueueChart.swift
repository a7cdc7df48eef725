import Recorder

/// Queue depth, with mean queue wait and utilization on the right axis.
struct QueueChart: ServiceChart {
    let kind = "queue"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let rows = data.samples[service.name], !rows.isEmpty else { return false }
        s.set(.title, data.title("Queue", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "requests waiting")
        s.set(.y2label, "mean queue wait (ms) · utilization (%)")
        s.data("d", rows.map { [data.axis.value($0.time), Double($0.queueDepth), $0.meanQueueWait * 1000, $0.cpuUtilization * 100] })
        s.shade(data.shades)
        s.code("set y2tics")
        // An empty queue throughout (a live service that keeps up): gnuplot cannot scale an axis of zeros.
        s.range(.y, 0, rows.allSatisfy { $0.queueDepth == 0 } ? 1 : nil)
        s.range(.y2, 0, rows.allSatisfy { $0.meanQueueWait == 0 && $0.cpuUtilization == 0 } ? 1 : nil)
        s.plot([.data("d", using: "1:2", "with lines lw 1.5", .queueDepth, title: "queue depth"),
                .data("d", using: "1:3", "with lines lw 1", .queueWait, title: "mean queue wait (ms)", y2: true),
                .data("d", using: "1:4", "with lines lw 1 dt 3", .utilization, title: "utilization (%)", y2: true)] + GnuplotScript.keys(data.shades))
        return true
    }
}
