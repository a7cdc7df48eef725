import Foundation
import ScenarioKit

/// Where a system tips over: for every combination of the `grid` values, the smallest value of `axis` that breaks
/// the condition, found by bisection (assuming one crossing along `axis`: below it holds, above it breaks). A
/// metastability phase diagram is this over trigger size × trigger duration × load.
///
/// Each bisection step measures one run per grid point, so a step is one batch on all cores.
/// Cost: grid points × (2 + `steps`) runs.
public struct BoundarySearch: Sendable {
    public var axis: SearchDimension
    /// The other parameters and the values each takes (`faults.latency.duration` = 1m, 2m, 5m).
    public var grid: [(key: String, values: [String])]
    public var breakCondition: Gate
    public var steps: Int
    /// Which grid points (by index in ``points``) this process maps: all, or a shard's (`--shard i/N`).
    public var owns: @Sendable (Int) -> Bool = { _ in true }

    public init(axis: SearchDimension, grid: [(key: String, values: [String])], breakCondition: Gate, steps: Int) {
        self.axis = axis; self.grid = grid; self.breakCondition = breakCondition; self.steps = steps
    }

    /// One grid point's boundary.
    public struct Point: Sendable {
        /// The grid's values at this point, in `grid` order.
        public var values: [String]
        public enum Threshold: Sendable, Equatable {
            /// Holds below `value`, breaks from it up (to the bisection's resolution).
            case at(Double)
            /// Breaks even at the range's low end.
            case belowRange
            /// Holds even at the range's high end.
            case aboveRange
        }
        public var threshold: Threshold
        /// The metric at the highest value that held and the lowest that broke (nil: never recovered; absent when
        /// not measured there).
        public var held: (at: Double, value: Double?)?
        public var broke: (at: Double, value: Double?)?
    }

    /// Every combination of the grid's values, the first key varying slowest.
    public var points: [[String]] {
        grid.reduce([[]]) { partial, dimension in partial.flatMap { prefix in dimension.values.map { prefix + [$0] } } }
    }

    /// Runs the bisections; `evaluate` is a search's (the metric per run's overrides, NaN for refused settings).
    public func run(evaluate: ([Overrides]) throws -> [Double?]) throws -> [Point] {
        let combos = points.enumerated().filter { owns($0.offset) }.map(\.element)
        func overrides(_ combo: [String], _ x: Double) -> Overrides {
            zip(grid, combo).map { ($0.key, $1) } + [(axis.key, axis.format(x))]
        }
        // Both ends of every point in one batch.
        let ends = try evaluate(combos.map { overrides($0, axis.low) } + combos.map { overrides($0, axis.high) })
        let lows = Array(ends.prefix(combos.count)), highs = Array(ends.suffix(combos.count))
        var lo = Array(repeating: axis.low, count: combos.count), hi = Array(repeating: axis.high, count: combos.count)
        var loValue = lows, hiValue = highs
        let open = combos.indices.filter { breakCondition.margin(past: lows[$0]) <= 0 && breakCondition.margin(past: highs[$0]) > 0 }
        for _ in 0..<steps where !open.isEmpty {
            let mids = open.map { (lo[$0] + hi[$0]) / 2 }
            let values = try evaluate(zip(open, mids).map { overrides(combos[$0], $1) })
            for (k, i) in open.enumerated() {
                if breakCondition.margin(past: values[k]) > 0 { hi[i] = mids[k]; hiValue[i] = values[k] } else { lo[i] = mids[k]; loValue[i] = values[k] }
            }
        }
        return combos.indices.map { i in
            let threshold: Point.Threshold
            if breakCondition.margin(past: lows[i]) > 0 { threshold = .belowRange } else if breakCondition.margin(past: highs[i]) <= 0 { threshold = .aboveRange } else {
                threshold = .at(hi[i])
            }
            return Point(values: combos[i], threshold: threshold,
                         held: threshold == .belowRange ? nil : (lo[i], loValue[i]),
                         broke: threshold == .aboveRange ? nil : (hi[i], hiValue[i]))
        }
    }
}
