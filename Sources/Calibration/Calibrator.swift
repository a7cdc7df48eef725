import Foundation
import SimulationKernel
import Statistics

/// Fits a service model to its metric history and replica events.
///
/// - Work: from the lightest-loaded quarter of the scrapes (where a request hardly waits: refused when latency
///   still rises with load there beyond sampling noise), the mean is
///   Σ latency ÷ Σ requests and the shape is the family (gamma, log-normal) whose CDF is nearest the
///   latency histogram's at its bucket bounds; errors by bootstrap over scrapes.
/// - Concurrency: from saturated scrapes (mean latency ≥ `saturationFactor` × the work, or requests
///   turned away), where every slot is busy, so Little's law gives slots = served × work ÷ replicas.
/// - Queue per replica: from scrapes that turned requests away (errors count as turned away), where the
///   queue was full, so Little's law gives slots + queue = served × mean latency ÷ replicas.
/// - CPU per request: least squares of CPU cores on the served rate.
/// - Start-up: the replicas' start → ready times in the event log.
///
/// A part the data cannot identify is left out with its refusal in words.
public struct Calibrator: Sendable {
    /// The lightest share of the scrapes the work is fitted from (with those within 1.5× of its heaviest load,
    /// and more, lightest first, until they hold `minimumRequests`).
    public var lowLoadShare = 0.25
    /// A scrape whose mean latency is this many times the work is saturated.
    public var saturationFactor = 3.0
    public var bootstrapRounds = 200
    public var seed: UInt64 = 1
    /// Fewest requests the work's fit needs.
    public var minimumRequests = 200

    public init() {}

    /// Values the user knows (not fitted, and not refused).
    public struct Given: Sendable {
        public var workCV: Double?
        /// The work's mean, seconds (with `workCV`: the whole work given, a gamma).
        public var workMean: Double?
        public var concurrency: Int?
        public var startupSeconds: Double?
        public var queueLimit: Int?
        public var timeout: Double?
        public init(workCV: Double? = nil, concurrency: Int? = nil, startupSeconds: Double? = nil, queueLimit: Int? = nil, timeout: Double? = nil) {
            self.workCV = workCV; self.concurrency = concurrency; self.startupSeconds = startupSeconds; self.queueLimit = queueLimit; self.timeout = timeout
        }
    }

    public func calibrate(service: String, history: ServiceHistory, events: ReplicaEvents?, given: Given = Given()) -> CalibratedModel {
        var model = CalibratedModel(service: service)
        model.data = ["origin": history.origin, "from": String(history.times.first ?? 0), "to": String(history.times.last ?? 0),
                      "scrapes": String(history.count), "step": String(history.step)]
        model.timeout = given.timeout
        if let mean = given.workMean, let cv = given.workCV {
            model.work = .init(family: cv == 0 ? "constant" : "gamma", mean: .given(mean), cv: .given(cv), requests: 0, loadPerReplica: [])
        } else {
            switch fitWork(history, givenCV: given.workCV) {
            case .success(let w): model.work = w
            case .failure(let refusal): model.refusals.append(refusal.reason)
            }
        }
        if let c = given.concurrency { model.concurrency = .given(Double(c)) } else if let w = model.work {
            switch fitConcurrency(history, work: w.mean.value) {
            case .success(let c): model.concurrency = c
            case .failure(let refusal): model.refusals.append(refusal.reason)
            }
        } else { model.refusals.append("concurrency: needs the work's mean, which was not fitted") }
        if let q = given.queueLimit { model.queueLimit = .given(Double(q)) } else if let c = model.concurrency {
            switch fitQueueLimit(history, slots: c.value) {
            case .success(let q): model.queueLimit = q
            case .failure(let refusal): model.refusals.append(refusal.reason)
            }
        }
        switch fitCPU(history) {
        case .success(let c): model.cpu = c
        case .failure(let refusal): model.refusals.append(refusal.reason)
        }
        if let s = given.startupSeconds { model.startup = .init(family: "constant", mean: .given(s), sd: 0, observations: 0) } else {
            switch fitStartUp(events) {
            case .success(let s): model.startup = s
            case .failure(let refusal): model.refusals.append(refusal.reason)
            }
        }
        return model
    }

    public struct Refusal: Error, Sendable { public var reason: String; init(_ r: String) { reason = r } }

    // MARK: Work

    struct Scrape { var row: Int; var perReplica: Double; var requests: Double; var latencySum: Double; var buckets: [Double] }

    /// Scrapes with served requests, a latency sum and ready replicas, by load per replica.
    func scrapes(_ h: ServiceHistory) -> [Scrape] {
        let step = h.step
        let bucketColumns = h.buckets
        return h.times.indices.compactMap { i -> Scrape? in
            let count = h.value(.latencyCount, i), sum = h.value(.latencySum, i), ready = h.value(.ready, i)
            guard count > 0, sum.isFinite, ready >= 1 else { return nil }
            return Scrape(row: i, perReplica: count / ready, requests: count * step, latencySum: sum * step,
                          buckets: bucketColumns.map { h.value($0.column, i) * step })
        }.sorted { $0.perReplica < $1.perReplica }
    }

    func fitWork(_ h: ServiceHistory, givenCV: Double?) -> Result<CalibratedModel.Work, Refusal> {
        guard h[.latencySum] != nil, h[.latencyCount] != nil, h[.ready] != nil else {
            return .failure(Refusal("work: the history has no latency_sum, latency_count and ready columns (a latency histogram's _sum and _count rates, and ready replicas)"))
        }
        let all = scrapes(h)
        guard all.count >= 6 else { return .failure(Refusal("work: \(all.count) scrapes with served requests; at least 6 are needed")) }
        // The lightest quarter, and every scrape nearly as light (within 1.5× of its heaviest), at least 6.
        let quartile = all[min(all.count - 1, max(5, Int((Double(all.count) * lowLoadShare).rounded()) - 1))].perReplica
        var n = max(6, all.prefix { $0.perReplica <= 1.5 * quartile }.count)
        // Too few requests there (replicas added for a surge make the quiet scrapes after it the lightest):
        // take the next lightest until there are enough; the flatness check below still guards against waiting.
        var held = all.prefix(n).reduce(0) { $0 + $1.requests }
        while held < Double(minimumRequests) && n < all.count { held += all[n].requests; n += 1 }
        let low = Array(all.prefix(n))
        let requests = low.reduce(0) { $0 + $1.requests }
        guard requests >= Double(minimumRequests) else {
            return .failure(Refusal("work: the lightest scrapes hold \(Int(requests)) requests; at least \(minimumRequests) are needed for a fit"))
        }
        // Flat latency across the light scrapes is the sign of little queueing: otherwise the mean would be the work plus waiting.
        // Refused when the heavier half's mean is both 25 % above the lighter's and more than sampling noise (2 standard errors).
        let lighter = Array(low.prefix(n / 2)), heavier = Array(low.suffix(n - n / 2))
        let (m1, se1) = Self.meanLatency(lighter), (m2, se2) = Self.meanLatency(heavier)
        if m2 > m1 * 1.25 && m2 - m1 > 2 * (se1 * se1 + se2 * se2).squareRoot() {
            return .failure(Refusal(String(format: "work: no low-load period: among the lightest scrapes mean latency still rises with load (%.1f ms at %.2f/s per replica, %.1f ms at %.2f/s), so waiting cannot be told from work",
                                           m1 * 1000, lighter.last!.perReplica, m2 * 1000, heavier.last!.perReplica)))
        }
        let (mean, se) = Self.meanLatency(low)
        var work = CalibratedModel.Work(family: "gamma", mean: Estimate(mean, error: se), cv: .given(givenCV ?? .nan), histogramDistance: nil,
                                        quantileErrors: nil, requests: Int(requests.rounded()),
                                        loadPerReplica: [low.first!.perReplica, low.last!.perReplica])
        if let cv = givenCV { work.cv = .given(cv); work.family = cv == 0 ? "constant" : "gamma"; return .success(work) }
        let bounds = h.buckets.map(\.bound)
        guard !bounds.isEmpty, bounds.last == .infinity else {
            return .failure(Refusal("work: the shape needs the latency histogram's buckets (le_… columns up to le_+Inf); give --work-cv to fit the mean alone"))
        }
        let cdf = Self.cdf(low, bounds: bounds)
        let informative = zip(bounds, cdf).filter { $0.0.isFinite && $0.1 > 0.02 && $0.1 < 0.98 }.count
        guard informative >= 2 else {
            return .failure(Refusal(String(format: "work: the histogram's buckets are too coarse around a mean of %.1f ms (%d bucket bounds inside the distribution) to tell its shape; give --work-cv", mean * 1000, informative)))
        }
        let best = Self.bestShape(cdf: cdf, bounds: bounds, mean: mean)
        // Bootstrap over scrapes: the spread of the CV (and of the mean, as a check on the linearised error).
        var rng = RandomStream(seed: seed, name: "calibration-bootstrap")
        var cvs: [Double] = []
        for _ in 0..<bootstrapRounds {
            let sample = (0..<low.count).map { _ in low[Int(rng.next() % UInt64(low.count))] }
            let r = sample.reduce(0) { $0 + $1.requests }
            guard r > 0 else { continue }
            let m = sample.reduce(0) { $0 + $1.latencySum } / r
            let fit = Self.fit(family: best.family, cdf: Self.cdf(sample, bounds: bounds), bounds: bounds, mean: m)
            cvs.append(fit.cv)
        }
        work.family = best.cv < 0.05 ? "constant" : best.family
        work.cv = Estimate(best.cv, error: SampleStatistics.standardDeviation(cvs))
        work.histogramDistance = best.distance
        let fitted = bounds.map { Self.familyCDF(best.family, parameter: best.parameter, mean: mean, at: $0) }
        var errors: [String: Double] = [:]
        for (name, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            let observed = Self.histogramQuantile(q, bounds: bounds, cdf: cdf), model = Self.histogramQuantile(q, bounds: bounds, cdf: fitted)
            if observed > 0, observed.isFinite, model.isFinite { errors[name] = model / observed - 1 }
        }
        work.quantileErrors = errors
        return .success(work)
    }

    /// Σ latency ÷ Σ requests over the scrapes, and the ratio estimator's standard error (linearised).
    static func meanLatency(_ scrapes: [Scrape]) -> (mean: Double, error: Double) {
        let requests = scrapes.reduce(0) { $0 + $1.requests }
        guard requests > 0 else { return (.nan, .nan) }
        let mean = scrapes.reduce(0) { $0 + $1.latencySum } / requests
        return (mean, scrapes.reduce(0) { $0 + pow($1.latencySum - mean * $1.requests, 2) }.squareRoot() / requests)
    }

    /// The cumulative share of requests at or below each bound.
    static func cdf(_ scrapes: [Scrape], bounds: [Double]) -> [Double] {
        let total = scrapes.reduce(0) { $0 + ($1.buckets.last ?? 0) }
        return bounds.indices.map { j in total > 0 ? min(1, scrapes.reduce(0) { $0 + ($1.buckets[j].isFinite ? $1.buckets[j] : 0) } / total) : .nan }
    }

    struct ShapeFit { var family: String; var parameter: Double; var cv: Double; var distance: Double }

    static func bestShape(cdf: [Double], bounds: [Double], mean: Double) -> ShapeFit {
        let fits = ["gamma", "lognormal"].map { fit(family: $0, cdf: cdf, bounds: bounds, mean: mean) }
        return fits.min { $0.distance < $1.distance }!
    }

    /// The family's member with this mean nearest the histogram (least squares over the bucket bounds, on a
    /// log grid of its shape parameter refined by golden section).
    static func fit(family: String, cdf: [Double], bounds: [Double], mean: Double) -> ShapeFit {
        let finite = bounds.indices.filter { bounds[$0].isFinite && cdf[$0].isFinite }
        func loss(_ p: Double) -> Double { finite.reduce(0) { $0 + pow(familyCDF(family, parameter: p, mean: mean, at: bounds[$1]) - cdf[$1], 2) } }
        // gamma: shape k in 0.1…10⁴ (CV 3.2…0.01); log-normal: σ in 0.01…3.
        let (lo, hi) = family == "gamma" ? (log(0.1), log(1e4)) : (log(0.01), log(3.0))
        let grid = (0...200).map { lo + (hi - lo) * Double($0) / 200 }
        let losses = grid.map { loss(exp($0)) }
        let k = losses.indices.min { losses[$0] < losses[$1] }!
        var a = grid[max(0, k - 1)], b = grid[min(grid.count - 1, k + 1)]
        let g = (5.0.squareRoot() - 1) / 2
        for _ in 0..<60 {
            let c = b - g * (b - a), d = a + g * (b - a)
            if loss(exp(c)) < loss(exp(d)) { b = d } else { a = c }
        }
        let p = exp((a + b) / 2)
        let distance = finite.map { abs(familyCDF(family, parameter: p, mean: mean, at: bounds[$0]) - cdf[$0]) }.max() ?? .nan
        let cv = family == "gamma" ? 1 / p.squareRoot() : (exp(p * p) - 1).squareRoot()
        return ShapeFit(family: family, parameter: p, cv: cv, distance: distance)
    }

    static func familyCDF(_ family: String, parameter p: Double, mean: Double, at x: Double) -> Double {
        guard x.isFinite else { return 1 }
        guard x > 0 else { return 0 }
        if family == "gamma" { return IncompleteGamma.regularized(p, x * p / mean) }
        let mu = log(mean) - p * p / 2
        return 0.5 * erfc(-(log(x) - mu) / (p * 2.0.squareRoot()))
    }

    /// A quantile read from cumulative shares at bucket bounds as Prometheus' histogram_quantile does
    /// (linear within the bucket; the lowest bucket starts at 0; in the +Inf bucket, the highest finite bound).
    public static func histogramQuantile(_ q: Double, bounds: [Double], cdf: [Double]) -> Double {
        var previousBound = 0.0, previousShare = 0.0
        for (b, f) in zip(bounds, cdf) {
            if f >= q {
                guard b.isFinite else { return previousBound }
                return f > previousShare ? previousBound + (b - previousBound) * (q - previousShare) / (f - previousShare) : b
            }
            previousBound = b.isFinite ? b : previousBound; previousShare = f
        }
        return .nan
    }

    // MARK: Concurrency

    func fitConcurrency(_ h: ServiceHistory, work: Double) -> Result<Estimate, Refusal> {
        var slots: [Double] = []
        for i in h.times.indices {
            let served = h.value(.served, i).isFinite ? h.value(.served, i) : h.value(.latencyCount, i)
            let ready = h.value(.ready, i), rate = h.value(.rate, i), errors = h.value(.errors, i)
            let meanLatency = h.value(.latencySum, i) / h.value(.latencyCount, i)
            guard ready >= 1, served > 0 else { continue }
            let queueing = meanLatency.isFinite && meanLatency >= saturationFactor * work
            let turnedAway = errors.isFinite && rate.isFinite && rate > 0 && errors > 0.01 * rate
            if queueing || turnedAway { slots.append(served * work / ready) }
        }
        guard slots.count >= 3 else {
            return .failure(Refusal(String(format: "concurrency: never saturated: %d scrapes had queueing (mean latency ≥ %.0f× the work, %.0f ms) or turned requests away, and at least 3 are needed to see how many requests a replica serves at once; give --concurrency, or calibrate from a period that overloads it",
                                           slots.count, saturationFactor, saturationFactor * work * 1000)))
        }
        let (median, sigma) = SampleStatistics.robustStandardDeviation(slots)
        return .success(Estimate(median, error: 1.2533 * sigma / Double(slots.count).squareRoot()))
    }

    /// Where requests were turned away while the ready count held, each replica's queue was full, so Little's
    /// law gives what waited: served × mean latency ÷ replicas, less the slots.
    func fitQueueLimit(_ h: ServiceHistory, slots: Double) -> Result<Estimate, Refusal> {
        var waiting: [Double] = []
        for i in h.times.indices.dropFirst() {
            let served = h.value(.served, i).isFinite ? h.value(.served, i) : h.value(.latencyCount, i)
            let ready = h.value(.ready, i), rate = h.value(.rate, i), errors = h.value(.errors, i)
            let meanLatency = h.value(.latencySum, i) / h.value(.latencyCount, i)
            guard ready >= 1, ready == h.value(.ready, i - 1), served > 0, meanLatency.isFinite,
                  errors.isFinite, rate.isFinite, errors > 0.01 * rate else { continue }
            waiting.append(max(0, served * meanLatency / ready - slots))
        }
        guard waiting.count >= 3 else {
            return .failure(Refusal("queue limit: requests were turned away in \(waiting.count) scrapes with a steady replica count, and at least 3 are needed to see how many may wait; give --queue-limit (the default is the scenario's)"))
        }
        let (median, sigma) = SampleStatistics.robustStandardDeviation(waiting)
        return .success(Estimate(median, error: 1.2533 * sigma / Double(waiting.count).squareRoot()))
    }

    // MARK: CPU

    func fitCPU(_ h: ServiceHistory) -> Result<CalibratedModel.CPU, Refusal> {
        guard h[.cpu] != nil else { return .failure(Refusal("CPU per request: the history has no cpu column (cores in use)")) }
        var x: [Double] = [], y: [Double] = []
        for i in h.times.indices {
            let served = h.value(.served, i).isFinite ? h.value(.served, i) : h.value(.rate, i)
            let cpu = h.value(.cpu, i)
            if served.isFinite, cpu.isFinite { x.append(served); y.append(cpu) }
        }
        guard x.count >= 10 else { return .failure(Refusal("CPU per request: \(x.count) scrapes with both CPU and rate; at least 10 are needed")) }
        let spread = SampleStatistics.standardDeviation(x) / max(1e-12, SampleStatistics.mean(x))
        guard spread >= 0.2 else {
            return .failure(Refusal(String(format: "CPU per request: the rate hardly varied (coefficient of variation %.2f), so CPU per request cannot be told from idle CPU", spread)))
        }
        let line = LeastSquares.fit(x, y)
        let residuals = zip(x, y).map { $1 - line.value(at: $0) }
        let ssr = residuals.reduce(0) { $0 + $1 * $1 }
        let sst = y.reduce(0) { $0 + ($1 - line.meanY) * ($1 - line.meanY) }
        let se = (ssr / Double(x.count - 2)).squareRoot() / line.sxx.squareRoot()
        return .success(.init(perRequest: Estimate(max(0, line.slope), error: se), idleCores: line.intercept, r2: sst > 0 ? 1 - ssr / sst : 0, scrapes: x.count))
    }

    // MARK: Start-up

    func fitStartUp(_ events: ReplicaEvents?) -> Result<CalibratedModel.StartUp, Refusal> {
        guard let events else { return .failure(Refusal("start-up: no event log (--events) with replicas' start and ready times; give --startup")) }
        let seconds = events.startUps.map(\.seconds)
        guard !seconds.isEmpty else {
            return .failure(Refusal("start-up: no replica started and became ready in the event log (no scale-up, no restart seen); give --startup"))
        }
        let mean = SampleStatistics.mean(seconds)
        let sd = seconds.count > 1 ? SampleStatistics.standardDeviation(seconds) : 0
        let family = seconds.count >= 3 && sd / max(1e-12, mean) >= 0.15 ? "lognormal" : "constant"
        return .success(.init(family: family, mean: Estimate(mean, error: seconds.count > 1 ? sd / Double(seconds.count).squareRoot() : .nan),
                              sd: sd, observations: seconds.count))
    }
}
