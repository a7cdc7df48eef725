import Foundation

/// A phase diagram's boundary: the smallest value of one parameter that breaks a condition (y), over a second
/// parameter (x), one line per value of the rest (`stormglass search --boundary`). Gaps where nothing in the
/// searched range broke it.
public struct BoundaryChart: Sendable {
    public var title: String
    public var xLabel: String, yLabel: String
    public var xs: [Double]
    /// One line each: its title and a y per x (NaN: no boundary in the range).
    public var lines: [(title: String, ys: [Double])]
    public var yRange: ClosedRange<Double>

    public init(title: String, xLabel: String, yLabel: String, xs: [Double], lines: [(title: String, ys: [Double])], yRange: ClosedRange<Double>) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xs = xs; self.lines = lines; self.yRange = yRange
    }

    static let palette: [Color] = [.arrivals, .desired, .ready, .p99, .capacity, .retries, .failed, .timedOut]

    func draw(into s: inout GnuplotScript) {
        s.set(.title, title)
        s.set(.xlabel, xLabel)
        s.set(.ylabel, yLabel)
        s.data("boundary", xs.indices.map { i in [xs[i]] + lines.map { $0.ys[i] } })
        // From the range's low end up, the top left to the data: boundaries sit low in a wide range.
        s.range(.y, yRange.lowerBound, nil)
        s.plot(lines.indices.map { i in
            .columns("boundary", x: 1, y: i + 2, "with linespoints pt 7 ps 1.2 lw 2", Self.palette[i % Self.palette.count], title: lines[i].title)
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
