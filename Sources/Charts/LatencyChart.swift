import Recorder

/// p50 / p95 / p99 on a log scale with the p95 SLO line; the axis spans the data (and the SLO), not
/// decades above it.
struct LatencyChart: ServiceChart {
    let kind = "latency"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let rows = data.samples[service.name], !rows.isEmpty else { return false }
        let sloMs = service.slo.p95 * 1000
        s.set(.title, data.title("Latency", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "latency (ms)")
        s.data("d", rows.map { [data.axis.value($0.time), $0.p50 * 1000, $0.p95 * 1000, $0.p99 * 1000] })
        s.shade(data.shades)
        s.code("set logscale y")
        let positive = rows.flatMap { [$0.p50, $0.p95, $0.p99] }.filter { $0 > 0 }.map { $0 * 1000 }
        // A live session may read no latency and set no objective: then there is nothing to draw on a log scale.
        let scale = positive + (sloMs > 0 ? [sloMs] : [])
        guard let least = scale.min(), let most = scale.max() else { return false }
        let lo = least * 0.8, hi = most * 1.5
        s.range(.y, lo, hi)
        s.plot([.data("d", using: "1:2", "with lines lw 1", .p50, title: "p50"),
                .data("d", using: "1:3", "with lines lw 1.5", .p95, title: "p95"),
                .data("d", using: "1:4", "with lines lw 1", .p99, title: "p99")]
               + (sloMs > 0 ? [.line(at: sloMs, "with lines lw 2 dt 2", .sloLine, title: "p95 SLO (\(Int(sloMs.rounded())) ms)")] : [])
               + GnuplotScript.keys(data.shades))
        return true
    }
}
