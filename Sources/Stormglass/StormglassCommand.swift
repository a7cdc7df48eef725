@_exported import Chaos
@_exported import ClusterModel
@_exported import ControlPlane
@_exported import Kubernetes
@_exported import Lab
@_exported import Recorder
@_exported import Reports
@_exported import ScenarioKit
@_exported import SimulationKernel
@_exported import Statistics
@_exported import Telemetry
import StormglassCLI

/// The whole Stormglass command line over your own scenarios: make your package's `@main` type
/// conform, list your scenarios (and any policies of your own), and `swift run NAME gate …`,
/// `run`, `compare`, `sweep`, `plan`, `show`, `report`, `plot`, `export`, `merge`, `forecast` and
/// `detect` work exactly as `stormglass` does.
///
/// ```swift
/// import Stormglass
///
/// @main struct ShopLab: StormglassCommand {
///     static let scenarios: [Scenario] = [.checkoutSurge, .zoneOutage]
///     static let policies: [any ScalingPolicy] = [QueueAwarePolicy()]
/// }
/// ```
public protocol StormglassCommand {
    /// The scenarios the commands know, by name.
    static var scenarios: [Scenario] { get }
    /// Policies of your own, with their default configuration, for `--set policy=NAME` and
    /// `compare --policy NAME` (the built-in ones are always there). Default: none.
    static var policies: [any ScalingPolicy] { get }
}

extension StormglassCommand {
    public static var policies: [any ScalingPolicy] { [] }

    /// Parses the command line, runs the command and exits with Stormglass's exit codes
    /// (0 ok, 1 a gate failed, 2 bad input, 130 interrupted).
    public static func main() {
        for p in policies { ScalingPolicies.register(p) }
        Stormglass.runMain(scenarios: scenarios)
    }
}
