import Foundation
import Lab
import PropertyBased
@testable import ScenarioKit
import Scenarios
import SimulationKernel
import Testing

/// Property-based tests of everything that parses a user's text: durations, gates, `--vary` and every
/// `--set` parameter. Random and mutated inputs never crash or hang; each input is either read as an
/// independent computation says it should be, or refused with a message that names it.
@Suite struct ParserPropertyTests {
    /// Fragments that make up both valid and broken inputs.
    static let soup = ["0", "1", "7", "12", "99.9", ".", "e", "E", "-", "+", "ms", "m", "s", "h", "d", "w", " ", "x", "%", "$",
                       "<=", ">=", "<", ">", "=", "...", ":", ",", "١", "∞", "nan", "inf", "NaN", "1e308", "-1e308",
                       "9223372036854775807", "-9223372036854775808", "18446744073709551615", "99999999999999999999",
                       "\n", "\t", "`", "\"", "'", "\u{0}", "none", "recovery", "availability", "p95:", "checkout", "accuracy@",
                       "slo-violation", "cost", "resilience", "detect", "mitigate", "k", "api.replicas"]
    static let mutated = Gen.element(of: soup).map { $0 ?? "" }.array(of: 0...10).map { $0.joined() }

    // MARK: Durations

    @Test func durationsInEveryUnitAddUp() async {
        let parts = zip(Gen.int(in: 0...400), Gen.int(in: 0...30), Gen.int(in: 0...90), Gen.int(in: 0...90), Gen.int(in: 0...999), Gen.bool())
        await propertyCheck(count: 300, input: parts) { d, h, m, s, ms, upper in
            var text = ""
            if d > 0 { text += "\(d)d" }
            if h > 0 { text += "\(h)h" }
            if m > 0 { text += "\(m)m" }
            if s > 0 { text += "\(s)s" }
            if ms > 0 || text.isEmpty { text += "\(ms)ms" }
            if upper { text = text.uppercased() }
            let nanoseconds = Int64(((d * 86_400 + h * 3600 + m * 60 + s) * 1000 + ms)) * 1_000_000
            #expect(SimDuration(parsing: text)?.nanoseconds == nanoseconds, "\(text)")
        }
    }

    @Test func aDurationReadsBackFromItsOwnDescription() async {
        await propertyCheck(count: 300, input: Gen.int64(in: -1_000_000_000...1_000_000_000)) { seconds in
            let d = SimDuration.seconds(Double(seconds))
            #expect(SimDuration(parsing: d.description) == d, "\(d.description)")
        }
        // To the nanosecond, from 1 ns to the clock's limit.
        await propertyCheck(count: 500, input: zip(Gen.int64(in: 1...Int64.max), Gen.int(in: 0...18), Gen.bool())) { n, digits, negative in
            var ns = n
            for _ in 0..<digits { ns /= 10 }
            let d = SimDuration(nanoseconds: negative ? -ns : ns)
            #expect(SimDuration(parsing: d.description) == d, "\(d.nanoseconds) ns written as \(d.description)")
        }
    }

    @Test func anyTextIsADurationWithinTheClockOrNothing() async {
        await propertyCheck(count: 2000, input: Self.mutated) { text in
            if let d = SimDuration(parsing: text) {
                #expect(d.seconds.isFinite && abs(d.seconds) <= SimDuration.maximumSeconds, "\(text.debugDescription)")
            }
        }
    }

    // MARK: Gates

    /// A gate generated with its expected threshold, in the units the gate reads.
    static let validGates = zip(Gen.int(in: 0...7), Gen.int(in: 0...10_000), Gen.element(of: ["<=", ">=", "<", ">"]).map { $0 ?? "<=" },
                                Gen.element(of: ["", " ", "  "]).map { $0 ?? "" })
        .map { kind, n, op, space -> (text: String, threshold: Double) in
            switch kind {
            case 0: return ("recovery\(space)\(op)\(space)\(n)s", Double(n))
            case 1: return ("detect \(op) \(n)ms", Double(n) / 1000)
            case 2: return ("p95:checkout\(space)\(op) \(n)m", Double(n) * 60)
            case 3: return ("availability \(op)\(space)\(Double(n) / 100)%", Double(n) / 10_000)
            case 4: return ("accuracy@15m \(op) \(Double(n) / 10_000)", Double(n) / 10_000)
            case 5: return ("slo-violation \(op) \(n)", Double(n))
            case 6: return ("cost \(op) $\(n)", Double(n))
            default: return ("resilience \(op) \(n / 100)%", Double(n / 100) / 100)
            }
        }

    @Test func validGatesReadTheirThresholdAndReadBackEqual() async throws {
        await propertyCheck(count: 500, input: Self.validGates) { gate in
            do {
                let g = try Gate(gate.text)
                #expect(abs(g.threshold - gate.threshold) <= 1e-12 * max(1, gate.threshold), "\(gate.text)")
                #expect(try Gate(g.text) == g)
            } catch {
                Issue.record("\(gate.text) refused: \(error)")
            }
        }
    }

    @Test func anyGateTextIsReadAsAPossibleGateOrRefusedByName() async {
        await propertyCheck(count: 3000, input: Self.mutated) { text in
            do {
                let g = try Gate(text)
                #expect(g.threshold.isFinite && g.threshold >= 0, "\(text.debugDescription) read as \(g.threshold)")
                switch g.metric {
                case .availability, .accuracy, .resilience: #expect(g.threshold <= 1, "\(text.debugDescription)")
                default: break
                }
            } catch let e as GateError {
                #expect(text.isEmpty || e.description.contains(text), "\(e.description) does not name \(text.debugDescription)")
            } catch {
                Issue.record("\(text.debugDescription): unexpected \(error)")
            }
        }
    }

    // MARK: --vary

    @Test func rangesHoldExactlyTheValuesOfTheirStride() async {
        let ranges = zip(Gen.int(in: -1_000_000...1_000_000), Gen.int(in: -1000...200_000), Gen.int(in: 1...5000))
        await propertyCheck(count: 500, input: ranges) { lo, width, step in
            let hi = lo + width
            let text = "api.replicas=\(lo)...\(hi):\(step)"
            let expected = width < 0 ? nil : Array(stride(from: lo, through: hi, by: step))
            do {
                let v = try Variation(text)
                #expect(expected != nil, "\(text) accepted")
                #expect(v.key == "api.replicas" && v.values == expected?.map(String.init), "\(text)")
            } catch let e as InvalidInput {
                #expect(expected == nil || expected!.count > Variation.maximumValues, "\(text): \(e)")
                #expect(e.description.contains(text))
            } catch {
                Issue.record("\(text): unexpected \(error)")
            }
        }
    }

    @Test func rangesAtTheEdgesOfTheIntegersNeverCrash() async {
        await propertyCheck(count: 500, input: zip(Gen.int(), Gen.int(), Gen.int())) { lo, hi, step in
            let text = "k=\(lo)...\(hi):\(step)"
            do {
                let v = try Variation(text)
                #expect(v.values.count <= Variation.maximumValues && v.values.first == String(lo), "\(text)")
            } catch {
                #expect("\(error)".contains(text))
            }
        }
    }

    @Test func anyVaryTextIsValuesOrRefusedByName() async {
        await propertyCheck(count: 3000, input: Self.mutated) { text in
            do {
                let v = try Variation(text)
                #expect(!v.key.isEmpty && !v.values.isEmpty && v.values.count <= Variation.maximumValues && !v.values.contains(""))
            } catch {
                #expect(text.isEmpty || "\(error)".contains(text), "\(error) does not name \(text.debugDescription)")
            }
        }
    }

    // MARK: --set

    /// Values a user might pass to any knob: plausible, out of range, malformed.
    static let values = zip(Gen.int(in: 0...4), Gen.double(in: -1e7...1e7), Self.mutated)
        .map { kind, x, text -> String in
            switch kind {
            case 0: return String(Int(x))
            case 1: return String(x)
            case 2: return ["90s", "15m", "1h30m", "250ms", "0", "none", "hpa", "predictive", "static", "-1", "1e12", "nan"][abs(Int(x)) % 12]
            case 3: return "\(Int(abs(x)) % 500)\(["s", "m", "ms", "h", "%", ""][abs(Int(x)) % 6])"
            default: return text
            }
        }

    @Test(arguments: ["black-friday", "node-crash", "steady-day", "claims-backlog", "latency-injection"])
    func everyParameterTakesAValueThatReadsBackOrRefusesItByKey(scenario: String) async throws {
        let base = try #require(Scenarios.named(scenario)).spec
        let keys = base.parameters.map(\.key)
        await propertyCheck(count: 1500, input: zip(Gen.element(of: keys).map { $0 ?? "" }, Self.values)) { key, value in
            var spec = base
            do {
                try spec.set(key, value)
                // What the knob now says it holds is accepted as is and reads back the same (to the
                // precision it is shown in).
                let knob = try #require(spec.parameters.first { $0.key == key })
                let shown = knob.get(spec)
                var again = spec
                try again.set(key, shown)
                #expect(knob.get(again) == shown, "\(key)=\(value) reads back as \(shown), which sets \(knob.get(again))")
                _ = spec.validate()
            } catch let e as ParameterError {
                #expect(e.key == key, "\(key)=\(value.debugDescription): \(e)")
            } catch {
                Issue.record("\(key)=\(value.debugDescription): unexpected \(error)")
            }
        }
    }
}
