import Foundation
import Recorder
import ScenarioKit

/// Input the user must fix (a malformed `--vary`, `--shard` or range): one line, exit code 2.
public struct InvalidInput: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One swept parameter: `key=a,b,c`, `key=2...10` (step 1) or `key=2...10:2`.
public struct Variation: Sendable, Equatable {
    public var key: String
    public var values: [String]
    /// At most this many values in one range (a sweep is a product of them).
    public static let maximumValues = 10_000

    public init(_ text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw InvalidInput("--vary \(text): expected key=v1,v2 or key=2...10") }
        key = String(text[..<eq])
        let spec = String(text[text.index(after: eq)...])
        if spec.contains("...") {
            let parts = spec.components(separatedBy: "...")
            let hi = parts.count == 2 ? parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init) : []
            guard parts.count == 2, hi.count <= 2, let lo = Int(parts[0]), let top = hi.first.flatMap({ Int($0) }), lo <= top else {
                throw InvalidInput("--vary \(text): a range is lo...hi or lo...hi:step with whole numbers, lo ≤ hi")
            }
            let step = hi.count == 2 ? Int(hi[1]) ?? 0 : 1
            guard step >= 1 else { throw InvalidInput("--vary \(text): the step must be a whole number ≥ 1") }
            // In doubles: `top - lo` overflows Int for ranges across the whole of it.
            let count = ((Double(top) - Double(lo)) / Double(step)).rounded(.down) + 1
            guard count <= Double(Self.maximumValues) else {
                throw InvalidInput("--vary \(text): \(String(format: "%.0f", count)) values; at most \(Self.maximumValues) per parameter")
            }
            values = stride(from: lo, through: top, by: step).map(String.init)
        } else {
            values = spec.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, !values.contains(where: \.isEmpty) else { throw InvalidInput("--vary \(text): no values (or an empty one)") }
        }
    }
}

/// Which slice of a sweep this process runs: `--shard i/N` (0-based), or the index of a Kubernetes
/// Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array (SLURM_ARRAY_TASK_ID) with `--shard auto/N`.
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2, let n = Int(parts[1]), n >= 1 else { throw InvalidInput("--shard \(text): expected i/N, e.g. 0/4, or auto/N") }
        let i: Int
        if parts[0] == "auto" {
            let name = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"].first { environment[$0] != nil }
            guard let name, let v = environment[name] else {
                throw InvalidInput("--shard auto/\(n): neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set")
            }
            guard let x = Int(v) else { throw InvalidInput("--shard auto/\(n): \(name) is \"\(v)\", not a whole number") }
            i = x
        } else {
            guard let x = Int(parts[0]) else { throw InvalidInput("--shard \(text): expected i/N") }
            i = x
        }
        guard (0..<n).contains(i) else { throw InvalidInput("--shard \(text): the index \(i) is not in 0…\(n - 1)") }
        index = i; count = n
    }

    public func owns(_ job: Int) -> Bool { job % count == index }
}

/// A sweep laid out: the cartesian product of the variations × seeds, every point validated before
/// anything runs (every problem reported at once).
public struct SweepPlan: Sendable {
    /// Each point's label (`key=v,key=v`), in order.
    public var labels: [String]
    /// Every run of the sweep, point by point, seed by seed.
    public var jobs: [RunJob]
    /// At most this many runs in one sweep.
    /// (Each point is built and validated before anything runs, about a quarter of a millisecond each.)
    public static let maximumRuns = 100_000

    public init(base: ScenarioSpec, parameters: [String: String], variations: [Variation], replications: Int) throws {
        guard (1...10_000).contains(replications) else { throw InvalidInput("--replications \(replications): must be in 1…10000") }
        // Each factor is at most 10,000, so the product stops growing past the limit instead of overflowing.
        let size = variations.reduce(replications) { min($0, Self.maximumRuns + 1) * $1.values.count }
        guard size <= Self.maximumRuns, size > 0 else {
            throw InvalidInput("the sweep has \(size) runs (points × seeds); at most \(Self.maximumRuns)")
        }
        var points: [[(String, String)]] = [[]]
        for v in variations { points = points.flatMap { p in v.values.map { p + [(v.key, $0)] } } }
        var problems: [String] = [], invalidPoints = 0
        labels = []
        jobs = []
        for p in points {
            if Interrupt.isRequested { throw Interrupted() }
            var spec = base
            var ps = parameters
            let label = p.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            do {
                for (k, v) in p { try spec.set(k, v); ps[k] = v }
            } catch let e as ParameterError {
                invalidPoints += 1
                // A bad value is one problem of its --vary, however many points it is in.
                let problem = "--vary \(e.key): \(e.message)"
                if !problems.contains(problem) { problems.append(problem) }
                continue
            }
            let issues = spec.validate()
            if !issues.isEmpty { invalidPoints += 1; problems.append("\(label): " + issues.map(\.description).joined(separator: "; ")); continue }
            labels.append(label)
            for r in 0..<replications { jobs.append(RunJob(spec: spec, seed: base.seed &+ UInt64(r), label: label, replication: r, parameters: ps)) }
        }
        if !problems.isEmpty {
            // Every problem counts; the first 20 are shown (a whole grid of one mistake would be thousands of lines).
            let more = problems.count > 20 ? ["… and \(problems.count - 20) more"] : []
            throw InvalidInput("\(invalidPoints) of \(points.count) sweep points are invalid:\n  " + (problems.prefix(20) + more).joined(separator: "\n  "))
        }
    }
}

/// A finished run's identity within a sweep, for resuming.
public struct RunKey: Hashable, Sendable {
    public var label: String
    public var seed: Int64
    public init(label: String, seed: Int64) { self.label = label; self.seed = seed }
}

extension ResultsStore {
    /// (label, seed) of finished runs of a scenario, for resuming sweeps.
    public func finishedRuns(scenario: String) throws -> Set<RunKey> {
        Set(try runs().filter { $0.scenario == scenario && $0.status == .finished }.map { RunKey(label: $0.label, seed: $0.seed) })
    }
}

/// `plan`: the smallest whole-number setting of a parameter that meets a goal, by binary search
/// (assuming more is never worse). `probe` runs the scenario at a value and says whether it meets it.
public enum PlanSearch {
    public static func smallest(in range: ClosedRange<Int>, meets probe: (Int) throws -> Bool) rethrows -> Int? {
        guard try probe(range.upperBound) else { return nil }
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if try probe(mid) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
