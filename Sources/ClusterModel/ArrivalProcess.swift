import SimulationKernel

/// Non-homogeneous Poisson arrivals by thinning (Lewis & Shedler), against a piecewise bound.
///
/// Virtual time is cut into segments; in each, candidates come at the segment's bound rate λ̄ and
/// are kept with probability λ(t)/λ̄. Because exponential gaps are memoryless, a candidate that
/// crosses a segment boundary is simply restarted there under the next segment's bound.
struct ArrivalProcess {
    let traffic: TrafficSpec
    let noiseSeed: UInt64
    var rng: RandomStream
    var batchRng: RandomStream

    static let segment = 60.0

    private var segmentEnd = 0.0
    private var bound = 0.0
    private var t = 0.0

    init(traffic: TrafficSpec, seed: UInt64) {
        self.traffic = traffic
        self.noiseSeed = seed ^ 0xA5A5_5A5A_1234_5678 ^ UInt64(truncatingIfNeeded: traffic.service.hashValueStable)
        self.rng = RandomStream(seed: seed, name: "arrivals/\(traffic.service)")
        self.batchRng = RandomStream(seed: seed, name: "batch/\(traffic.service)")
    }

    func rate(at t: Double) -> Double {
        var r = traffic.source.rate(at: t)
        for s in traffic.shapes { r *= s.factor(at: t, noiseSeed: noiseSeed) }
        return max(0, r)
    }

    private func bound(from t0: Double, to t1: Double) -> Double {
        var b = traffic.source.maxRate(from: t0, to: t1)
        for s in traffic.shapes { b *= s.maxFactor(from: t0, to: t1, noiseSeed: noiseSeed) }
        return max(0, b)
    }

    /// The next arrival instant after the previous one, or nil if none comes before `horizon`.
    mutating func next(horizon: Double) -> Double? {
        while t < horizon {
            if t >= segmentEnd {
                let start = t
                segmentEnd = start + ArrivalProcess.segment
                bound = bound(from: start, to: segmentEnd)
            }
            if bound <= 0 { t = segmentEnd; continue }
            let candidate = t - log(rng.uniformPositive()) / bound
            if candidate >= segmentEnd { t = segmentEnd; continue }
            t = candidate
            if rng.uniform() * bound <= rate(at: t) { return t < horizon ? t : nil }
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

import Foundation
