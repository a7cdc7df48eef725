import Foundation
import Recorder
import ScenarioKit
import Statistics
import Telemetry

/// A gate's verdict over N seeds.
public enum GateVerdict: Sendable, Equatable {
    case passed, failed
    /// The gate could not be judged (a run was interrupted or failed): never a pass.
    case notEvaluated(String)
}

/// One gate evaluated on one scenario's runs.
public struct GateOutcome: Sendable {
    public var scenario: String
    public var gate: Gate
    /// The gate's metric per seed (nil: not measured, e.g. a fault that never recovered).
    public var values: [Double?]
    /// Mean and 95 % Student-t interval over the seeds, when every seed was measured.
    public var estimate: MeanEstimate?
    public var verdict: GateVerdict
    /// Wall time per run, for the JUnit report.
    public var wallSeconds: Double
    public var passed: Bool { verdict == .passed }
    /// For `gate --search`: the search that tried to break this gate (nil for a gate judged on the written scenario).
    public var search: GateSearch? = nil

    /// A gate that nothing judged: no runs, or runs that did not finish.
    public static func notEvaluated(_ gate: Gate, scenario: String, because why: String) -> GateOutcome {
        GateOutcome(scenario: scenario, gate: gate, values: [], estimate: nil, verdict: .notEvaluated(why), wallSeconds: 0)
    }
}

/// What `gate --search` did for one gate: the runs it spent, and the shrunk case that broke the gate (if one did).
public struct GateSearch: Sendable {
    public var runs: Int
    /// The overrides of the shrunk case (`faults.dip.start=1h8m`), or nil if no run broke the gate.
    public var breaking: [String]?
    /// The command that reproduces the shrunk case as a failing gate.
    public var reproduce: String?
    public init(runs: Int, breaking: [String]?, reproduce: String?) { self.runs = runs; self.breaking = breaking; self.reproduce = reproduce }
}

/// Reads gate metrics from recorded runs and judges them (on the mean, or with `wholeInterval` on the
/// pessimistic end of the 95 % interval). Only finished runs count.
public enum GateEvaluation {
    /// The gate's metric for one recorded run.
    public static func value(_ metric: Gate.Metric, store: ResultsStore, run: Int64) throws -> Double? {
        if case .accuracy(let h) = metric {
            let xs = try store.accuracy(run: run).filter { $0.model == "auto" && abs($0.horizon - h) < 1e-6 }.map(\.accuracy)
            return xs.isEmpty ? nil : xs.min()
        }
        return value(metric, figures: try store.summary(run: run))
    }

    /// The gate's metric from a run's summary, as it would be recorded (a figure that is not a number, such as a
    /// recovery that never came, is missing). Nil for `accuracy`, which the summary does not hold.
    public static func value(_ metric: Gate.Metric, summary: RunSummary) -> Double? {
        var values: [SummarySubject: [SummaryMetric: Double]] = [:]
        for f in summary.figures where !f.value.isNaN { values[f.subject, default: [:]][f.metric] = f.value }
        return value(metric, figures: RunFigures(values))
    }

    static func value(_ metric: Gate.Metric, figures f: RunFigures) -> Double? {
        func worstOverFaults(_ m: SummaryMetric) -> Double? {
            var worst = 0.0   // a run without faults recovers (and detects) in 0
            for name in f.faults {
                guard let v = f[.fault(name), m] else { return nil }
                worst = max(worst, v)
            }
            return worst
        }
        switch metric {
        case .recovery: return worstOverFaults(.recovery)
        case .recoveryAfterEnd:
            var worst = 0.0
            for name in f.faults where f[.fault(name), .faultEnd] != nil {
                guard let v = f[.fault(name), .recoveryAfterEnd] else { return nil }
                worst = max(worst, v)
            }
            return worst
        case .detect: return worstOverFaults(.detect)
        case .mitigate: return worstOverFaults(.mitigate)
        case .sloViolation: return f[.run, .sloViolationMinutes]
        case .availability: return f[.run, .availability]
        case .cost: return f[.run, .cost]
        case .resilience: return f[.run, .resilienceScore]
        case .p95(let s): return f[.service(s), .p95]
        case .accuracy: return nil
        }
    }

    public static func evaluate(_ gate: Gate, scenario: String, runs: [CompletedRun], expected: Int, store: ResultsStore,
                                wallSeconds: Double) throws -> GateOutcome {
        let unfinished = expected - runs.filter { $0.result.status == .finished }.count
        let values = try runs.filter { $0.result.status == .finished }.map { try value(gate.metric, store: store, run: $0.runID) }
        let measured = values.compactMap { $0 }
        let estimate = measured.count == values.count && !measured.isEmpty ? MeanEstimate(measured, confidence: 0.95) : nil
        let verdict: GateVerdict
        if unfinished > 0 {
            verdict = .notEvaluated("\(unfinished) of \(expected) runs did not finish (interrupted or failed)")
        } else {
            let judged = estimate.map { gate.wholeInterval ? gate.worstEnd(mean: $0.mean, halfWidth: $0.halfWidth) : $0.mean }
            verdict = gate.passes(judged) ? .passed : .failed
        }
        return GateOutcome(scenario: scenario, gate: gate, values: values, estimate: estimate, verdict: verdict,
                           wallSeconds: wallSeconds / Double(max(1, expected)))
    }
}
