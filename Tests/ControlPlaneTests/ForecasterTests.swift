import Foundation
import Testing
import ControlPlane

/// Feeds `n` points of `f(i)` every `step` seconds.
func feed(_ model: inout some Forecaster, _ n: Int, step: Double = 300, start: Int = 0, _ f: (Int) -> Double) {
    for i in start..<(start + n) { model.observe(f(i), at: Double(i) * step) }
}

let daySteps = 288  // at 5-minute resolution
func sinusoid(_ i: Int) -> Double { 100 + 40 * sin(2 * Double.pi * Double(i) / Double(daySteps)) }

@Suite struct ForecasterTests {
    @Test func linearTrendIsExactOnALineAndSilentWithFewPoints() throws {
        var m = LinearTrendForecaster(step: 60)
        feed(&m, 9, step: 60) { 3 + 0.5 * Double($0) }
        #expect(m.forecast(stepsAhead: 1) == nil)  // fewer than 10 points: no forecast
        feed(&m, 100, step: 60, start: 9) { 3 + 0.5 * Double($0) }
        let f = try #require(m.forecast(stepsAhead: 10))
        #expect(abs(f.value - (3 + 0.5 * 118)) < 1e-9)
        #expect(f.upper - f.lower < 1e-6)  // no residuals, no uncertainty
        // Only the last hour is used: 60 points at one a minute.
        #expect(f.confidence == 1)
    }

    @Test func linearTrendConfidenceGrowsWithPoints() throws {
        var m = LinearTrendForecaster(step: 60)
        feed(&m, 15, step: 60) { Double($0) }
        let early = try #require(m.forecast(stepsAhead: 1)).confidence
        feed(&m, 30, step: 60, start: 15) { Double($0) }
        let later = try #require(m.forecast(stepsAhead: 1)).confidence
        #expect(early < later)
    }

    @Test func seasonalNaiveIsExactOnAPurePeriodicSeries() throws {
        var m = SeasonalNaiveForecaster(step: 300)
        feed(&m, daySteps + 10, sinusoid)
        for h in [1, 6, 24, daySteps] {
            let f = try #require(m.forecast(stepsAhead: h))
            #expect(abs(f.value - sinusoid(daySteps + 10 - 1 + h)) < 1e-9, "h = \(h)")
        }
        #expect(m.forecast(stepsAhead: daySteps + 1) == nil)
    }

    static func noise(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SystemRandomNumberGeneratorStub(seed: seed)
        return (0..<n).map { _ in rng.noise() }
    }

    @Test func theDayLongMeanFindsTheLevelUnderNoise() throws {
        var m = MeanForecaster(step: 300)
        #expect(m.forecast(stepsAhead: 1) == nil)
        let e = Self.noise(3 * daySteps, seed: 1)
        feed(&m, 3 * daySteps) { 50 + 10 * e[$0] }
        // A one-day half-life averages about 415 points: its error is near 10/√415 ≈ 0.5.
        let f = try #require(m.forecast(stepsAhead: 12))
        #expect(abs(f.value - 50) < 2, "\(f.value)")
        // Flat ahead, and its interval spans the noise (±1.96σ ≈ ±19.6).
        #expect(try #require(m.forecast(stepsAhead: 100)).value == f.value)
        #expect(f.upper - f.value > 15 && f.upper - f.value < 25)
    }

    @Test func theAllDaysProfileAveragesEveryDayAtEachTimeOfDay() throws {
        var m = DailyMeanForecaster(step: 300)
        // Exact on a noiseless daily pattern after one day…
        feed(&m, daySteps, sinusoid)
        for h in [1, 6, 100] {
            #expect(abs(try #require(m.forecast(stepsAhead: h)).value - sinusoid(daySteps - 1 + h)) < 1e-9)
        }
        // …and the mean of the days seen at each time of day: day 2 lifted by 10 moves it by 5.
        feed(&m, daySteps, start: daySteps) { sinusoid($0) + 10 }
        #expect(abs(try #require(m.forecast(stepsAhead: 7)).value - (sinusoid(7 - 1) + 5)) < 1e-9)
    }

    /// A fine step shares five-minute buckets: on 15 s data each time of day's forecast is the mean
    /// of the twenty points around it, not one point's (and a day keeps 288 buckets, not 5,760).
    @Test func theAllDaysProfileKeepsFiveMinuteBucketsOnAFineStep() throws {
        var m = DailyMeanForecaster(step: 15)
        // Each 5-minute stretch alternates 0 and 10 point by point: every bucket's mean is 5.
        feed(&m, 5_760, step: 15) { Double($0 % 2) * 10 }
        for h in [1, 2, 7, 20, 1_000] {
            #expect(abs(try #require(m.forecast(stepsAhead: h)).value - 5) < 1e-9, "\(h) steps ahead")
        }
    }

    /// A model that stays inaccurate is retrained every 100 steps on 5-minute data, but at most four
    /// times a day on 15 s scrapes (retraining refits the same history; on noise it only costs).
    @Test func anInaccurateModelIsRetrainedEvery100StepsAndAtMostFourTimesADay() {
        final class Count: @unchecked Sendable { var retrains = 0 }
        struct AlwaysOff: Forecaster {
            let name = "always-off"
            let count: Count
            mutating func observe(_ value: Double, at time: Double) {}
            func forecast(stepsAhead steps: Int) -> Forecast? { Forecast(value: 1_000, lower: 0, upper: 2_000, confidence: 1) }
            mutating func retrain() { count.retrains += 1 }
        }
        // The first retrain once 30 forecasts are scored (step 30), then one per gap + 1 steps:
        // two days are 576 five-minute steps (30, 131, …, 535: 6) or 11,520 scrapes (30 + 1,441·k: 8).
        for (step, expected) in [(300.0, 6), (15.0, 8)] {
            let count = Count()
            var auto = AutoForecaster(step: step, horizons: [1], extra: [AlwaysOff(count: count)])
            let day = Int(86_400 / step)
            feed(&auto, 2 * day, step: step) { 50 + Double($0 % 3) }
            #expect(count.retrains == expected, "step \(step): \(count.retrains) retrains in two days")
        }
    }

    @Test func theEnsembleBlendsOnlyASecondModelNearlyAsGoodAsTheBest() throws {
        // Noise around a level: the day-long mean is clearly the best, and nothing comes within 5 % of it.
        var auto = AutoForecaster(step: 300, horizons: [1])
        let e = Self.noise(4 * daySteps, seed: 2)
        feed(&auto, 4 * daySteps) { 50 + 10 * e[$0] }
        let weights = auto.weights(stepsAhead: 1)
        #expect(weights.count == 1 && weights[0].model == "mean", "\(weights)")
        // Off: the two best are blended whatever the gap.
        var blended = AutoForecaster(step: 300, horizons: [1])
        blended.blendWithin = .infinity
        feed(&blended, 4 * daySteps) { 50 + 10 * e[$0] }
        #expect(blended.weights(stepsAhead: 1).count == 2)
    }

    @Test func holtWintersLearnsASinusoidAndALine() throws {
        var m = HoltWintersForecaster(step: 300)
        #expect(m.forecast(stepsAhead: 1) == nil)
        feed(&m, 3 * daySteps, sinusoid)
        for h in [1, 6, 24] {
            let f = try #require(m.forecast(stepsAhead: h))
            #expect(abs(f.value - sinusoid(3 * daySteps - 1 + h)) < 0.02 * 40, "h = \(h): \(f.value)")
        }
        var line = HoltWintersForecaster(step: 1, season: 24)
        feed(&line, 300, step: 1) { 50 + 0.5 * Double($0) }
        let f = try #require(line.forecast(stepsAhead: 6))
        // Damped trend (φ = 0.98) undershoots a perfect line slightly: within 1 %.
        #expect(abs(f.value - (50 + 0.5 * 305)) / (50 + 0.5 * 305) < 0.01)
    }

    @Test func seasonalDecompositionLearnsTheDailyProfile() throws {
        var m = SeasonalDecompositionForecaster(step: 300)
        feed(&m, daySteps - 2, sinusoid)
        #expect(m.forecast(stepsAhead: 1) == nil)  // not a whole day yet
        feed(&m, 4 * daySteps, start: daySteps - 2, sinusoid)
        for h in [1, 6, 24] {
            let f = try #require(m.forecast(stepsAhead: h))
            #expect(abs(f.value - sinusoid(5 * daySteps - 3 + h)) < 0.05 * 40, "h = \(h): \(f.value)")
        }
    }

    @Test func ewmaFollowsAStepChange() throws {
        var m = EWMAForecaster(step: 60)
        feed(&m, 50, step: 60) { _ in 10 }
        feed(&m, 30, step: 60, start: 50) { _ in 50 }
        let f = try #require(m.forecast(stepsAhead: 5))
        #expect(abs(f.value - 50) < 0.01)  // 0.7^30 of the gap is left
    }

    @Test func autoPrefersSeasonalModelsOnASeasonalSeriesAndTrendOnALine() throws {
        var auto = AutoForecaster(step: 300, horizons: [6])
        feed(&auto, 4 * daySteps, sinusoid)
        let names = auto.weights(stepsAhead: 6).map(\.model)
        #expect(!names.contains("linear") && !names.contains("ewma"), "\(names)")
        let f = try #require(auto.forecast(stepsAhead: 6))
        #expect(abs(f.value - sinusoid(4 * daySteps - 1 + 6)) < 0.02 * 40)

        var trend = AutoForecaster(step: 60, horizons: [5])
        feed(&trend, 200, step: 60) { 10 + 2 * Double($0) }
        #expect(trend.weights(stepsAhead: 5).first?.model == "linear")
    }

    /// Each name makes its own kind of forecaster, and every kind forecasts a constant series as that constant
    /// (whatever it models — trend, seasons, level — a series that never changed has none of them). Three days
    /// at 5-minute steps, so that the daily models have whole seasons and the linear one's hour holds 12 points.
    @Test func everyModelBuildsFromItsNameAndForecastsAConstant() throws {
        for m in ForecastModel.allCases {
            var f = m.make(step: 300, horizons: [1])
            #expect(f.name == m.rawValue)
            #expect(f.neverForecastsBecause == nil, "\(m.rawValue)")
            feed(&f, 3 * 288, step: 300) { _ in 42 }
            let next = try #require(f.forecast(stepsAhead: 1), "\(m.rawValue) has no forecast after 3 days")
            #expect(abs(next.value - 42) < 1e-6, "\(m.rawValue) forecasts \(next.value)")
        }
    }
}

@Suite struct AccuracyTests {
    @Test func figuresFollowTheDesignDefinitions() {
        var t = AccuracyTracker(step: 60, season: 60 * 10)
        // Forecasts for t = 60…240 (made a step before), actuals 100, 0, 200, 50.
        let forecasts: [(Double, Double, Double, Double)] = [(60, 110, 100, 120), (120, 5, 0, 10), (180, 150, 160, 240), (240, 50, 40, 60)]
        t.observe(100, at: 0)
        for (target, v, lo, hi) in forecasts {
            t.record(model: "m", horizon: 60, madeAt: target - 60, forecast: Forecast(value: v, lower: lo, upper: hi, confidence: 1))
        }
        t.observe(100, at: 60); t.observe(0, at: 120); t.observe(200, at: 180); t.observe(50, at: 240)
        let f = t.report[0]
        #expect(f.count == 4)
        // MAPE over non-zero actuals: (10/100 + 50/200 + 0/50) / 3.
        #expect(abs(f.mape - (0.1 + 0.25 + 0) / 3) < 1e-12)
        #expect(abs(f.accuracy - (1 - f.mape)) < 1e-12)
        // sMAPE: 2|e|/(|a|+|f|) averaged over all four (the zero actual contributes 2·5/5 = 2).
        #expect(abs(f.smape - (20.0 / 210 + 2 + 100.0 / 350 + 0) / 4) < 1e-12)
        // Within ±10 %: 110 vs 100 (yes, exactly 10 %), 5 vs 0 (no), 150 vs 200 (no), 50 vs 50 (yes).
        #expect(f.hitRate == 0.5)
        // Interval coverage: [100,120]∋100 yes, [0,10]∋0 yes, [160,240]∋200 yes, [40,60]∋50 yes.
        #expect(f.coverage == 1)
        // Less than a season of data: MASE is scaled by the lag-1 naive MAE: (0 + 100 + 200 + 150) / 4.
        #expect(!t.masesAreSeasonal)
        #expect(abs(f.mase - ((10 + 5 + 50 + 0) / 4.0) / (450.0 / 4)) < 1e-12)
    }

    @Test func maseUsesTheSeasonalNaiveErrorOnceASeasonIsSeen() {
        var t = AccuracyTracker(step: 1, season: 4)
        for (i, v) in [1.0, 2, 3, 4, 2, 3, 4, 5].enumerated() { t.observe(v, at: Double(i)) }
        t.record(model: "m", horizon: 1, madeAt: 7, forecast: Forecast(value: 4, lower: 3, upper: 5, confidence: 1))
        t.observe(6, at: 8)
        let f = t.report[0]
        #expect(t.masesAreSeasonal)
        // Seasonal errors: |2−1|, |3−2|, |4−3|, |5−4|, |6−2| ⇒ scale 8/5; MAE 2.
        #expect(abs(f.mase - 2 / (8.0 / 5)) < 1e-12)
    }

    /// A gap does not shift the season: each value is compared with the value one season earlier in
    /// time, and a value with none there is not compared.
    @Test func seasonalNaiveScaleIsAlignedInTimeAcrossGaps() {
        var t = AccuracyTracker(step: 1, season: 4)
        // A period-4 series (exactly repeating) with t = 5 and 6 missing.
        for time in [0.0, 1, 2, 3, 4, 7, 8, 9, 10, 11] { t.observe([1.0, 5, 2, 8][Int(time) % 4], at: time) }
        t.record(model: "m", horizon: 1, madeAt: 11, forecast: Forecast(value: 1, lower: 0, upper: 2, confidence: 1))
        t.observe(2, at: 12)   // the season says 1: error 1 against t = 8
        let f = t.report[0]
        #expect(t.masesAreSeasonal)
        // Compared: t = 4 (vs 0), 7 (vs 3), 8 (vs 4), 11 (vs 7), 12 (vs 8) — all 0 but the last, |2 − 1| = 1.
        // Row-stepped, the gap would have compared t = 7 with t = 2 (|8 − 2|) and so on.
        #expect(abs(f.scale - 1.0 / 5) < 1e-12, "\(f.scale)")
    }
}

@Suite struct AnomalyTests {
    /// Normal noise (sd 2) with four +40 spikes, at the error-rate threshold (4σ): a false alarm is
    /// a one-in-15,000 event per point.
    func spikes(_ method: DetectionMethod, kind: MetricKind = .errorRate) -> [Int] {
        var d = AnomalyDetector(kind: kind, method: method, step: 60)
        var rng = SystemRandomNumberGeneratorStub(seed: 42)
        var found: [Int] = []
        for i in 0..<500 {
            var v = 50 + rng.noise() * 2
            if [100, 250, 251, 400].contains(i) { v += 40 }
            if d.observe(v, at: Double(i) * 60) != nil { found.append(i) }
        }
        return found
    }

    @Test func zscoreAndRobustFindInjectedSpikesAndNothingElse() {
        #expect(spikes(.zscore) == [100, 250, 251, 400])
        #expect(spikes(.robust) == [100, 250, 251, 400])
    }

    @Test func severityIsCriticalAboveOneAndAHalfTimesTheThreshold() {
        var d = AnomalyDetector(kind: .memory, method: .zscore, step: 60, baseline: 40)
        for i in 0..<40 { _ = d.observe(i % 2 == 0 ? 90 : 110, at: Double(i)) }
        // Baseline mean 100, sd 10.13 (memory threshold 2σ, critical 3σ).
        let warning = d.observe(124.5, at: 41)
        let critical = d.observe(135, at: 42)
        #expect(warning?.severity == .warning)
        #expect(critical?.severity == .critical)
        #expect(d.observe(102, at: 43) == nil)
    }

    @Test func aSeasonalPeakIsNotAnAnomalyButASpikeIs() {
        // 4.5σ: with noise of sd 1 over two scored days, a false alarm is a one-in-150,000 event per point.
        var plain = AnomalyDetector(kind: .requestRate, method: .robust, threshold: 4.5, step: 300)
        var seasonal = AnomalyDetector(kind: .requestRate, method: .seasonal, threshold: 4.5, step: 300)
        var rng = SystemRandomNumberGeneratorStub(seed: 3)
        var plainHits = 0, seasonalHits: [Int] = []
        for i in 0..<(4 * daySteps) {
            var v = 100 + 60 * sin(2 * Double.pi * Double(i) / Double(daySteps)) + rng.noise()
            let spike = i == 3 * daySteps + 100
            if spike { v += 30 }
            if plain.observe(v, at: Double(i) * 300) != nil, i >= 2 * daySteps { plainHits += 1 }
            if seasonal.observe(v, at: Double(i) * 300) != nil, i >= 2 * daySteps { seasonalHits.append(i) }
        }
        #expect(plainHits >= 5)  // the rolling window mistakes the daily swing for anomalies
        #expect(seasonalHits == [3 * daySteps + 100])
    }

    @Test func queueTrendClassifiesSlopes() {
        let cap = 100.0
        #expect(QueueTrend.of((0..<20).map { Double($0) * 100 }, step: 15, capacity: cap) == .growingFast)
        #expect(QueueTrend.of((0..<20).map { Double($0) * 10 }, step: 15, capacity: cap) == .growingSlowly)
        #expect(QueueTrend.of((0..<20).map { 500 + Double($0 % 2) }, step: 15, capacity: cap) == .stable)
        #expect(QueueTrend.of((0..<20).map { 500 - Double($0) * 20 }, step: 15, capacity: cap) == .shrinking)
    }
}

/// Deterministic noise for tests (the control plane has no simulation random streams).
struct SystemRandomNumberGeneratorStub {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    /// Approximately standard normal (sum of 12 uniforms − 6).
    mutating func noise() -> Double { (0..<12).reduce(0.0) { s, _ in s + Double(next() >> 11) * 0x1.0p-53 } - 6 }
}

