import Foundation

/// Level + daily profile + weekly profile, each learned by exponential smoothing: a cheap online
/// decomposition for series with several seasons (TBATS-like in spirit, not in machinery).
///
/// The daily profile has one bucket per `bucket` seconds of the day (5 minutes by default), the
/// weekly profile one per hour of the week, fitted to what the daily profile leaves. The daily part
/// is used once a whole day has been seen, the weekly part once a whole week has.
///
/// The daily profile is kept twice, one forgetting over about four days and one over about two
/// weeks, and the forecast uses whichever has had the smaller recent error: a pattern that changes
/// needs the first, a steady pattern under noise the second (its average over fourteen days is
/// half as noisy as one over four).
public struct SeasonalDecompositionForecaster: Forecaster {
    public let name = "seasonal"
    let step: Double
    let bucket: Double
    let dailyBuckets: Int
    var daily: [Double]
    var steadyDaily: [Double]
    /// Recent absolute one-step errors with each profile (EWMA over about a day).
    var dailyError = 0.0, steadyError = 0.0
    var useSteady: Bool { steadyError < dailyError }
    var weekly = Array(repeating: 0.0, count: 168)
    var dailySeen: [Bool]
    var level: Double?
    var first: Double?
    // (daily profile starts from the first day; see `start`)
    var lastTime = 0.0
    var residualVariance = 0.0
    /// Per-observation smoothing weights, derived from time constants so that the behaviour does not
    /// depend on the sampling step: the level moves over hours (slower than the daily cycle it must
    /// not absorb), each profile bucket forgets over a few of its seasons.
    let alphaLevel: Double, gammaDaily: Double, gammaSteady: Double, gammaWeekly: Double, errorWeight: Double

    public init(step: Double, bucket: Double = 300, levelTimeConstant: Double = 6 * 3600) {
        self.step = step
        self.bucket = max(step, bucket)
        alphaLevel = 1 - exp(-step / levelTimeConstant)
        gammaDaily = 1 - pow(0.75, step / max(step, bucket))
        gammaSteady = 1 - pow(0.93, step / max(step, bucket))
        errorWeight = min(0.05, max(0.002, step / 86_400))
        gammaWeekly = 1 - pow(0.9, step / 3600)
        dailyBuckets = max(1, Int((86_400 / self.bucket).rounded()))
        daily = Array(repeating: 0, count: dailyBuckets)
        steadyDaily = daily
        dailySeen = Array(repeating: false, count: dailyBuckets)
    }

    var hasDay: Bool { first.map { lastTime - $0 >= 86_400 - step } ?? false }
    var hasWeek: Bool { first.map { lastTime - $0 >= 7 * 86_400 - step } ?? false }

    func dayIndex(_ t: Double) -> Int { Int((t.truncatingRemainder(dividingBy: 86_400) + 86_400).truncatingRemainder(dividingBy: 86_400) / bucket) % dailyBuckets }
    func weekIndex(_ t: Double) -> Int { Int((t.truncatingRemainder(dividingBy: 604_800) + 604_800).truncatingRemainder(dividingBy: 604_800) / 3600) % 168 }

    func seasonal(_ t: Double, steady: Bool) -> Double {
        (hasDay ? (steady ? steadyDaily : daily)[dayIndex(t)] : 0) + (hasWeek ? weekly[weekIndex(t)] : 0)
    }

    /// First-day sums per bucket, to start the profile from a whole day rather than a drifting level.
    var firstDaySum: [Double] = []
    var firstDayCount: [Int] = []
    var started = false

    public mutating func observe(_ y: Double, at t: Double) {
        if first == nil {
            first = t
            firstDaySum = Array(repeating: 0, count: dailyBuckets)
            firstDayCount = Array(repeating: 0, count: dailyBuckets)
        }
        lastTime = t
        let d = dayIndex(t), w = weekIndex(t)
        if !started {
            firstDaySum[d] += y; firstDayCount[d] += 1
            if hasDay { start() }
            return
        }
        guard let l = level else { return }
        let withDaily = l + seasonal(t, steady: false), withSteady = l + seasonal(t, steady: true)
        let e = y - (useSteady ? withSteady : withDaily)
        residualVariance = 0.98 * residualVariance + 0.02 * e * e
        dailyError += errorWeight * (abs(y - withDaily) - dailyError)
        steadyError += errorWeight * (abs(y - withSteady) - steadyError)
        // Level from the deseasonalised value, then each profile from what the others leave.
        let newLevel = l + alphaLevel * (y - daily[d] - weekly[w] - l)
        level = newLevel
        daily[d] += gammaDaily * (y - newLevel - weekly[w] - daily[d])
        steadyDaily[d] += gammaSteady * (y - newLevel - weekly[w] - steadyDaily[d])
        if hasWeek || lastTime - (first ?? t) >= 2 * 86_400 {
            weekly[w] += gammaWeekly * (y - newLevel - daily[d] - weekly[w])
        }
    }

    /// After one whole day: level = the day's mean, profile = each bucket's deviation from it.
    mutating func start() {
        let seen = (0..<dailyBuckets).filter { firstDayCount[$0] > 0 }
        guard !seen.isEmpty else { return }
        let means = seen.map { firstDaySum[$0] / Double(firstDayCount[$0]) }
        let mean = means.reduce(0, +) / Double(means.count)
        level = mean
        for (i, b) in seen.enumerated() { daily[b] = means[i] - mean; dailySeen[b] = true }
        // Buckets with no data (gaps): the average of their neighbours.
        for b in 0..<dailyBuckets where !dailySeen[b] {
            daily[b] = (daily[(b + dailyBuckets - 1) % dailyBuckets] + daily[(b + 1) % dailyBuckets]) / 2
        }
        steadyDaily = daily
        started = true
        firstDaySum = []; firstDayCount = []
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        guard let level, started else { return nil }
        let t = lastTime + Double(steps) * step
        let v = level + seasonal(t, steady: useSteady)
        let half = z95 * residualVariance.squareRoot() * (1 + 0.02 * Double(steps)).squareRoot()
        return Forecast(value: v, lower: v - half, upper: v + half, confidence: hasWeek ? 1 : 0.8)
    }
}
