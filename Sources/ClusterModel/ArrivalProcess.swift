import SimulationKernel

/// Non-homogeneous Poisson arrivals by thinning (Lewis & Shedler), against a piecewise bound.
///
/// Virtual time is cut into segments; in each, candidates come at the segment's bound rate λ̄ and
/// are kept with probability λ(t)/λ̄. Because exponential gaps are memoryless, a candidate that
/// crosses a segment boundary is simply restarted there under the next segment's bound.
///
/// Each segment also knows a lower bound λ̲ of the rate (a "squeeze"): a candidate whose
/// uniform·λ̄ falls below it is accepted without evaluating λ(t). Over a minute a daily cycle
/// moves by under 0.3 %, so almost every candidate is decided without a `cos` — and the decision
/// is exactly the one evaluating λ(t) would give.
struct ArrivalProcess {
    // What every arrival reads, first and together: with hundreds of streams a stream's state is
    // out of the nearest cache by its next arrival, so each cache line it spans is a miss.
    /// Each arrival brings exactly one request (the usual case: no batch draw needed).
    let singleRequests: Bool
    /// Its clients retry (`traffic.retry.retries`).
    let retries: Bool
    private var t = 0.0
    private var segmentEnd = 0.0
    private var bound = 0.0
    private var lowerBound = 0.0
    /// The accepted arrival after the one `next` last returned, drawn ahead (nil: not drawn yet,
    /// or the look-ahead stopped at its horizon first).
    private var upcoming: Double?
    var rng: RandomStream
    /// The exponential tables, held here so a draw skips the lazy global's check.
    let exponential = Ziggurat.exponential
    /// How far past the last arrival the look-ahead searches (seconds of virtual time).
    var lookAheadLimit = 3600.0

    var batchRng: RandomStream
    let noiseSeed: UInt64
    let traffic: TrafficSpec

    static let segment = 60.0

    init(traffic: TrafficSpec, seed: UInt64) {
        self.traffic = traffic
        self.singleRequests = traffic.batchSize == .constant(1)
        self.retries = traffic.retry.retries
        self.noiseSeed = seed ^ 0xA5A5_5A5A_1234_5678 ^ UInt64(truncatingIfNeeded: traffic.service.hashValueStable)
        self.rng = RandomStream(seed: seed, name: "arrivals/\(traffic.service)")
        self.batchRng = RandomStream(seed: seed, name: "batch/\(traffic.service)")
    }

    func rate(at t: Double) -> Double {
        var r = traffic.source.rate(at: t)
        for s in traffic.shapes { r *= s.factor(at: t, noiseSeed: noiseSeed) }
        return max(0, r)
    }

    /// Bounds of the rate over [t0, t1]: products of the source's and each shape's (all ≥ 0).
    private func bounds(from t0: Double, to t1: Double) -> (lower: Double, upper: Double) {
        var (lower, upper) = traffic.source.rateRange(from: t0, to: t1)
        for s in traffic.shapes {
            let f = s.factorRange(from: t0, to: t1, noiseSeed: noiseSeed)
            lower *= f.lower; upper *= f.upper
        }
        return (max(0, lower), max(0, upper))
    }

    /// The next arrival instant after the previous one, or nil if none comes before `horizon`.
    ///
    /// Arrivals are drawn one ahead: the instant returned now was drawn at the previous call, and
    /// the one after it is drawn now. The sequence of instants is exactly the one drawing on
    /// demand gives (the stream's numbers are used in the same order); what changes is only when
    /// the arithmetic runs — early, so that the run loop's choice between this arrival and the
    /// queued events, which hinges on its instant, does not wait for the draw.
    @inline(__always)
    mutating func next(horizon: Double) -> Double? {
        let accepted = upcoming ?? drawSlowly(horizon: horizon)
        guard let at = accepted, at < horizon else {
            upcoming = nil
            return nil
        }
        // The look-ahead gives up after `lookAheadLimit` without an arrival (a traffic silence);
        // the next call then carries on from where it stopped, exactly as if it never had.
        upcoming = draw(horizon: Swift.min(horizon, at + lookAheadLimit))
        return at
    }

    /// The next accepted candidate after `t` (which moves to it), or nil when `t` reached
    /// `horizon` first. Stopping at a horizon leaves the state where a later call with a later
    /// horizon carries on exactly as one uninterrupted search would.
    ///
    /// The common case — a candidate inside the current segment, accepted by the squeeze — is
    /// inlined; anything else (a new segment, a crossing, a rejection or evaluating λ(t)) carries
    /// on in `drawSlowly`, which is the whole algorithm, so both draw exactly the same numbers.
    @inline(__always)
    private mutating func draw(horizon: Double) -> Double? {
        if t < horizon && t < segmentEnd && bound > 0 {
            let candidate = t + exponential.sampleExponential(&rng) / bound
            if candidate >= segmentEnd {
                t = segmentEnd
            } else {
                t = candidate
                let level = rng.uniform() * bound
                if level <= lowerBound { return t }
                return evaluate(level: level, horizon: horizon)
            }
        }
        return drawSlowly(horizon: horizon)
    }

    /// The squeeze could not decide the candidate at `t`: compare with λ(t), and if it is
    /// rejected carry on.
    @inline(never)
    private mutating func evaluate(level: Double, horizon: Double) -> Double? {
        if level <= rate(at: t) { return t }
        return drawSlowly(horizon: horizon)
    }

    /// The whole thinning loop, from wherever the last draw left off.
    @inline(never)
    private mutating func drawSlowly(horizon: Double) -> Double? {
        var steps: UInt32 = 0
        while t < horizon {
            // Hours of near-zero rate, or a bound far above the rate, can keep this loop going for
            // long: give up when a stop is requested (the run then ends at its next scrape).
            steps &+= 1
            if steps & 0xFFFF == 0, StopRequest.isSet { return nil }
            if t >= segmentEnd {
                let start = t
                segmentEnd = start + ArrivalProcess.segment
                (lowerBound, bound) = bounds(from: start, to: segmentEnd)
            }
            if bound <= 0 { t = segmentEnd; continue }
            let candidate = t + exponential.sampleExponential(&rng) / bound
            if candidate >= segmentEnd { t = segmentEnd; continue }
            t = candidate
            let level = rng.uniform() * bound
            if level <= lowerBound || level <= rate(at: t) { return t }
        }
        return nil
    }

    mutating func batchSize() -> Int {
        max(1, Int(traffic.batchSize.sample(&batchRng).rounded()))
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across processes, unlike `hashValue`.
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
