import Foundation

extension MetricSeries {
    /// Parses the JSON body of a Prometheus range query (`/api/v1/query_range`):
    ///
    /// ```json
    /// {"status":"success","data":{"resultType":"matrix","result":[
    ///   {"metric":{"job":"checkout"},"values":[[1700000000,"12.5"],[1700000015,"13"]]}]}}
    /// ```
    ///
    /// A bare `result` array (what `promtool query range -o json` prints) is read too. Several series
    /// are summed at each timestamp (`sum by ()` after the fact). An error status, a result that is not
    /// a matrix, no samples, or a bad sample is an error naming its JSON path.
    public static func parse(prometheusJSON data: Data, origin: String, options: TraceReadOptions = .init()) throws -> MetricSeries {
        func fail(_ path: String, _ problem: String) -> TraceError { TraceError(file: origin, path: path, problem: problem) }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw TraceError(file: origin, line: 0, problem: "not valid JSON (\(jsonProblem(error)))")
        }
        let series: [Any], seriesPath: String
        if let array = root as? [Any] {
            series = array; seriesPath = ""
        } else if let object = root as? [String: Any] {
            guard let status = object["status"] as? String else { throw fail("status", "missing (is this a Prometheus API response?)") }
            guard status == "success" else {
                let kind = (object["errorType"] as? String).map { "\($0): " } ?? ""
                throw fail("status", "Prometheus answered \"\(status)\" (\(kind)\(object["error"] as? String ?? "no error message"))")
            }
            guard let body = object["data"] as? [String: Any] else { throw fail("data", "missing or not an object") }
            let type = body["resultType"] as? String ?? "missing"
            guard type == "matrix" else {
                throw fail("data.resultType", "is \"\(type)\", expected \"matrix\" (export with /api/v1/query_range, not /api/v1/query)")
            }
            guard let result = body["result"] as? [Any] else { throw fail("data.result", "missing or not an array") }
            series = result; seriesPath = "data.result"
        } else {
            throw fail("$", "expected a Prometheus response object or a result array")
        }
        guard !series.isEmpty else { throw fail(seriesPath.isEmpty ? "$" : seriesPath, "holds no series (the query matched nothing)") }

        // Sum the series at each timestamp; Prometheus aligns a range query's samples on its step.
        var sums: [Double: Double] = [:]
        var firstRaw: Double?
        for (k, item) in series.enumerated() {
            let path = "\(seriesPath)[\(k)]"
            guard let s = item as? [String: Any] else { throw fail(path, "not a series object") }
            guard let values = s["values"] as? [Any] else {
                throw fail(path + ".values", s["value"] != nil ? "missing: this is an instant vector (use query_range)" : "missing or not an array")
            }
            for (j, sample) in values.enumerated() {
                let samplePath = "\(path).values[\(j)]"
                guard let pair = sample as? [Any], pair.count == 2 else { throw fail(samplePath, "expected [timestamp, \"value\"]") }
                guard let raw = (pair[0] as? NSNumber)?.doubleValue ?? (pair[0] as? String).flatMap(Double.init), raw.isFinite else {
                    throw fail(samplePath + "[0]", "timestamp is not a number")
                }
                if firstRaw == nil { firstRaw = raw }
                let t = seconds(raw, unit: options.timeUnit == .auto ? .seconds : options.timeUnit, firstRaw: firstRaw)
                guard abs(t) <= timeLimit else { throw fail(samplePath + "[0]", "timestamp \(raw) is out of range") }
                guard let text = pair[1] as? String ?? (pair[1] as? NSNumber)?.stringValue, let v = Double(text) else {
                    throw fail(samplePath + "[1]", "value is not a number in a string")
                }
                let p = try checkedPoint(time: t, value: v, options: options) { fail(samplePath + "[1]", $0) }
                sums[t, default: 0] += p.value
            }
        }
        guard !sums.isEmpty else { throw fail(seriesPath.isEmpty ? "$" : seriesPath, "holds no samples") }
        let points = sums.keys.sorted().map { Point(time: $0, value: sums[$0]!) }
        return MetricSeries(points: points, origin: origin)
    }

    private static func jsonProblem(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
