import Foundation
import Scenarios
import Stormglass
import Testing

/// `stormglass search --boundary` on retry-storm: the metastability phase diagram's published shape (Huang et al.,
/// OSDI '22) — a sharp threshold, a band of loads that are healthy until triggered and stuck after, and a
/// mitigation (a retry budget) that moves the threshold up — checked against retry amplification: with clients
/// that retry at most a fraction b of first tries, offered load is at most (1 + b)·L, so no trigger can leave the
/// service stuck below C / (1 + b), where C is the load it fails at without any trigger.
@Suite struct MetastabilityBoundaryTests {
    static let base = ["search", "retry-storm", "--duration", "35m", "--set", "faults.latency.start=10m", "--quiet"]

    /// The rows of a boundary table: the grid's values, then the threshold and the two metric cells.
    static func rows(_ out: CommandOutput) -> [[String]] {
        guard let rule = out.lines.firstIndex(where: { $0.hasPrefix("───") }) else { return [] }
        return out.lines[(rule + 1)...].prefix { !$0.hasPrefix("resolution:") }.map {
            $0.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    @Test func aRetryBudgetMovesTheStuckThresholdUpAndEveryThresholdRespectsRetryAmplification() throws {
        // C: the load the service fails at with no trigger at all.
        let alone = try stormglassProcess(Self.base + ["--boundary", "checkout.rate=500...3000", "--over", "faults.latency.enabled=false",
                                                       "--break", "slo-violation > 5m", "--steps", "6"])
        #expect(alone.code == 0, "\(alone.stderr)")
        let capacity = try #require(Double(Self.rows(alone).first?[1] ?? ""), "\(alone.stdout)")
        // L*: the smallest load a 500 ms, 5-minute slowdown of payments leaves stuck for more than 5 minutes after it ends.
        let out = try stormglassProcess(Self.base + ["--boundary", "checkout.rate=300...2000", "--over", "checkout.retry.budget=none,0.1",
                                                     "--break", "recovery-after-end > 5m", "--steps", "6"])
        #expect(out.code == 0, "\(out.stderr)")
        let rows = Self.rows(out)
        #expect(rows.count == 2, "\(out.stdout)")
        let unlimited = try #require(Double(rows.first { $0[0] == "none" }?[1] ?? ""), "\(out.stdout)")
        let budgeted = try #require(Double(rows.first { $0[0] == "0.1" }?[1] ?? ""), "\(out.stdout)")
        print("metastability: fails untriggered at \(capacity)/s; stuck after the trigger from \(unlimited)/s (3 tries, no budget), \(budgeted)/s (budget 0.1)")
        // The bistable band: loads that are healthy untriggered and stuck once triggered.
        #expect(unlimited < capacity * 0.7, "a band of loads that only a trigger tips over")
        // Retry amplification's bounds: 3 tries at most triple the load; a budget of 0.1 adds at most 10 %.
        #expect(unlimited >= capacity / 3 && budgeted >= capacity / 1.1 * 0.97, "C = \(capacity)")
        #expect(budgeted > unlimited * 1.5, "the budget moves the threshold up")
    }

    /// Sharp: at 900 requests/s, one resolution step below the threshold the service is back to its SLO within a
    /// minute of the slowdown's end; at the threshold it never recovers.
    @Test func theThresholdIsSharp() throws {
        let out = try stormglassProcess(Self.base + ["--boundary", "faults.latency.fixed=0ms...1s", "--over", "checkout.rate=900",
                                                     "--over", "faults.latency.duration=1m", "--break", "recovery-after-end > 5m", "--steps", "6"])
        #expect(out.code == 0, "\(out.stderr)")
        let row = try #require(Self.rows(out).first, "\(out.stdout)")
        let threshold = try #require(SimDuration(parsing: row[2]), "\(row)")
        #expect(threshold > .milliseconds(16) && threshold < .milliseconds(200), "\(row)")
        let below = try #require(Double(row[3].replacingOccurrences(of: " s", with: "")), "\(row)")
        #expect(below <= 60 && row[4] == "never recovered", "\(row)")
    }

    @Test func theBoundaryRefusesWhatCannotWorkAllAtOnce() throws {
        let bad = try stormglassProcess(["search", "retry-storm", "--boundary", "faults.latency.fixed=1s...0s", "--over", "checkout.rate=1000,",
                                         "--over", "nonsense=1", "--steps", "0", "--vary", "checkout.rate=1...2"])
        #expect(bad.code == 2)
        for part in ["--vary goes with a search", "give --break", "--steps 0: must be in 1…30", "a search range is lo...hi with lo < hi",
                     "--over checkout.rate=1000,: 1 to 100 values, none empty", "--over nonsense: unknown parameter"] {
            #expect(bad.stderr.contains(part), "\(part): \(bad.stderr)")
        }
    }

    @Test func theChartIsDrawn() throws {
        let dir = temporaryDirectory()
        let out = try stormglassProcess(Self.base + ["--boundary", "faults.latency.fixed=0ms...1s", "--over", "checkout.rate=500,900",
                                                     "--over", "faults.latency.duration=1m", "--break", "recovery-after-end > 5m",
                                                     "--steps", "2", "--chart", dir + "/b.svg"])
        #expect(out.code == 0, "\(out.stderr)")
        let svg = try String(contentsOfFile: dir + "/b.svg", encoding: .utf8)
        #expect(svg.contains("<svg") && svg.contains("faults.latency.duration=1m"), "\(svg.prefix(300))")
    }
}
