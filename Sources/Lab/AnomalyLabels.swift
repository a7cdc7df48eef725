import ClusterModel
import ControlPlane
import Foundation

/// Labelled anomaly windows per series, in NAB's `combined_windows.json` layout:
/// `{ "realTweets/Twitter_volume_GOOG.csv": [["2015-03-13 03:52:53.000000", "2015-03-15 08:57:53.000000"], …], … }`.
public struct AnomalyLabels: Sendable {
    public let file: String
    public let windows: [String: [(start: Double, end: Double)]]

    /// Every problem of the file at once, each with its JSON path.
    public static func load(_ path: String) throws -> AnomalyLabels {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InvalidInput("\(path): cannot read the labels (\(error.localizedDescription))")
        }
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw InvalidInput("\(path): not a JSON object of file → [[start, end], …] windows (NAB's combined_windows.json layout)")
        }
        var problems: [String] = []
        var windows: [String: [(start: Double, end: Double)]] = [:]
        for (key, value) in top.sorted(by: { $0.key < $1.key }) {
            guard let list = value as? [Any] else { problems.append("\(path): [\"\(key)\"]: not a list of windows"); continue }
            var parsed: [(start: Double, end: Double)] = []
            for (i, w) in list.enumerated() {
                guard let pair = w as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String else {
                    problems.append("\(path): [\"\(key)\"][\(i)]: not a [start, end] pair of timestamps"); continue
                }
                guard let s = MetricSeries.calendarSeconds(a) else { problems.append("\(path): [\"\(key)\"][\(i)][0]: \"\(a)\" is not a timestamp"); continue }
                guard let e = MetricSeries.calendarSeconds(b) else { problems.append("\(path): [\"\(key)\"][\(i)][1]: \"\(b)\" is not a timestamp"); continue }
                guard s < e else { problems.append("\(path): [\"\(key)\"][\(i)]: the window " + (s == e ? "is empty (it ends where it starts)" : "ends before it starts")); continue }
                if let last = parsed.last, s <= last.end {
                    problems.append("\(path): [\"\(key)\"][\(i)]: the window overlaps or precedes the one before it (windows must be sorted and apart)"); continue
                }
                parsed.append((s, e))
            }
            guard parsed.count <= maximumWindows else {
                problems.append("\(path): [\"\(key)\"]: \(parsed.count) windows; at most \(maximumWindows) per series"); continue
            }
            windows[key] = parsed
        }
        // Keys are matched by file name: two keys with one name would make the match a guess.
        let byName = Dictionary(grouping: top.keys, by: { ($0 as NSString).lastPathComponent })
        for (name, keys) in byName.sorted(by: { $0.key < $1.key }) where keys.count > 1 {
            problems.append("\(path): keys \(keys.sorted().map { "\"\($0)\"" }.joined(separator: " and ")) share the file name \(name); keep one")
        }
        guard problems.isEmpty else { throw InvalidInput(problems.joined(separator: "\n")) }
        return AnomalyLabels(file: path, windows: windows)
    }

    /// At most this many windows per series (NAB's files have at most a handful).
    public static let maximumWindows = 10_000

    /// The windows that lie wholly or partly outside `series` (they cannot be scored).
    public static func outside(_ windows: [(start: Double, end: Double)], of series: MetricSeries) -> [(start: Double, end: Double)] {
        guard let first = series.points.first?.time, let last = series.points.last?.time else { return windows }
        return windows.filter { $0.end < first || $0.start > last }
    }

    /// The windows of a series file, matched by file name (keys may carry NAB's folder), or nil.
    public func windows(for seriesPath: String) -> [(start: Double, end: Double)]? {
        let name = (seriesPath as NSString).lastPathComponent
        if let exact = windows[seriesPath] { return exact }
        return windows.first { ($0.key as NSString).lastPathComponent == name }?.value
    }
}

/// A detector's alarms on one series scored the way NAB scores them.
public struct DetectionScore: Sendable {
    public var scores: [NABScore]
    /// Alerting episodes outside every labelled window, after NAB's probation.
    public var falsePositiveEpisodes: Int

    public init(series: MetricSeries, episodes: [AnomalyEpisode], windows: [(start: Double, end: Double)]) {
        let scorer = NABScorer(times: series.points.map(\.time), windows: windows)
        let alarms = episodes.compactMap(\.alarmRow)
        scores = NABProfile.all.map { scorer.score(alarms: alarms, profile: $0) }
        falsePositiveEpisodes = scorer.falsePositiveEpisodes(episodes.filter { $0.alarmRow != nil }.map(\.rows))
    }

    public var standard: NABScore { scores[0] }
}
