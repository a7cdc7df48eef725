import Foundation
import ScenarioKit
import SimulationKernel
import Telemetry

/// One searched knob: a `--set` parameter between two values (`surge.start=10m...50m`, `surge.multiplier=1...8`), or
/// over a list of values (`faults.crash.target=zone:a|zone:b`, `faults.kill.enabled=true|false`, `api.policy=hpa|predictive`).
public struct SearchDimension: Sendable, Equatable {
    public enum Unit: Sendable, Equatable {
        case integer, number, duration
        /// Values in the order given; the search moves between neighbours as on any other range.
        case choice([String])
    }
    public var key: String
    /// The range (seconds for a duration; 0…count−1 for a choice, by index).
    public var low: Double, high: Double
    public var unit: Unit
    /// The scenario's own value, clamped into the range (a choice's first value if it is not among them): where
    /// shrinking heads.
    public var written: Double
    /// The scenario's own value as the search writes it, when it lies in the range (nil otherwise): a case with
    /// this value needs no `--set` for it.
    public var asWritten: String?

    /// Parses `key=lo...hi` (typed by the scenario's current value of `key`) or `key=a|b|…`.
    public init(_ text: String, in spec: ScenarioSpec) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw InvalidInput("--vary \(text): expected key=lo...hi or key=a|b") }
        let key = String(text[..<eq]), rest = String(text[text.index(after: eq)...])
        guard let parameter = spec.parameters.first(where: { $0.key == key }) else {
            throw InvalidInput("--vary \(key): unknown parameter (`\(CommandName.current) list --parameters \(spec.name)` lists them)")
        }
        let current = parameter.value(in: spec)
        self.key = key
        if rest.contains("|") {
            let choices = rest.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard choices.count >= 2, Set(choices).count == choices.count, !choices.contains("") else {
                throw InvalidInput("--vary \(text): a list of values is a|b|…, at least two, each once")
            }
            // Every value must be one the parameter takes: refused now, not as a run that silently never happens.
            var refused: [String] = []
            for c in choices {
                var trial = spec
                do { try trial.set(key, c) } catch { refused.append("\(error)") }
            }
            guard refused.isEmpty else { throw InvalidInput("--vary \(key): " + refused.joined(separator: "; ")) }
            unit = .choice(choices); low = 0; high = Double(choices.count - 1)
            written = Double(choices.firstIndex(of: current) ?? 0)
            asWritten = choices.contains(current) ? current : nil
            return
        }
        if Int(current) != nil { unit = .integer } else if Double(current) != nil { unit = .number } else if SimDuration(parsing: current) != nil {
            unit = .duration
        } else {
            throw InvalidInput("--vary \(key): its value \(current) is not a number or a duration, so it has no range; list values instead (key=a|b)")
        }
        let unit = self.unit
        func number(_ s: String) -> Double? {
            unit == .duration ? SimDuration(parsing: s).map(\.seconds) : Double(s).flatMap { $0.isFinite ? $0 : nil }
        }
        let bounds = rest.components(separatedBy: "...")
        guard bounds.count == 2, let lo = number(bounds[0]), let hi = number(bounds[1]), lo < hi else {
            throw InvalidInput("--vary \(text): a search range is lo...hi with lo < hi, in the parameter's unit (\(unit == .duration ? "a duration such as 10m" : "a number"))")
        }
        low = lo; high = hi
        written = min(max(number(current) ?? lo, lo), hi)
        asWritten = number(current).flatMap { (lo...hi).contains($0) ? format($0) : nil }
    }

    /// The `--set` value at `u` ∈ 0…1 of the range.
    public func value(at u: Double) -> String { format(low + (high - low) * min(max(u, 0), 1)) }

    public func format(_ x: Double) -> String {
        switch unit {
        case .integer: return String(Int(x.rounded()))
        case .number: return String(format: "%.4g", x)
        // Whole seconds over a range of a minute or more, else milliseconds (a latency of 0…500 ms).
        case .duration: return SimDuration.seconds(high - low >= 60 ? x.rounded() : (x * 1000).rounded() / 1000).description
        case .choice(let values): return values[min(max(Int(x.rounded()), 0), values.count - 1)]
        }
    }

    /// Where `x` lies in the range, 0…1.
    public func position(of x: Double) -> Double { (x - low) / (high - low) }

    /// The range as the search reports it: `10m…2h`, `zone:a|zone:b`.
    public var rangeText: String {
        if case .choice(let values) = unit { return values.joined(separator: "|") }
        return "\(format(low))…\(format(high))"
    }
}

/// A fault or surge that shrinking may take out of a counterexample, and the setting that does it.
public struct Removal: Sendable, Equatable {
    /// What it is, for people: `fault kill`, `surge peak`.
    public var what: String
    public var key: String
    public var value: String

    /// Everything in `spec` that can go: each fault (`faults.NAME.enabled=false`) and each surge or flash crowd
    /// (its multiplier set to 1).
    public static func candidates(in spec: ScenarioSpec) -> [Removal] {
        spec.faults.map { Removal(what: "fault \($0.name)", key: "faults.\($0.name).enabled", value: "false") }
            + spec.traffic.flatMap { t in
                t.shapes.compactMap { shape -> Removal? in
                    switch shape.shape {
                    case .surge(_, _, _, _, let m) where m != 1, .flashCrowd(_, let m, _) where m != 1:
                        return Removal(what: "surge \(shape.name)", key: "\(t.service).\(shape.name).multiplier", value: "1")
                    default: return nil
                    }
                }
            }
    }
}

/// A point of the search: each dimension's position in its range (0…1), what shrinking took out, and what the
/// run made of it.
public struct SearchCase: Sendable, Equatable {
    public var position: [Double]
    /// Faults and surges taken out by shrinking (none during the search itself).
    public var removed: [Removal] = []
    /// The gate's metric for the run (nil: not measured, e.g. a fault that never recovered).
    public var value: Double?
    /// How far past the break condition (positive: broken), in the metric's unit.
    public var badness: Double
    public var breaks: Bool { badness > 0 }

    public init(position: [Double], removed: [Removal] = [], value: Double?, badness: Double) {
        self.position = position; self.removed = removed; self.value = value; self.badness = badness
    }
}

/// The `--set` overrides of one run.
public typealias Overrides = [(key: String, value: String)]

/// A guided search for the settings that break a gate: an evolution strategy over the unit cube of the
/// dimensions, with a fixed budget of runs evaluated a batch at a time (on all cores), then the worst case
/// shrunk towards the scenario as written.
///
/// Why an evolution strategy: the objective is a cliff (a queue that recovers or does not), noisy in small
/// ways and blind to gradients; a few hundred runs are too few to fit a Bayesian surrogate over several
/// dimensions, and batches of independent children use every core without coordination.
public struct WorstCaseSearch: Sendable {
    public var dimensions: [SearchDimension]
    /// The condition a run must meet to count as broken (`slo-violation > 5m`), written as a gate.
    public var breakCondition: Gate
    public var budget: Int
    public var batch: Int
    public var seed: UInt64

    public init(dimensions: [SearchDimension], breakCondition: Gate, budget: Int, batch: Int, seed: UInt64) {
        self.dimensions = dimensions; self.breakCondition = breakCondition; self.budget = budget; self.batch = max(1, batch); self.seed = seed
    }

    /// How far `value` is past the break condition: positive when it breaks (`Gate.margin(past:)`).
    public func badness(_ value: Double?) -> Double { breakCondition.margin(past: value) }

    /// The `--set` overrides of a position.
    public func settings(_ position: [Double]) -> Overrides {
        zip(dimensions, position).map { ($0.key, $0.value(at: $1)) }
    }

    /// The `--set` overrides of a case: its position, then what shrinking took out (a fault taken out loses its
    /// other settings: they would set a fault that is not there).
    public func settings(_ c: SearchCase) -> Overrides {
        let gone = c.removed.compactMap { $0.key.hasSuffix(".enabled") ? String($0.key.dropLast("enabled".count)) : nil }
        return settings(c.position).filter { s in !gone.contains { s.key.hasPrefix($0) } } + c.removed.map { ($0.key, $0.value) }
    }

    /// The overrides of a case that change the scenario as written: what a regression test of it must set.
    public func changes(_ c: SearchCase) -> Overrides {
        let asWritten = Dictionary(dimensions.map { ($0.key, $0.asWritten) }, uniquingKeysWith: { a, _ in a })
        return settings(c).filter { s in asWritten[s.key].map { $0 != s.value } ?? true }
    }

    /// Runs the search; `evaluate` measures a batch of runs (the metric per run's overrides, in order).
    /// Returns every case evaluated, worst first (ties in the order evaluated).
    public func run(evaluate: (([Overrides]) throws -> [Double?])) throws -> [SearchCase] {
        var random = RandomStream(seed: seed, name: "search")
        var cases: [SearchCase] = []
        let d = dimensions.count
        while cases.count < budget {
            let n = min(batch, budget - cases.count)
            let elite = cases.sorted { $0.badness > $1.badness }.prefix(4)
            // Mutation shrinks from a fifth of each range to a twentieth as the budget is spent.
            let sigma = 0.2 - 0.15 * Double(cases.count) / Double(max(1, budget))
            var points: [[Double]] = []
            for _ in 0..<n {
                if elite.isEmpty || cases.count < 2 * batch || random.uniform() < 0.2 {
                    points.append((0..<d).map { _ in random.uniform() })   // explore
                } else {
                    let parent = elite[elite.startIndex + Int(random.uniform() * Double(elite.count)) % elite.count].position
                    points.append(parent.map { x in min(max(x + sigma * Self.normal(&random), 0), 1) })
                }
            }
            let values = try evaluate(points.map(settings))
            for (p, v) in zip(points, values) { cases.append(SearchCase(position: p, value: v, badness: badness(v))) }
        }
        return cases.enumerated().sorted { ($0.element.badness, -$0.offset) > ($1.element.badness, -$1.offset) }.map(\.element)
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ random: inout RandomStream) -> Double {
        (-2 * log(random.uniformPositive())).squareRoot() * cos(2 * Double.pi * random.uniform())
    }

    /// Shrinks a breaking case towards the scenario as written while it still breaks: first takes out each of
    /// `removable` (faults and surges) it does not need, then moves each dimension to its written value if that
    /// still breaks, else to the value nearest to it that does (bisection, to 1/64 of the way; a list of values
    /// only tries the written one). Two passes. `evaluate` is the search's.
    public func shrink(_ start: SearchCase, removable: [Removal] = [], evaluate: (([Overrides]) throws -> [Double?])) throws -> SearchCase {
        func measured(_ c: SearchCase) throws -> SearchCase {
            var c = c
            c.value = try evaluate([settings(c)])[0]
            c.badness = badness(c.value)
            return c
        }
        var current = start
        for _ in 0..<2 {
            var changed = false
            for r in removable where !current.removed.contains(r) {
                var trial = current
                trial.removed.append(r)
                let c = try measured(trial)
                if c.breaks { current = c; changed = true }
            }
            for i in dimensions.indices {
                let target = dimensions[i].position(of: dimensions[i].written)
                guard abs(current.position[i] - target) > 1e-9 else { continue }
                var trial = current
                trial.position[i] = target
                let atWritten = try measured(trial)
                if atWritten.breaks { current = atWritten; changed = true; continue }
                if case .choice = dimensions[i].unit { continue }
                // Bisect between the written value (holds) and the current one (breaks).
                var holds = target, broken = current.position[i], best = current
                for _ in 0..<6 {
                    trial.position[i] = (holds + broken) / 2
                    let c = try measured(trial)
                    if c.breaks { broken = trial.position[i]; best = c } else { holds = trial.position[i] }
                }
                if best.position != current.position { current = best; changed = true }
            }
            if !changed { break }
        }
        return current
    }
}

extension WorstCaseSearch {
    /// Measures runs of `spec` with their overrides and `seed`, on all cores (each run on one): the break
    /// condition's metric per run, or NaN for settings the scenario refuses.
    public func evaluator(for spec: ScenarioSpec, seed: UInt64) -> ([Overrides]) throws -> [Double?] {
        Self.evaluator(for: spec, seed: seed, metric: breakCondition.metric)
    }

    /// The same for any gate metric (a boundary map's).
    public static func evaluator(for spec: ScenarioSpec, seed: UInt64, metric: Gate.Metric) -> ([Overrides]) throws -> [Double?] {
        { runs in
            if Interrupt.isRequested { throw Interrupted() }
            let results = Locked(Array(repeating: Double?.some(.nan), count: runs.count))
            let failures = Locked([String]())
            DispatchQueue.concurrentPerform(iterations: runs.count) { i in
                var s = spec
                do {
                    try s.apply(overrides: runs[i])
                    guard s.validate().isEmpty else { return }
                    let result = try ScenarioRunner(spec: s, seed: seed).run(shouldStop: { Interrupt.isRequested })
                    let value = GateEvaluation.value(metric, summary: result.summary)
                    results.mutate { $0[i] = value }
                } catch is ParameterError {
                    return
                } catch is BacklogOverflow {
                    results.mutate { $0[i] = nil }   // the queues outgrew what a run holds: as broken as it gets
                } catch {
                    failures.mutate { $0.append("\(error)") }
                }
            }
            if Interrupt.isRequested { throw Interrupted() }
            if let first = failures.value.first { throw InvalidInput(first) }
            return results.value
        }
    }
}

extension Gate {
    /// How far `value` is past this condition when it is read as what a broken run meets: positive when it
    /// breaks. Not measured (nil: a fault that never recovered) is as broken as it gets; not a number (settings
    /// the scenario refuses) never breaks.
    public func margin(past value: Double?) -> Double {
        guard let value else { return .infinity }
        guard !value.isNaN else { return -.infinity }
        switch comparison {
        case .gt, .ge: return value - threshold + (comparison == .ge ? 1e-12 : 0)
        case .lt, .le: return threshold - value + (comparison == .le ? 1e-12 : 0)
        }
    }
}

/// A value shared by the runs of a batch.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ change: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; change(&stored) }
}

extension WorstCaseSearch {
    /// A case as a Swift scenario to commit as a regression gate: the scenario `base` (referred to by
    /// `baseExpression`, e.g. `.nodeCrash`), the overrides the search ran with (`also`), the case's, and the break condition's negation as
    /// its gate, which fails until the weakness is fixed. `provenance` says how it was found (a comment).
    public func swiftScenario(_ c: SearchCase, base: String, baseExpression: String, also: Overrides = [], provenance: String) -> String {
        let name = base + "-regression"
        let identifier = Self.identifier(name)
        let lines = (also + changes(c)).map { "        Override(\(Self.literal($0.key)), \(Self.literal($0.value)))" }
        // Each line a comment; any other line break or control character becomes a space, so no text leaves it.
        let comment = provenance.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            "    /// " + String(String.UnicodeScalarView(line.unicodeScalars.map { $0.properties.generalCategory == .control
                || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0 }))
        }
        return """
        import Stormglass

        extension Scenario {
        \(comment.joined(separator: "\n"))
            public static let \(identifier) = Scenario(\(Self.literal(name)), \(Self.literal("\(base), as a search broke it: \(breakCondition.text)"))) {
                BasedOn(\(baseExpression))
        \(lines.joined(separator: "\n"))
                Gates(\(Self.literal(breakCondition.negated.text)))
            }
        }

        """
    }

    /// `node-crash-regression` → `nodeCrashRegression`; anything not a letter or digit separates words.
    public static func identifier(_ name: String) -> String {
        let words = name.split { !($0.isLetter || $0.isNumber) || !$0.isASCII }.map(String.init)
        let camel = words.enumerated().map { $0.offset == 0 ? $0.element.lowercased() : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        return camel.first?.isLetter == true ? camel : "scenario" + camel.prefix(1).uppercased() + camel.dropFirst()
    }

    /// A Swift string literal of `text`: quotes, backslashes and control characters escaped, so text from a user
    /// stays text.
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
