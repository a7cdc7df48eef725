import Foundation

/// A gnuplot script built from typed pieces. Gnuplot code is only ever a `StaticString` written in
/// this module; text (titles, labels, legend entries, file names) goes in as single-quoted literals,
/// numbers as numbers, data as inline datablocks. So nothing from a results file or the command line
/// can become a gnuplot command (double-quoted strings run `` `…` `` in a shell; a newline starts a
/// new command).
struct GnuplotScript {
    private(set) var text = ""

    /// A script writing one picture to `output`, with the house style.
    init(format: ChartFormat, output: String) {
        code(format.terminal)
        text += "set output \(Self.literal(output))\n"
        code("""
        set grid ytics lc rgb '#dddddd'
        set bmargin 7
        set key at screen 0.5, screen 0.015 center bottom horizontal box opaque maxrows 2
        set autoscale xfix
        set border 11
        set tics nomirror
        set offsets 0, 0, graph 0.08, 0
        set style fill transparent solid 0.25 noborder
        """)
    }

    /// Fixed gnuplot code (a compile-time string: never user text).
    mutating func code(_ s: StaticString) { text += "\(s)\n" }

    enum Label: String { case title, xlabel, ylabel, y2label, cblabel }
    mutating func set(_ label: Label, _ value: String) {
        text += "set \(label.rawValue) \(Self.literal(value)) noenhanced" + (label == .title ? " font ',13'" : "") + "\n"
    }

    enum Axis: String { case x, y, y2, cb }
    /// `set xrange [lo:hi]`; nil leaves that end to autoscale.
    mutating func range(_ axis: Axis, _ lo: Double?, _ hi: Double?) {
        text += "set \(axis.rawValue)range [\(lo.map(Self.number) ?? "*"):\(hi.map(Self.number) ?? "*")]\n"
    }

    /// Tick marks at given positions with given text.
    mutating func tics(_ axis: Axis, _ marks: [(label: String, at: Double)]) {
        text += "set \(axis.rawValue)tics (" + marks.map { "\(Self.literal($0.label)) \(Self.number($0.at))" }.joined(separator: ", ") + ")\n"
    }

    /// A text label in the plot at data coordinates.
    mutating func label(_ value: String, at x: Double, _ y: Double) {
        text += "set label \(Self.literal(value)) noenhanced at \(Self.number(x)), \(Self.number(y)) offset 0.8,0.6 font ',8'\n"
    }

    /// A shaded span over the whole height (or a band along the bottom), behind the data.
    mutating func shade(from: Double, to: Double, height: Double, color: Color) {
        text += "set object rect from \(Self.number(from)), graph 0 to \(Self.number(to)), graph \(Self.number(height)) fc rgb '\(color.rawValue)' fs transparent solid 0.5 noborder behind\n"
    }

    /// An inline datablock `$name`; non-finite values become gnuplot's NaN (a gap).
    mutating func data(_ name: StaticString, _ rows: [[Double]]) {
        text += "$\(name) << EOD\n"
        for r in rows { text += r.map { $0.isFinite ? String(format: "%.6g", $0) : "NaN" }.joined(separator: " ") + "\n" }
        text += "EOD\n"
    }

    /// `plot` with one entry per series.
    mutating func plot(_ series: [Series]) {
        text += "plot " + series.map(\.code).joined(separator: ", \\\n     ") + "\n"
    }

    /// One thing to plot.
    struct Series {
        var code: String
        /// Columns of a datablock (`using` is fixed code, e.g. "1:2").
        static func data(_ block: StaticString, using: StaticString, _ style: StaticString, _ color: Color, title: String?, y2: Bool = false) -> Series {
            Series(code: "$\(block) using \(using)\(y2 ? " axes x1y2" : "") \(style) lc rgb '\(color.rawValue)' " + GnuplotScript.titleClause(title))
        }
        /// Two columns of a datablock by index, x and y.
        static func columns(_ block: StaticString, x: Int, y: Int, _ style: StaticString, _ color: Color, title: String?) -> Series {
            Series(code: "$\(block) using \(x):\(y) \(style) lc rgb '\(color.rawValue)' " + GnuplotScript.titleClause(title))
        }
        /// One column of a datablock by index (histograms).
        static func column(_ block: StaticString, _ index: Int, title: String?) -> Series {
            Series(code: "$\(block) using \(index) " + GnuplotScript.titleClause(title))
        }
        /// A horizontal line at `y`.
        static func line(at y: Double, _ style: StaticString, _ color: Color, title: String?) -> Series {
            Series(code: "\(GnuplotScript.number(y)) \(style) lc rgb '\(color.rawValue)' " + GnuplotScript.titleClause(title))
        }
        /// A legend entry with no data (for shading).
        static func key(_ color: Color, title: String) -> Series {
            Series(code: "NaN with boxes fs solid 0.35 lc rgb '\(color.rawValue)' " + GnuplotScript.titleClause(title))
        }
        /// Fixed code for series that need more (heatmap cells and their labels).
        static func raw(_ code: StaticString) -> Series { Series(code: "\(code)") }
    }

    static func titleClause(_ title: String?) -> String { title.map { "title \(literal($0)) noenhanced" } ?? "notitle" }

    static func number(_ x: Double) -> String { x.isFinite ? String(format: "%.10g", x) : "NaN" }

    /// Text as a gnuplot string expression that gnuplot reads as data, never as code, control characters
    /// as spaces. Text goes in single quotes (gnuplot substitutes nothing there). Quotes go in double
    /// quotes joined on with `.`: a doubled quote is single quotes' only escape, and gnuplot 5.4
    /// mis-scans two of them in a row, while a double-quoted run of apostrophes holds nothing it
    /// could substitute (no backquote, no backslash).
    static func literal(_ s: String) -> String {
        let clean = String(String.UnicodeScalarView(s.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
        }))
        guard clean.contains("'") else { return "'" + clean + "'" }
        var pieces: [String] = [], rest = Substring(clean)
        while let first = rest.first {
            let run = rest.prefix { ($0 == "'") == (first == "'") }
            pieces.append(first == "'" ? "\"" + run + "\"" : "'" + run + "'")
            rest = rest.dropFirst(run.count)
        }
        return pieces.joined(separator: ".")
    }
}

/// The palette, named for what each colour marks.
struct Color {
    let rawValue: String
    static let arrivals = Color(rawValue: "#1f77b4"), capacity = Color(rawValue: "#2ca02c")
    static let desired = Color(rawValue: "#ff7f0e"), ready = Color(rawValue: "#d62728")
    static let p50 = Color(rawValue: "#2ca02c"), p95 = Color(rawValue: "#1f77b4"), p99 = Color(rawValue: "#9467bd")
    static let sloLine = Color(rawValue: "#d62728")
    static let errorRate = Color(rawValue: "#d62728"), errorSLO = Color(rawValue: "#000000"), failed = Color(rawValue: "#8c564b")
    static let rejected = Color(rawValue: "#ff7f0e"), timedOut = Color(rawValue: "#7f7f7f")
    static let retries = Color(rawValue: "#17becf"), shed = Color(rawValue: "#bcbd22"), goodput = Color(rawValue: "#000000")
    static let queueDepth = Color(rawValue: "#1f77b4"), queueWait = Color(rawValue: "#ff7f0e"), utilization = Color(rawValue: "#2ca02c")
    static let interval = Color(rawValue: "#aec7e8"), actual = Color(rawValue: "#000000"), forecast = Color(rawValue: "#1f77b4")
    static let fault = Color(rawValue: "#ff9896"), incident = Color(rawValue: "#ffbb78")
    static let setting = Color(rawValue: "#1f77b4"), pareto = Color(rawValue: "#d62728")
}
