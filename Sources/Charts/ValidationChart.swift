import Foundation

/// A simulated figure beside the real one over time (`stormglass validate --charts`): replicas, p95, or
/// the error of one against the other. Gaps (NaN) where a scrape had too few requests to say.
public struct ValidationChart: Sendable {
    public var title: String
    public var yLabel: String
    /// Seconds since the validated period began.
    public var times: [Double]
    public var lines: [(title: String, ys: [Double])]

    public init(title: String, yLabel: String, times: [Double], lines: [(title: String, ys: [Double])]) {
        self.title = title; self.yLabel = yLabel; self.times = times; self.lines = lines
    }

    static let palette: [Color] = [.ready, .desired, .p99, .arrivals]

    func draw(into s: inout GnuplotScript) {
        s.set(.title, title)
        s.set(.xlabel, "seconds since the start")
        s.set(.ylabel, yLabel)
        s.data("comparison", times.indices.map { i in [times[i]] + lines.map { $0.ys[i] } })
        s.plot(lines.indices.map { i in
            .columns("comparison", x: 1, y: i + 2, i == 0 ? "with lines lw 3" : "with lines lw 2 dt 2", Self.palette[i % Self.palette.count], title: lines[i].title)
        })
    }

    /// Draws the chart to `file` (PNG or SVG by its extension) with gnuplot.
    public func render(to file: String) async throws {
        let format: ChartFormat = file.lowercased().hasSuffix(".svg") ? .svg : .png
        var s = GnuplotScript(format: format, output: file)
        draw(into: &s)
        try await Gnuplot().run(s, output: file)
    }
}
