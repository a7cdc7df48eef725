import Foundation
import SimulationKernel

extension MetricSeries {
    /// Most samples one Prometheus document may hold, all series together: Prometheus's own maximum
    /// (11,000 points a series) for 2,000 series. More is refused before it is kept.
    public static let maximumPrometheusSamples = 22_000_000

    /// Parses the JSON body of a Prometheus range query (`/api/v1/query_range`):
    ///
    /// ```json
    /// {"status":"success","data":{"resultType":"matrix","result":[
    ///   {"metric":{"job":"checkout"},"values":[[1700000000,"12.5"],[1700000015,"13"]]}]}}
    /// ```
    ///
    /// A bare `result` array (what `promtool query range -o json` prints) is read too. Several series
    /// are summed at each timestamp (`sum by ()` after the fact), which needs them on one grid: series
    /// sampled at different steps, or offset from one another, are refused, as are samples out of
    /// order or repeated inside a series. An error status, a result that is not a matrix, no samples,
    /// or a bad sample is an error naming its JSON path.
    ///
    /// The document is scanned, not built as a tree: memory is the file (mapped) and the samples kept.
    ///
    /// With `requireSamples` false a matrix with no series or no samples is an empty series, not an
    /// error (one page of a longer range may fall in a gap).
    public static func parse(prometheusJSON data: Data, origin: String, options: TraceReadOptions = .init(),
                             requireSamples: Bool = true) throws -> MetricSeries {
        var reader = PrometheusMatrixReader(origin: origin, options: options)
        reader.requireSamples = requireSamples
        try data.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            do {
                switch try scanner.peekKind() {
                case .array: try reader.readResult(&scanner, path: "")
                case .object: try reader.readResponse(&scanner)
                default: throw reader.fail("$", "expected a Prometheus response object or a result array")
                }
                try scanner.end()
            } catch let e as JSONScanner.SyntaxError {
                throw TraceError(file: origin, line: 0, problem: "not valid JSON (at byte \(e.offset): \(e.problem))")
            }
        }
        return try reader.series()
    }
}

/// What `parse(prometheusJSON:)` keeps while it scans: the response's envelope and the running sums.
struct PrometheusMatrixReader {
    let origin: String
    let options: TraceReadOptions
    var status: String?
    var errorType: String?
    var errorMessage: String?
    var sawData = false
    var resultType: String?
    var sawResult = false
    var resultPath = "data.result"
    var seriesCount = 0
    var sampleCount = 0
    var firstRaw: Double?
    /// The sum of every series at each timestamp.
    var sums: [Double: Double] = [:]
    /// The grid the first series with two samples set: its step and one of its instants.
    var grid: (step: Double, origin: Double, path: String)?
    var requireSamples = true

    init(origin: String, options: TraceReadOptions) { self.origin = origin; self.options = options }

    func fail(_ path: String, _ problem: String) -> TraceError { TraceError(file: origin, path: path, problem: problem) }

    mutating func readResponse(_ s: inout JSONScanner) throws {
        try s.object { s, key in
            switch key {
            case "status": status = try text(&s)
            case "errorType": errorType = try text(&s)
            case "error": errorMessage = try text(&s)
            case "data":
                guard try s.peekKind() == .object else { try s.skipValue(); return }
                sawData = true
                try s.object { s, key in
                    switch key {
                    case "resultType": resultType = try text(&s)
                    case "result":
                        // A vector's samples would be misread below: say what the result is first.
                        if let resultType, resultType != "matrix" { throw wrongType(resultType) }
                        guard try s.peekKind() == .array else { try s.skipValue(); return }
                        try readResult(&s, path: "data.result")
                    default: try s.skipValue()
                    }
                }
            default: try s.skipValue()
            }
        }
    }

    /// A string value, or nil for anything else (skipped).
    private func text(_ s: inout JSONScanner) throws -> String? {
        if try s.peekKind() == .string { return try s.string() }
        try s.skipValue()
        return nil
    }

    private func wrongType(_ type: String) -> TraceError {
        fail("data.resultType", "is \"\(type)\", expected \"matrix\" (export with /api/v1/query_range, not /api/v1/query)")
    }

    mutating func readResult(_ s: inout JSONScanner, path: String) throws {
        sawResult = true
        resultPath = path.isEmpty ? "$" : path
        try s.array { s, k in
            let seriesPath = "\(path)[\(k)]"
            guard try s.peekKind() == .object else { throw fail(seriesPath, "not a series object") }
            seriesCount += 1
            var sawValues = false, sawValue = false
            try s.object { s, key in
                switch key {
                case "values":
                    guard try s.peekKind() == .array else { throw fail(seriesPath + ".values", "missing or not an array") }
                    sawValues = true
                    try readSamples(&s, path: seriesPath + ".values")
                case "value":
                    sawValue = true
                    try s.skipValue()
                default: try s.skipValue()
                }
            }
            if !sawValues {
                throw fail(seriesPath + ".values", sawValue ? "missing: this is an instant vector (use query_range)" : "missing or not an array")
            }
        }
    }

    /// One series' samples: checked in order, then added to the sums once it is on the grid.
    private mutating func readSamples(_ s: inout JSONScanner, path: String) throws {
        var times: [Double] = [], values: [Double] = []
        try s.array { s, j in
            let samplePath = "\(path)[\(j)]"
            sampleCount += 1
            guard sampleCount <= MetricSeries.maximumPrometheusSamples else {
                throw fail(samplePath, "more than \(MetricSeries.maximumPrometheusSamples) samples in one document; query a shorter range or a coarser step")
            }
            if sampleCount & 0xFFFF == 0, StopRequest.isSet { throw StopRequested() }
            guard try s.peekKind() == .array else { throw fail(samplePath, "expected [timestamp, \"value\"]") }
            var raw: Double?, value: Double?, valueText: String?, count = 0
            try s.array { s, i in
                count += 1
                switch (i, try s.peekKind()) {
                case (0, .number): raw = try s.number()
                case (0, .string): raw = Double(try s.string())
                case (1, .string):
                    let text = try s.string()
                    valueText = text; value = Double(text) ?? .signalingNaN
                case (1, .number): value = try s.number()
                default: try s.skipValue()
                }
            }
            guard count == 2 else { throw fail(samplePath, "expected [timestamp, \"value\"]") }
            guard let raw, raw.isFinite else { throw fail(samplePath + "[0]", "timestamp is not a number") }
            if firstRaw == nil { firstRaw = raw }
            let t = MetricSeries.seconds(raw, unit: options.timeUnit == .auto ? .seconds : options.timeUnit, firstRaw: firstRaw)
            guard abs(t) <= MetricSeries.timeLimit else { throw fail(samplePath + "[0]", "timestamp \(raw) is out of range (beyond ±10¹¹ s, about the year 5138)") }
            guard let v = value, !v.isSignalingNaN else { throw fail(samplePath + "[1]", "value is not a number in a string") }
            let p = try MetricSeries.checkedPoint(time: t, value: v, text: valueText, options: options) { fail(samplePath + "[1]", $0) }
            if let last = times.last, t <= last {
                throw fail(samplePath + "[0]", t == last ? "timestamp \(raw) is repeated (samples in a series must be sorted and unique)"
                                                         : "timestamp \(raw) is before the previous sample's (samples in a series must be sorted and unique)")
            }
            times.append(p.time); values.append(p.value)
        }
        try align(times, path: path)
        for (t, v) in zip(times, values) { sums[t, default: 0] += v }
    }

    /// Summing per timestamp is right only when every series is sampled on one grid (a range query's
    /// series share its step): a series at another step, or offset from the first, would be added
    /// beside it instead of to it (halving a rate, or spiking every fifth point).
    private mutating func align(_ times: [Double], path: String) throws {
        var gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        gaps.sort()
        let step = gaps.isEmpty ? nil : gaps[gaps.count / 2]
        guard let grid else {
            if let step { self.grid = (step, times[0], path) }
            return
        }
        let tolerance = 1e-6 * grid.step
        if let step, abs(step - grid.step) > tolerance {
            throw fail(path, "sampled every \(Self.duration(step)), but \(grid.path) every \(Self.duration(grid.step)); "
                       + "series summed per timestamp must share one step (query them with one step)")
        }
        // Instants another series already has are on the grid; only new ones are checked.
        for t in times where sums[t] == nil {
            let k = ((t - grid.origin) / grid.step).rounded()
            let off = t - (grid.origin + k * grid.step)
            guard abs(off) <= tolerance else {
                throw fail(path, "its samples are offset by \(Self.duration(abs(off))) from \(grid.path)'s; "
                           + "series summed per timestamp must be sampled at the same instants (query them together)")
            }
        }
    }

    static func duration(_ seconds: Double) -> String {
        seconds >= 1 && seconds.rounded() == seconds && seconds < 1e9 ? "\(SimDuration.seconds(seconds))" : "\(seconds) s"
    }

    /// The summed series, once the envelope is checked.
    func series() throws -> MetricSeries {
        if !sawResult || sawData || status != nil {
            guard let status else { throw fail("status", "missing (is this a Prometheus API response?)") }
            guard status == "success" else {
                let kind = errorType.map { "\($0): " } ?? ""
                throw fail("status", "Prometheus answered \"\(status)\" (\(kind)\(errorMessage ?? "no error message"))")
            }
            guard sawData else { throw fail("data", "missing or not an object") }
            let type = resultType ?? "missing"
            guard type == "matrix" else { throw wrongType(type) }
            guard sawResult else { throw fail("data.result", "missing or not an array") }
        }
        if !requireSamples && sums.isEmpty { return MetricSeries(points: [], origin: origin) }
        guard seriesCount > 0 else { throw fail(resultPath, "holds no series (the query matched nothing)") }
        guard !sums.isEmpty else { throw fail(resultPath, "holds no samples") }
        let points = sums.keys.sorted().map { MetricSeries.Point(time: $0, value: sums[$0]!) }
        return MetricSeries(points: points, origin: origin)
    }
}
