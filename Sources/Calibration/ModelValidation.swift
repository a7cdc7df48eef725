import Foundation

/// One simulated scrape, in the figures a history holds (counts over the scrape's step).
public struct SimulatedScrape: Sendable, Equatable {
    /// Seconds since the simulation started (the end of the scrape's interval).
    public var time: Double
    public var ready: Double
    public var p50: Double, p95: Double, p99: Double
    /// Busy share of the worker slots (0…1).
    public var busy: Double
    public var served: Double
    public var errors: Double
    public var arrivals: Double
    /// Replica-seconds held (ready and starting): what the scrape cost.
    public var replicaSeconds: Double
    public init(time: Double, ready: Double, p50: Double, p95: Double, p99: Double, busy: Double, served: Double, errors: Double, arrivals: Double, replicaSeconds: Double) {
        self.time = time; self.ready = ready; self.p50 = p50; self.p95 = p95; self.p99 = p99; self.busy = busy
        self.served = served; self.errors = errors; self.arrivals = arrivals; self.replicaSeconds = replicaSeconds
    }
}

/// How close the simulation must be to count as valid (the defaults are issue 30's).
public struct ValidationTolerances: Codable, Sendable, Equatable {
    /// Replicas: mean absolute percentage error per scrape.
    public var replicasMAPE = 0.10
    /// Each scale-up within this many seconds of the real one (one HPA sync period).
    public var scaleUpSeconds = 15.0
    /// p95 latency: MAPE on unsaturated scrapes.
    public var p95MAPE = 0.15
    /// Recovery after a replica died: within this share of the real one (and never tighter than one scrape step).
    public var recoveryShare = 0.20
    /// Requests served, and errors, in total: within this share of the real requests.
    public var totalsShare = 0.02
    /// A scrape's latency is compared only when it holds at least this many requests.
    public var minimumRequests = 100.0
    public init() {}
}

/// The simulation of a recorded period compared with what the real system recorded, scrape by scrape.
public struct ModelValidation: Sendable {
    public struct Row: Codable, Sendable, Equatable {
        public var metric: String
        /// `all`, `unsaturated` or `saturated`.
        public var regime: String
        public var scrapes: Int
        public var mape: Double?
        /// Σ simulated ÷ Σ real − 1.
        public var bias: Double?
        public var pearson: Double?
        /// What it is held to, in words ("MAPE ≤ 10 %"), and whether it holds; nil: reported only.
        public var tolerance: String?
        public var passed: Bool?
    }
    public struct Timing: Codable, Sendable, Equatable {
        /// `scale-up to N` or `recovery after a death`.
        public var event: String
        /// Seconds since the start of the validated period.
        public var real: Double
        /// Seconds since the start of the validated period; nil when the simulation never did it.
        public var simulated: Double?
        /// Simulated − real (for a recovery: simulated recovery time − real recovery time), seconds.
        public var error: Double?
        public var allowed: Double
        public var passed: Bool
        /// How a scale-up's event begins (`scale-up to 3`).
        public static let scaleUpPrefix = "scale-up to "
    }

    /// One scrape's figures, real and simulated side by side.
    public struct ScrapePair: Codable, Sendable, Equatable {
        /// Seconds since the start of the validated period (the end of the scrape's step).
        public var time: Double
        public var saturated: Bool
        public var real: Figures, simulated: Figures
        /// Requests served and errors are counts over the step; NaN: not recorded.
        public struct Figures: Codable, Sendable, Equatable {
            public var ready: Double, p95: Double, busy: Double, served: Double, errors: Double
        }
    }

    public var rows: [Row] = []
    public var timings: [Timing] = []
    /// Every compared scrape, in time order.
    public var scrapes: [ScrapePair] = []
    public var notes: [String] = []
    public var passed: Bool { rows.allSatisfy { $0.passed != false } && timings.allSatisfy(\.passed) }

    /// The tolerances that did not hold, in words.
    public var failures: [String] {
        rows.filter { $0.passed == false }.map { "\($0.metric) (\($0.regime)) \($0.tolerance ?? "")" }
            + timings.filter { !$0.passed }.map { String(format: "%@ at %.0f s", $0.event, $0.real) }
    }

    /// The validation in brief, as a model file keeps it.
    public func record(history: String, scrapes: Int) -> CalibratedModel.ValidationRecord {
        let scaleUps = timings.filter { $0.event.hasPrefix(Timing.scaleUpPrefix) }
        return .init(history: history, scrapes: scrapes, passed: passed,
                     replicasMAPE: rows.first { $0.metric == "replicas" }?.mape,
                     p95MAPE: rows.first { $0.metric == "p95" && $0.regime == "unsaturated" }?.mape,
                     scaleUpsOnTime: scaleUps.filter(\.passed).count, scaleUps: scaleUps.count, failures: failures)
    }

    /// Compares the simulated scrapes with the history. Real row i covers the step ending at its time; it is
    /// compared with the simulated scrape that covers the same stretch (`offset` seconds of simulated time
    /// before the history's first row).
    public init(history h: ServiceHistory, simulated: [SimulatedScrape], deaths: [Double], workMean: Double,
                tolerances t: ValidationTolerances = ValidationTolerances(), offset: Double) {
        let step = h.step, t0 = h.times[0]
        let byTime = Dictionary(simulated.map { (Int(($0.time / step).rounded()), $0) }, uniquingKeysWith: { a, _ in a })
        var pairs: [(row: Int, sim: SimulatedScrape)] = []
        for i in h.times.indices {
            if let s = byTime[Int(((h.times[i] - t0 + offset) / step).rounded())] { pairs.append((i, s)) }
        }
        if pairs.count < h.count { notes.append("\(h.count - pairs.count) of \(h.count) real scrapes had no simulated scrape at their time") }
        func real(_ c: ServiceHistory.Column, _ i: Int) -> Double { h.value(c, i) }
        // A scrape is saturated when requests queue (mean latency ≥ 2× the work) or are turned away.
        let saturated = Set(pairs.map(\.row).filter { i in
            let mean = real(.latencySum, i) / real(.latencyCount, i)
            return (mean.isFinite && mean >= 2 * workMean) || (real(.errors, i) > 0.01 * real(.rate, i) && real(.errors, i) > 0)
        })
        scrapes = pairs.map { i, sim in
            ScrapePair(time: h.times[i] - t0, saturated: saturated.contains(i),
                       real: .init(ready: real(.ready, i), p95: real(.p95, i), busy: real(.busy, i), served: real(.served, i) * step, errors: real(.errors, i) * step),
                       simulated: .init(ready: sim.ready, p95: sim.p95, busy: sim.busy, served: sim.served, errors: sim.errors))
        }
        func row(_ metric: String, _ regime: String, _ xs: [(Double, Double)], tolerance: (String, Double)?) -> Row {
            let usable = xs.filter { $0.0.isFinite && $0.1.isFinite }
            let nonzero = usable.filter { $0.0 > 0 }
            let mape = nonzero.isEmpty ? nil : nonzero.reduce(0) { $0 + abs($1.1 - $1.0) / $1.0 } / Double(nonzero.count)
            let sr = usable.reduce(0) { $0 + $1.0 }, ss = usable.reduce(0) { $0 + $1.1 }
            var r = Row(metric: metric, regime: regime, scrapes: usable.count, mape: mape, bias: sr > 0 ? ss / sr - 1 : nil,
                        pearson: Self.pearson(usable), tolerance: nil, passed: nil)
            if let (words, limit) = tolerance {
                r.tolerance = words
                r.passed = mape.map { $0 <= limit } ?? false
            }
            return r
        }
        rows.append(row("replicas", "all", pairs.map { (real(.ready, $0.row), $0.sim.ready) },
                        tolerance: (String(format: "MAPE ≤ %.0f %%", t.replicasMAPE * 100), t.replicasMAPE)))
        let latencyPairs = pairs.filter { real(.latencyCount, $0.row) * step >= t.minimumRequests && $0.sim.served >= t.minimumRequests }
        for (name, column, value) in [("p50", ServiceHistory.Column.p50, { (s: SimulatedScrape) in s.p50 }),
                                      ("p95", .p95, { $0.p95 }), ("p99", .p99, { $0.p99 })] where h[column] != nil {
            let unsat = latencyPairs.filter { !saturated.contains($0.row) }, sat = latencyPairs.filter { saturated.contains($0.row) }
            rows.append(row(name, "unsaturated", unsat.map { (real(column, $0.row), value($0.sim)) },
                            tolerance: name == "p95" ? (String(format: "MAPE ≤ %.0f %%", t.p95MAPE * 100), t.p95MAPE) : nil))
            if !sat.isEmpty { rows.append(row(name, "saturated", sat.map { (real(column, $0.row), value($0.sim)) }, tolerance: nil)) }
        }
        if h[.busy] != nil { rows.append(row("busy share", "all", pairs.map { (real(.busy, $0.row), $0.sim.busy) }, tolerance: nil)) }
        rows.append(row("served/scrape", "all", pairs.map { (real(.served, $0.row) * step, $0.sim.served) }, tolerance: nil))
        // Totals: served and errors within a share of all the real requests.
        let realRequests = pairs.reduce(0) { $0 + real(.rate, $1.row) * step }
        let realServed = pairs.reduce(0) { $0 + real(.served, $1.row) * step }, simServed = pairs.reduce(0) { $0 + $1.sim.served }
        let realErrors = pairs.reduce(0) { $0 + (real(.errors, $1.row).isFinite ? real(.errors, $1.row) : 0) * step }
        let simErrors = pairs.reduce(0) { $0 + $1.sim.errors }
        let limit = String(format: "within %.0f %% of the requests", t.totalsShare * 100)
        let servedGap = realRequests > 0 ? abs(simServed - realServed) / realRequests : .nan
        let errorGap = realRequests > 0 ? abs(simErrors - realErrors) / realRequests : .nan
        rows.append(Row(metric: String(format: "served total (%.0f real, %.0f sim)", realServed, simServed), regime: "all", scrapes: pairs.count,
                        mape: nil, bias: realServed > 0 ? simServed / realServed - 1 : nil, pearson: nil, tolerance: limit, passed: servedGap <= t.totalsShare))
        rows.append(Row(metric: String(format: "errors total (%.0f real, %.0f sim)", realErrors, simErrors), regime: "all", scrapes: pairs.count,
                        mape: nil, bias: realErrors > 0 ? simErrors / realErrors - 1 : nil, pearson: nil, tolerance: limit, passed: errorGap <= t.totalsShare))
        let realCost = pairs.reduce(0) { $0 + real(.ready, $1.row) * step }, simCost = pairs.reduce(0) { $0 + $1.sim.replicaSeconds }
        rows.append(Row(metric: "replica-seconds (cost)", regime: "all", scrapes: pairs.count, mape: nil,
                        bias: realCost > 0 ? simCost / realCost - 1 : nil, pearson: nil, tolerance: nil, passed: nil))

        // Scale-ups: each first upward crossing of a replica count, matched with the simulation's crossing of the same count.
        let realTimes = pairs.map { h.times[$0.row] - t0 }, realReady = pairs.map { real(.ready, $0.row) }
        let simTimes = pairs.map { $0.sim.time - offset }, simReady = pairs.map(\.sim.ready)
        for (time, level) in Self.upCrossings(times: realTimes, values: realReady) {
            let candidates = Self.upCrossings(times: simTimes, values: simReady).filter { $0.level == level }
            let nearest = candidates.min { abs($0.time - time) < abs($1.time - time) }
            let error = nearest.map { $0.time - time }
            timings.append(Timing(event: Timing.scaleUpPrefix + "\(Int(level))", real: time, simulated: nearest?.time, error: error,
                                  allowed: t.scaleUpSeconds, passed: error.map { abs($0) <= t.scaleUpSeconds } ?? false))
        }
        // Recovery after each death: from the death to the first scrape with as many ready replicas as just before it.
        for death in deaths {
            let d = death - t0
            guard let realRecovery = Self.recovery(after: d, times: realTimes, ready: realReady) else { continue }
            let simRecovery = Self.recovery(after: d, times: simTimes, ready: simReady)
            let allowed = max(t.recoveryShare * realRecovery, step)
            let error = simRecovery.map { $0 - realRecovery }
            timings.append(Timing(event: "recovery after a death", real: realRecovery, simulated: simRecovery, error: error,
                                  allowed: allowed, passed: error.map { abs($0) <= allowed } ?? false))
        }
    }

    /// Seconds from `death` until the ready count is back to what it was just before it; nil if never.
    static func recovery(after death: Double, times: [Double], ready: [Double]) -> Double? {
        guard let k = times.lastIndex(where: { $0 <= death }) else { return nil }
        let level = ready[k]
        // The death shows as a drop first; recovery is the first scrape after it back at the level.
        guard let dropped = times.indices.first(where: { times[$0] > death && ready[$0] < level }) else { return 0 }
        guard let back = times.indices.first(where: { $0 > dropped && ready[$0] >= level }) else { return nil }
        return times[back] - death
    }

    /// Times at which the series first reaches each level above its starting value (after falling below it again).
    static func upCrossings(times: [Double], values: [Double]) -> [(time: Double, level: Double)] {
        var out: [(Double, Double)] = []
        guard var previous = values.first(where: { $0.isFinite }) else { return [] }
        for (t, v) in zip(times, values) where v.isFinite {
            if v > previous {
                var level = previous + 1
                while level <= v { out.append((t, level)); level += 1 }
            }
            previous = v
        }
        return out
    }

    static func pearson(_ xs: [(Double, Double)]) -> Double? {
        guard xs.count >= 3 else { return nil }
        let n = Double(xs.count)
        let mx = xs.reduce(0) { $0 + $1.0 } / n, my = xs.reduce(0) { $0 + $1.1 } / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in xs { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx); syy += (y - my) * (y - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
    }
}
