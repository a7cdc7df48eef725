import Foundation
import ScenarioKit
import SimulationKernel
import Telemetry

/// One searched knob: a `--set` parameter between two values (`surge.start=10m...50m`, `surge.multiplier=1...8`).
public struct SearchDimension: Sendable, Equatable {
    public enum Unit: Sendable, Equatable { case integer, number, duration }
    public var key: String
    public var low: Double, high: Double
    public var unit: Unit
    /// The scenario's own value (seconds for a duration), clamped into the range: where shrinking heads.
    public var written: Double

    /// Parses `key=lo...hi`, typed by the scenario's current value of `key`.
    public init(_ text: String, in spec: ScenarioSpec) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw InvalidInput("--vary \(text): expected key=lo...hi") }
        let key = String(text[..<eq])
        let bounds = text[text.index(after: eq)...].components(separatedBy: "...")
        guard let parameter = spec.parameters.first(where: { $0.key == key }) else {
            throw InvalidInput("--vary \(key): unknown parameter (`\(CommandName.current) list --parameters \(spec.name)` lists them)")
        }
        let current = parameter.value(in: spec)
        let unit: Unit
        if Int(current) != nil { unit = .integer } else if Double(current) != nil { unit = .number } else if SimDuration(parsing: current) != nil {
            unit = .duration
        } else {
            throw InvalidInput("--vary \(key): its value \(current) is not a number or a duration, so it has no range to search")
        }
        func number(_ s: String) -> Double? {
            unit == .duration ? SimDuration(parsing: s).map(\.seconds) : Double(s).flatMap { $0.isFinite ? $0 : nil }
        }
        guard bounds.count == 2, let lo = number(bounds[0]), let hi = number(bounds[1]), lo < hi else {
            throw InvalidInput("--vary \(text): a search range is lo...hi with lo < hi, in the parameter's unit (\(unit == .duration ? "a duration such as 10m" : "a number"))")
        }
        self.key = key; self.unit = unit; low = lo; high = hi
        written = min(max(number(current) ?? lo, lo), hi)
    }

    /// The `--set` value at `u` ∈ 0…1 of the range.
    public func value(at u: Double) -> String { format(low + (high - low) * min(max(u, 0), 1)) }

    public func format(_ x: Double) -> String {
        switch unit {
        case .integer: return String(Int(x.rounded()))
        case .number: return String(format: "%.4g", x)
        case .duration: return SimDuration.seconds(x.rounded()).description
        }
    }

    /// Where `x` lies in the range, 0…1.
    public func position(of x: Double) -> Double { (x - low) / (high - low) }
}

/// A point of the search: each dimension's position in its range (0…1), and what the run made of it.
public struct SearchCase: Sendable, Equatable {
    public var position: [Double]
    /// The gate's metric for the run (nil: not measured, e.g. a fault that never recovered).
    public var value: Double?
    /// How far past the break condition (positive: broken), in the metric's unit.
    public var badness: Double
    public var breaks: Bool { badness > 0 }
}

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

    /// How far `value` is past the break condition: positive when it breaks. Not measured (nil: a fault that never
    /// recovered) is as broken as it gets; not a number (settings the scenario refuses) never breaks.
    public func badness(_ value: Double?) -> Double {
        guard let value else { return .infinity }
        guard !value.isNaN else { return -.infinity }
        switch breakCondition.comparison {
        case .gt, .ge: return value - breakCondition.threshold + (breakCondition.comparison == .ge ? 1e-12 : 0)
        case .lt, .le: return breakCondition.threshold - value + (breakCondition.comparison == .le ? 1e-12 : 0)
        }
    }

    /// The `--set` overrides of a position.
    public func settings(_ position: [Double]) -> [(key: String, value: String)] {
        zip(dimensions, position).map { ($0.key, $0.value(at: $1)) }
    }

    /// Runs the search; `evaluate` measures a batch of positions (the metric per position, in order).
    /// Returns every case evaluated, worst first.
    public func run(evaluate: ([[Double]]) throws -> [Double?]) throws -> [SearchCase] {
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
            let values = try evaluate(points)
            for (p, v) in zip(points, values) { cases.append(SearchCase(position: p, value: v, badness: badness(v))) }
        }
        return cases.sorted { $0.badness > $1.badness }
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ random: inout RandomStream) -> Double {
        (-2 * log(random.uniformPositive())).squareRoot() * cos(2 * Double.pi * random.uniform())
    }

    /// Shrinks a breaking case towards the scenario as written, one dimension at a time: its written value if
    /// that still breaks, else the value nearest to it that does (bisection, to 1/64 of the way). Two passes.
    /// `evaluate` is the search's.
    public func shrink(_ start: SearchCase, evaluate: ([[Double]]) throws -> [Double?]) throws -> SearchCase {
        func breaks(_ p: [Double]) throws -> SearchCase {
            let v = try evaluate([p])[0]
            return SearchCase(position: p, value: v, badness: badness(v))
        }
        var current = start
        for _ in 0..<2 {
            var changed = false
            for i in dimensions.indices {
                let target = dimensions[i].position(of: dimensions[i].written)
                guard abs(current.position[i] - target) > 1e-9 else { continue }
                var trial = current.position
                trial[i] = target
                let atWritten = try breaks(trial)
                if atWritten.breaks { current = atWritten; changed = true; continue }
                // Bisect between the written value (holds) and the current one (breaks).
                var holds = target, broken = current.position[i], best = current
                for _ in 0..<6 {
                    trial[i] = (holds + broken) / 2
                    let c = try breaks(trial)
                    if c.breaks { broken = trial[i]; best = c } else { holds = trial[i] }
                }
                if best.position != current.position { current = best; changed = true }
            }
            if !changed { break }
        }
        return current
    }
}

extension WorstCaseSearch {
    /// Measures positions by running `spec` with their settings and `seed`, on all cores (each run on one):
    /// the break condition's metric per position, or NaN for settings the scenario refuses.
    public func evaluator(for spec: ScenarioSpec, seed: UInt64) -> ([[Double]]) throws -> [Double?] {
        { positions in
            if Interrupt.isRequested { throw Interrupted() }
            let results = Locked(Array(repeating: Double?.some(.nan), count: positions.count))
            let failures = Locked([String]())
            DispatchQueue.concurrentPerform(iterations: positions.count) { i in
                var s = spec
                do {
                    try s.apply(overrides: settings(positions[i]))
                    guard s.validate().isEmpty else { return }
                    let result = try ScenarioRunner(spec: s, seed: seed).run(shouldStop: { Interrupt.isRequested })
                    let value = GateEvaluation.value(breakCondition.metric, summary: result.summary)
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

/// A value shared by the runs of a batch.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ change: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; change(&stored) }
}
