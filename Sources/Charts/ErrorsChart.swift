import Foundation
import Recorder

/// Error rate with its SLO line; failed, rejected and timed-out requests per second, and, when the
/// run has any, retries and shed requests per second.
struct ErrorsChart: ServiceChart {
    let kind = "errors"
    func draw(_ service: ServiceDescription, _ data: RunChartData, into s: inout GnuplotScript) -> Bool {
        guard let rows = data.samples[service.name], !rows.isEmpty else { return false }
        s.set(.title, data.title("Errors", service.name))
        s.set(.xlabel, data.axis.label)
        s.set(.ylabel, "errors / s and error rate (%)")
        s.data("d", rows.map { [data.axis.value($0.time), $0.errorRate * 100, Double($0.failed) / $0.interval,
                                Double($0.rejected) / $0.interval, Double($0.timedOut) / $0.interval,
                                Double($0.retries) / $0.interval, Double($0.shed) / $0.interval] })
        s.shade(data.shades)
        let slo = service.slo.errorRate * 100
        // No error and no objective (a live session without one): gnuplot cannot scale an axis of zeros.
        let none = slo <= 0 && rows.allSatisfy { $0.errors == 0 && $0.retries == 0 && $0.shed == 0 }
        s.range(.y, 0, none ? 1 : nil)
        s.plot([.data("d", using: "1:2", "with lines lw 2", .errorRate, title: "error rate (%)"),
                .line(at: slo, "with lines lw 1.5 dt 2", .errorSLO, title: "error-rate SLO (\(String(format: "%g", slo))%)"),
                .data("d", using: "1:3", "with lines lw 1", .failed, title: "failed / s"),
                .data("d", using: "1:4", "with lines lw 1", .rejected, title: "rejected / s"),
                .data("d", using: "1:5", "with lines lw 1", .timedOut, title: "timed out / s")]
               + (rows.contains { $0.retries > 0 } ? [.data("d", using: "1:6", "with lines lw 1.5 dt 3", .retries, title: "retries / s")] : [])
               + (rows.contains { $0.shed > 0 } ? [.data("d", using: "1:7", "with lines lw 1.5 dt 4", .shed, title: "shed / s")] : [])
               + GnuplotScript.keys(data.shades))
        return true
    }
}
