import Foundation
import SimulationKernel

/// A service's service-time distribution as plain numbers, for the per-request draw.
///
/// `Distribution` can hold arrays (empirical samples, mixtures), so reading it out of a service's
/// spec on every request costs reference-counted copies. The shapes services usually have are
/// kept here as a tag and two numbers; the rest defer to the `Distribution` itself. Both draw
/// the same values from the same stream.
struct ServiceTimeSampler {
    enum Shape: UInt8 { case constant, exponential, lognormal, other }
    let shape: Shape
    let a: Double
    let b: Double
    /// The shared tables, held here so a draw skips the lazy global's check.
    let normal = Ziggurat.normal
    let exponential = Ziggurat.exponential
    let exp = Exponential.shared

    init(_ d: Distribution) {
        switch d {
        case .constant(let v): (shape, a, b) = (.constant, v, 0)
        case .exponential(let mean): (shape, a, b) = (.exponential, mean, 0)
        case .lognormal(let mu, let sigma): (shape, a, b) = (.lognormal, mu, sigma)
        default: (shape, a, b) = (.other, 0, 0)
        }
    }

    /// A draw, or nil for shapes that must be drawn by the `Distribution`.
    @inline(__always)
    func sample(_ rng: inout RandomStream) -> Double? {
        switch shape {
        case .constant: return a
        case .exponential: return a * exponential.sampleExponential(&rng)
        case .lognormal: return self.exp(a + b * normal.sampleNormal(&rng))
        case .other: return nil
        }
    }
}
