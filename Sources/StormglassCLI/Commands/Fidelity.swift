import Telemetry
import ArgumentParser
import Foundation
import Lab
import Reports
import ScenarioKit

/// `stormglass fidelity SCENARIO`: the scenario at request level and as flows, side by side.
struct FidelityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fidelity",
        abstract: "Run a scenario at request level and in the fluid fidelity on the same seed, and check that the fluid run keeps its promises.",
        discussion: """
            Prints SLO-violation minutes, availability, cost and each service's p95 both ways, the wall time of each, \
            and per service how many unsaturated scrapes have their p95 within 10 %. Exits 1 when a tolerance is exceeded, 2 when the \
            scenario uses something the fluid fidelity cannot represent.
            Example: \(CommandName.current) fidelity black-friday --duration 6h
            """)

    @Argument(help: "Scenario name.")
    var scenario: String

    @OptionGroup var options: ScenarioOptions

    func run() throws {
        // Resolved as a fluid run, so validation refuses what the fluid fidelity cannot represent.
        var fluidOptions = options
        fluidOptions.fidelity = .fluid
        let (spec, _) = try fluidOptions.resolve(scenario)
        let c = try FidelityComparison.run(spec, shouldStop: { Interrupt.isRequested })
        let speedup = String(format: c.speedup < 10 ? "%.1f" : "%.0f", c.speedup)
        print("\(scenario), seed \(c.seed), \(spec.duration): request level \(String(format: "%.2f", c.request.wallSeconds)) s, "
              + "fluid \(String(format: "%.2f", c.fluid.wallSeconds)) s (\(speedup)× faster)")
        var checks = TextTable(["promise", "kept", "detail"])
        for check in c.checks { checks.add([check.name, check.kept ? "yes" : "NO", check.detail]) }
        print(checks.rendered)
        if !c.keptAll { throw ExitCode.gateFailed }
    }
}
