import Foundation

/// e^x computed here rather than by the C library: a log-normal service time costs one `exp`
/// per request, and this one inlines (no call, no `errno` wrapper) and gives the same bits on
/// every platform, so a seed reproduces a run across machines whatever their libm.
///
/// Method (as in ARM's optimized-routines): x = k·ln2/128 + r with |r| ≤ ln2/256 (Cody–Waite
/// reduction, ln2/128 split so that k·hi is exact), then e^x = 2^(k/128) · e^r with 2^(j/128)
/// from a 128-entry table and e^r from a degree-5 Taylor polynomial (the next term is below
/// 2⁻⁶⁰). Error within 2 ulp of the true value on the range below, checked against libm in tests.
public struct Exponential: Sendable {
    /// 2^(j/128) for j in 0..<128.
    @usableFromInline let powersOfTwo: [Double]

    public static let shared = Exponential()

    init() { powersOfTwo = (0..<128).map { exp2(Double($0) / 128) } }

    @inlinable @inline(__always)
    public func callAsFunction(_ x: Double) -> Double {
        // Beyond ±700 (and NaN) the C library handles over- and underflow.
        guard x > -700 && x < 700 else { return Foundation.exp(x) }
        // k = round(x · 128/ln2) by the add-and-subtract trick: adding 1.5·2⁵² leaves k in the
        // low bits of the sum (no call to a rounding function).
        let shifted = x * 0x1.71547652b82fep+7 + 0x1.8p52
        let bits = shifted.bitPattern
        let k = shifted - 0x1.8p52
        let r = (x - k * 0x1.62e42fee00000p-8) - k * 0x1.a39ef35793c76p-40
        let table = powersOfTwo.withUnsafeBufferPointer { $0[Int(bits & 127)] }
        // 2^⌊k/128⌋ applied by adding to the exponent bits of 2^((k mod 128)/128); the sum's
        // high bits shift out of the word.
        let scale = Double(bitPattern: table.bitPattern &+ ((bits >> 7) << 52))
        let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))))
        return scale * p
    }
}
