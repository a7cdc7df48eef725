import Foundation

/// Marsaglia & Tsang's ziggurat method (2000) for the standard normal and exponential, with 256
/// layers as in Doornik's ZIGNOR and Rust's `rand_distr`.
///
/// The density is covered by 256 stacked rectangles of equal area; a draw picks a layer and a
/// point in it from one 64-bit number and is accepted at once when the point lies inside the
/// next layer's width — about 99 % of draws — so most samples cost one generator step, a table
/// look-up and a multiply instead of the `log`, `sqrt` and `cos` of Box–Muller or inversion.
/// The rest fall back to an exact test against the density, or to the tail's own sampler.
///
/// `RandomStream.standardNormal()` and `standardExponential()` use the shared tables; a hot
/// loop may keep its own copy of `Ziggurat.normal` (a few array references) to skip the lazy
/// global's initialisation check on every draw.
public struct Ziggurat: Sendable {
    /// Layer edges: x[0] is the base layer's virtual width (area ÷ f(R)), x[1] = R, x[256] = 0.
    @usableFromInline let x: [Double]
    /// The unnormalised density at each edge.
    @usableFromInline let f: [Double]
    @usableFromInline let r: Double

    init(r: Double, area: Double, density: (Double) -> Double, inverse: (Double) -> Double) {
        var x = [Double](repeating: 0, count: 257)
        x[0] = area / density(r)
        x[1] = r
        for i in 1..<255 { x[i + 1] = inverse(min(1, density(x[i]) + area / x[i])) }
        x[256] = 0
        self.x = x
        self.f = x.map(density)
        self.r = r
    }

    public static let normal = Ziggurat(r: 3.654_152_885_361_008_8, area: 0.004_928_673_233_99,
                                                   density: { exp(-$0 * $0 / 2) }, inverse: { (-2 * log($0)).squareRoot() })
    public static let exponential = Ziggurat(r: 7.697_117_470_131_049_7, area: 0.003_949_659_822_581_557_2,
                                                        density: { exp(-$0) }, inverse: { -log($0) })

    /// A standard normal draw (with the normal tables). The common case is inlined; the rest
    /// (about 1 % of draws) continues out of line with the same layer and point.
    @inlinable @inline(__always)
    public func sampleNormal(_ rng: inout RandomStream) -> Double {
        let bits = rng.next()
        let i = Int(bits & 0xff)
        let u = Double(bits >> 11) * 0x1.0p-52 - 1  // [-1, 1)
        let (z, edge) = x.withUnsafeBufferPointer { x in (u * x[i], x[i &+ 1]) }
        if abs(z) < edge { return z }
        return normalOutsideCore(i, u, z, &rng)
    }

    @usableFromInline
    func normalOutsideCore(_ i: Int, _ u: Double, _ z: Double, _ rng: inout RandomStream) -> Double {
        var (i, u, z) = (i, u, z)
        while true {
            if i == 0 {
                // The tail beyond R (Marsaglia 1964).
                var t = 0.0, y = 0.0
                repeat {
                    t = log(rng.uniformPositive()) / r
                    y = log(rng.uniformPositive())
                } while -2 * y < t * t
                return u < 0 ? t - r : r - t
            }
            if f[i + 1] + (f[i] - f[i + 1]) * rng.uniform() < exp(-z * z / 2) { return z }
            let bits = rng.next()
            i = Int(bits & 0xff)
            u = Double(bits >> 11) * 0x1.0p-52 - 1
            z = u * x[i]
            if abs(z) < x[i + 1] { return z }
        }
    }

    /// A standard exponential (mean 1) draw (with the exponential tables); inlined like `sampleNormal`.
    @inlinable @inline(__always)
    public func sampleExponential(_ rng: inout RandomStream) -> Double {
        let bits = rng.next()
        let i = Int(bits & 0xff)
        let u = Double(bits >> 11) * 0x1.0p-53  // [0, 1)
        let (z, edge) = x.withUnsafeBufferPointer { x in (u * x[i], x[i &+ 1]) }
        if z < edge { return z }
        return exponentialOutsideCore(i, z, &rng)
    }

    @usableFromInline
    func exponentialOutsideCore(_ i: Int, _ z: Double, _ rng: inout RandomStream) -> Double {
        var (i, z) = (i, z)
        while true {
            // The tail beyond R is R plus another exponential (memorylessness).
            if i == 0 { return r - log(rng.uniformPositive()) }
            if f[i + 1] + (f[i] - f[i + 1]) * rng.uniform() < exp(-z) { return z }
            let bits = rng.next()
            i = Int(bits & 0xff)
            z = Double(bits >> 11) * 0x1.0p-53 * x[i]
            if z < x[i + 1] { return z }
        }
    }
}

extension RandomStream {
    /// A standard normal draw (ziggurat).
    @inlinable @inline(__always)
    public mutating func standardNormal() -> Double { Ziggurat.normal.sampleNormal(&self) }

    /// An exponential draw with mean 1 (ziggurat).
    @inlinable @inline(__always)
    public mutating func standardExponential() -> Double { Ziggurat.exponential.sampleExponential(&self) }
}
