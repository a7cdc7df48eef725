import Foundation
import Lab
import Recorder
import Reports
import ScenarioKit

/// A scenario's gates judged over several seeds: what `stormglass gate` does, as one call for a test.
///
/// The scenario runs on `replications` seeds (its own seed, then the next ones) on every core, and
/// each gate is judged on the mean over the seeds, or with `wholeInterval` on the worse end of its
/// 95 % interval, exactly as the command judges it.
///
/// ```swift
/// @Test func theSurgeKeepsItsPromises() throws {
///     let check = try GateCheck(.checkoutSurge, replications: 3, adding: ["p95:checkout <= 400ms"])
///     #expect(check.passed, "\(check)")
/// }
/// ```
///
/// Build tests that simulate whole days in release mode (`swift test -c release`): a debug build
/// runs the simulation about 30 times slower.
public struct GateCheck: Sendable, CustomStringConvertible {
    /// One outcome per gate: the scenario's own, then the added ones it did not already have.
    public let outcomes: [GateOutcome]

    /// Every gate passed (a gate that could not be judged, e.g. an interrupted run, is not a pass).
    public var passed: Bool { !outcomes.isEmpty && outcomes.allSatisfy(\.passed) }

    /// The table `stormglass gate` prints: each gate, its value per seed, mean and interval, verdict.
    public var description: String { GateReport.table(outcomes) }

    /// Runs `scenario` on `replications` seeds and judges its gates and `extra` over them.
    ///
    /// - Parameters:
    ///   - scenario: The scenario; it is validated first (an invalid one throws `InvalidScenario`).
    ///   - replications: How many seeds, from 1 to 10,000.
    ///   - extra: Gates written as on the command line (`"recovery <= 3m"`), added to the scenario's
    ///     own; one it already has is not judged twice. A gate that does not parse throws `GateError`.
    ///   - wholeInterval: Judge every gate on the worse end of its 95 % interval instead of the mean.
    ///   - database: Where the runs are recorded (summaries only). By default a temporary file,
    ///     removed before this returns.
    public init(_ scenario: Scenario, replications: Int = 3, adding extra: [String] = [], wholeInterval: Bool = false,
                database: String? = nil) throws {
        guard (1...10_000).contains(replications) else { throw GateCheckError("replications \(replications): must be in 1…10000") }
        let spec = try scenario.spec.validated()
        let added = try extra.map { try Gate($0, wholeInterval: wholeInterval) }
        let gates = Gate.adding(added, to: spec.gates.map { var g = $0; g.wholeInterval = g.wholeInterval || wholeInterval; return g })
        guard !gates.isEmpty else { throw GateCheckError("\(spec.name) declares no gates; add one, e.g. adding: [\"recovery <= 3m\"]") }
        for g in gates {
            if case .p95(let service) = g.metric, spec.serviceIndex(service) == nil {
                throw GateCheckError("gate \"\(g.text)\": \(spec.name) has no service \"\(service)\"")
            }
        }
        let temporary = database == nil
            ? FileManager.default.temporaryDirectory.appendingPathComponent("stormglass-gatecheck-\(UUID().uuidString).sqlite").path : nil
        defer {
            if let temporary { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) } }
        }
        let store = try ResultsStore(path: database ?? temporary!)
        var executor = RunExecutor(store: store)
        executor.recording = .summaries
        let jobs = (0..<replications).map { RunJob(spec: spec, seed: spec.seed &+ UInt64($0), label: "gate", replication: $0) }
        let started = Date()
        let done = try executor.run(jobs)
        let wall = Date().timeIntervalSince(started)
        outcomes = try gates.map {
            try GateEvaluation.evaluate($0, scenario: spec.name, runs: done, expected: jobs.count, store: store, wallSeconds: wall)
        }
    }
}

/// Why a ``GateCheck`` could not run: its description says what to change.
public struct GateCheckError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
