import Foundation
import SimulationKernel

/// A resilience gate: `recovery <= 3m`, `availability >= 99.9%`, `accuracy@15m >= 85%`,
/// `slo-violation <= 5m`, `cost <= 40`, `p95:checkout <= 300ms`, `resilience >= 90%`.
public struct Gate: Sendable, Equatable, CustomStringConvertible, ScenarioComponent {
    public enum Metric: Sendable, Equatable {
        /// Worst recovery time over the run's faults (seconds); a fault that never recovered fails the gate.
        case recovery
        /// Worst recovery measured from each fault's end (faults with an end only): a failure that
        /// outlives its trigger (metastable) fails it.
        case recoveryAfterEnd
        /// Worst time from a fault to its detection, and to the first mitigating action (seconds).
        case detect, mitigate
        /// SLO-violation minutes over all services.
        case sloViolation
        /// Run-wide availability, 0…1 (the Definitions article).
        case availability
        /// Prediction accuracy (auto model, the worst service) at a horizon in seconds.
        case accuracy(horizon: Double)
        /// Run-wide cost in dollars (the Definitions article).
        case cost
        /// A service's run-wide p95 (seconds).
        case p95(service: String)
        /// The resilience score, 0…1 (the Definitions article).
        case resilience
    }
    /// How the figure is compared with the threshold.
    public enum Comparison: String, Sendable { case le = "<=", lt = "<", ge = ">=", gt = ">" }

    /// The gate as written (`recovery <= 3m`).
    public var text: String
    /// The figure judged.
    public var metric: Metric
    /// How it is compared.
    public var comparison: Comparison
    /// The threshold, in the metric's base unit (seconds, a 0…1 fraction, dollars).
    public var threshold: Double
    /// Demand that the whole 95 % confidence interval over the seeds passes, not only the mean.
    public var wholeInterval: Bool

    /// The gate as written, with "(whole interval)" when it asks for the whole confidence interval.
    public var description: String { text + (wholeInterval ? " (whole interval)" : "") }

    public func apply(to spec: inout ScenarioSpec) { spec.gates.append(self) }

    /// Whether two gates judge the same thing (metric, comparison and threshold), however written.
    public func judgesTheSame(as other: Gate) -> Bool {
        metric == other.metric && comparison == other.comparison && threshold == other.threshold
    }

    /// A scenario's gates with `extra` added: a gate it already has is judged once (over the whole
    /// interval if either asks for it), never reported twice.
    public static func adding(_ extra: [Gate], to gates: [Gate]) -> [Gate] {
        var all = gates
        for g in extra {
            if let i = all.firstIndex(where: { $0.judgesTheSame(as: g) }) {
                all[i].wholeInterval = all[i].wholeInterval || g.wholeInterval
            } else {
                all.append(g)
            }
        }
        return all
    }

    /// Parses a gate expression; errors say what was expected.
    public init(_ text: String, wholeInterval: Bool = false) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.text = trimmed
        self.wholeInterval = wholeInterval
        let ops: [Comparison] = [.le, .ge, .lt, .gt]
        guard let op = ops.first(where: { trimmed.contains($0.rawValue) }) else {
            throw GateError(text, "no comparison: write e.g. \"recovery <= 3m\" (one of <=, <, >=, >)")
        }
        let parts = trimmed.components(separatedBy: op.rawValue)
        guard parts.count == 2 else { throw GateError(text, "expected one comparison, like \"availability >= 99.9%\"") }
        let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        comparison = op
        switch name {
        case "recovery", "recovery-time": metric = .recovery
        case "recovery-after-end", "recovery-after-fault": metric = .recoveryAfterEnd
        case "detect", "time-to-detect": metric = .detect
        case "mitigate", "time-to-mitigate": metric = .mitigate
        case "slo-violation", "slo-violation-minutes": metric = .sloViolation
        case "availability": metric = .availability
        case "cost": metric = .cost
        case "resilience", "resilience-score": metric = .resilience
        default:
            if name.hasPrefix("accuracy@"), let h = SimDuration(parsing: String(name.dropFirst(9))) {
                metric = .accuracy(horizon: h.seconds)
            } else if name.hasPrefix("p95:"), name.count > 4 {
                metric = .p95(service: String(parts[0].trimmingCharacters(in: .whitespaces).dropFirst(4)))
            } else {
                throw GateError(text, "unknown metric \"\(name)\"; one of recovery, recovery-after-end, detect, mitigate, slo-violation, availability, accuracy@<horizon>, cost, p95:<service>, resilience")
            }
        }
        threshold = try Gate.value(value, for: metric, text)
        // Every metric is a time, a count of minutes, a fraction or an amount: none is below zero.
        guard threshold.isFinite, threshold >= 0 else {
            throw GateError(text, "\"\(value)\" is not a possible threshold (it must be a finite value ≥ 0)")
        }
    }

    static func value(_ v: String, for metric: Metric, _ text: String) throws -> Double {
        switch metric {
        case .recovery, .recoveryAfterEnd, .detect, .mitigate, .p95:
            guard let d = SimDuration(parsing: v) else { throw GateError(text, "\"\(v)\" is not a duration (try 3m, 90s, 300ms)") }
            return d.seconds
        case .sloViolation:
            // Minutes: a bare number, or a duration.
            if let x = Double(v) { return x }
            guard let d = SimDuration(parsing: v) else { throw GateError(text, "\"\(v)\" is not a number of minutes or a duration") }
            return d.seconds / 60
        case .availability, .accuracy, .resilience:
            let x = v.hasSuffix("%") ? Double(v.dropLast()).map { $0 / 100 } : Double(v)
            guard let x, (0...1).contains(x) else {
                throw GateError(text, "\"\(v)\" is not a fraction in 0…1 or a percentage in 0…100% (try 99.9%)")
            }
            return x
        case .cost:
            guard let x = Double(v.hasPrefix("$") ? String(v.dropFirst()) : v) else { throw GateError(text, "\"\(v)\" is not an amount") }
            return x
        }
    }

    /// Whether a measured value passes (nil = the metric could not be measured, e.g. not recovered).
    /// The metric as written (`slo-violation`, `p95:checkout`).
    public var metricName: String { text.components(separatedBy: comparison.rawValue)[0].trimmingCharacters(in: .whitespaces) }

    /// The opposite condition (`slo-violation > 5m` → `slo-violation <= 5m`): what every run meets that this one's
    /// runs do not.
    public var negated: Gate {
        var g = self
        switch comparison {
        case .gt: g.comparison = .le
        case .ge: g.comparison = .lt
        case .lt: g.comparison = .ge
        case .le: g.comparison = .gt
        }
        let written = text.components(separatedBy: comparison.rawValue).last?.trimmingCharacters(in: .whitespaces) ?? ""
        g.text = "\(metricName) \(g.comparison.rawValue) \(written)"
        return g
    }

    public func passes(_ x: Double?) -> Bool {
        guard let x, x.isFinite else { return false }
        switch comparison {
        case .le: return x <= threshold
        case .lt: return x < threshold
        case .ge: return x >= threshold
        case .gt: return x > threshold
        }
    }

    /// For "whole interval" gates: the interval end that must pass (upper for ≤, lower for ≥).
    public func worstEnd(mean: Double, halfWidth: Double) -> Double {
        comparison == .le || comparison == .lt ? mean + halfWidth : mean - halfWidth
    }
}

/// A gate expression that cannot be read, with the text and why.
public struct GateError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String, _ why: String) { description = "gate \"\(text)\": \(why)" }
}

/// Scenario DSL: gates declared with the scenario. A malformed expression is a validation problem.
public struct Gates: ScenarioComponent {
    let texts: [String]
    let wholeInterval: Bool
    /// Gates written as text (`"recovery <= 3m"`, `"p95:checkout <= 300ms"`); with `wholeInterval` each
    /// must pass over the whole 95 % confidence interval across seeds, not only the mean. `--gate` adds to these.
    public init(_ texts: String..., wholeInterval: Bool = false) { self.texts = texts; self.wholeInterval = wholeInterval }
    public func apply(to spec: inout ScenarioSpec) {
        for t in texts {
            do { spec.gates.append(try Gate(t, wholeInterval: wholeInterval)) } catch {
                spec.buildProblems.append(ValidationProblem(path: "gates", message: "\(error)"))
            }
        }
    }
}

extension Gate.Metric {
    /// Whether a search can read it from a run's summary (accuracy needs the recorded predictions).
    public var isSearchable: Bool { if case .accuracy = self { return false } else { return true } }
}
