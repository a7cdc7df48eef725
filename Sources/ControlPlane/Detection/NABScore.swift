import Foundation

/// The weights of one of the Numenta Anomaly Benchmark's application profiles.
///
/// From NAB's `config/profiles.json` (github.com/numenta/NAB): every profile rewards a detected window
/// with up to `truePositive`, charges a missed window `falseNegative`, and charges each alarm outside
/// a window up to `falsePositive`.
public struct NABProfile: Sendable, Hashable {
    public let name: String
    public let truePositive: Double
    public let falsePositive: Double
    public let falseNegative: Double

    public init(name: String, truePositive: Double, falsePositive: Double, falseNegative: Double) {
        self.name = name
        self.truePositive = truePositive
        self.falsePositive = falsePositive
        self.falseNegative = falseNegative
    }

    public static let standard = NABProfile(name: "standard", truePositive: 1, falsePositive: 0.11, falseNegative: 1)
    public static let rewardLowFalsePositives = NABProfile(name: "reward_low_FP_rate", truePositive: 1, falsePositive: 0.22, falseNegative: 1)
    public static let rewardLowFalseNegatives = NABProfile(name: "reward_low_FN_rate", truePositive: 1, falsePositive: 0.11, falseNegative: 2)
    public static let all: [NABProfile] = [.standard, .rewardLowFalsePositives, .rewardLowFalseNegatives]
}

/// One file's score under one profile.
public struct NABScore: Sendable, Equatable {
    public var profile: String
    /// NAB's raw score: Σ over windows (best alarm's reward, or −falseNegative when missed) + Σ over
    /// alarms outside windows of their (negative) weight.
    public var raw: Double
    /// The raw score of a detector that never alarms, and of one that alarms at every window's first point.
    public var null: Double, perfect: Double
    /// Scored windows detected and missed; alarms inside and outside windows (NAB's TP and FP counts).
    public var windowsDetected: Int, windowsMissed: Int
    public var alarmsInWindows: Int, alarmsOutside: Int

    /// 100 · (raw − null) / (perfect − null), as NAB normalises a corpus; nil without windows.
    public var normalized: Double? { perfect > null ? 100 * (raw - null) / (perfect - null) : nil }

    /// Sums files into a corpus score (NAB normalises the totals, not the mean of the files' scores).
    public static func total(_ scores: [NABScore]) -> NABScore {
        var t = NABScore(profile: scores.first?.profile ?? "", raw: 0, null: 0, perfect: 0, windowsDetected: 0, windowsMissed: 0,
                         alarmsInWindows: 0, alarmsOutside: 0)
        for s in scores {
            t.raw += s.raw; t.null += s.null; t.perfect += s.perfect
            t.windowsDetected += s.windowsDetected; t.windowsMissed += s.windowsMissed
            t.alarmsInWindows += s.alarmsInWindows; t.alarmsOutside += s.alarmsOutside
        }
        return t
    }
}

/// NAB's scoring of alarms against labelled anomaly windows, as its `nab/sweeper.py` does it:
///
/// - The first 15 % of the rows (at most 750) are probationary: alarms there count for nothing, and a
///   window lying wholly inside it is not scored.
/// - An alarm at row i of a window spanning rows l…r (width w = r − l + 1) is worth
///   truePositive · σ(−(r − i + 1)/w) / σ(−1), where σ(x) = 2/(1 + e^(5x)) − 1 is NAB's scaled sigmoid:
///   the window's first row earns the full reward, its last almost nothing. Only a window's best alarm counts.
/// - An alarm outside every window costs falsePositive · σ(d / (w′ − 1)), d rows after the end of the
///   previous window of width w′ (−1 when there is none, or when d is more than three such widths): an
///   alarm just after a window is nearly forgiven.
///
/// O(rows + alarms).
public struct NABScorer: Sendable {
    /// Row timestamps, ascending.
    public let times: [Double]
    /// Windows as row-index ranges (first row at or after the start, last at or before the end).
    public let windows: [ClosedRange<Int>]

    public init(times: [Double], windows: [(start: Double, end: Double)]) {
        self.times = times
        self.windows = windows.sorted { $0.start < $1.start }.compactMap { w in
            // In file order, as NAB enters and leaves windows (a repeated hour leaves the times unsorted).
            let lo = times.firstIndex { $0 >= w.start } ?? times.count
            let hi = (times.firstIndex { $0 > w.end } ?? times.count) - 1
            return lo <= hi ? lo...hi : nil
        }
    }

    public var probationaryRows: Int { min(Int((0.15 * Double(times.count)).rounded(.down)), 750) }

    static func scaledSigmoid(_ position: Double) -> Double {
        position > 3 ? -1 : 2 / (1 + exp(5 * position)) - 1
    }

    /// Scores alarms given as row indices.
    public func score(alarms: [Int], profile: NABProfile) -> NABScore {
        let probation = probationaryRows
        let scored = windows.filter { $0.upperBound >= probation }
        var best = [Double](repeating: -profile.falseNegative, count: scored.count)
        var inWindows = 0, outside = 0, fpSum = 0.0
        let maxTP = Self.scaledSigmoid(-1)
        for i in Set(alarms).sorted() where i >= probation && i < times.count {
            if let k = scored.firstIndex(where: { $0.contains(i) }) {
                let w = scored[k]
                let position = -Double(w.upperBound - i + 1) / Double(w.count)
                best[k] = max(best[k], Self.scaledSigmoid(position) * profile.truePositive / maxTP)
                inWindows += 1
            } else {
                // The nearest window ending before i, probationary or not, sets how forgiving this is.
                if let prev = windows.last(where: { $0.upperBound < i }) {
                    let width = Double(prev.count - 1)
                    let position = width > 0 ? Double(i - prev.upperBound) / width : .infinity
                    fpSum += Self.scaledSigmoid(position) * profile.falsePositive
                } else {
                    fpSum -= profile.falsePositive
                }
                outside += 1
            }
        }
        let detected = best.filter { $0 > -profile.falseNegative }.count
        return NABScore(profile: profile.name, raw: best.reduce(0, +) + fpSum,
                        null: -profile.falseNegative * Double(scored.count), perfect: profile.truePositive * Double(scored.count),
                        windowsDetected: detected, windowsMissed: scored.count - detected, alarmsInWindows: inWindows, alarmsOutside: outside)
    }

    /// Alarm episodes outside every window (after probation): how many separate false alerts a person got.
    public func falsePositiveEpisodes(_ episodes: [ClosedRange<Int>]) -> Int {
        let probation = probationaryRows
        return episodes.filter { e in
            e.upperBound >= probation && !windows.contains { $0.overlaps(e) }
        }.count
    }
}
