import Scenarios
import Stormglass

/// `stormglass`: the command line over the built-in scenarios.
@main struct StormglassTool: StormglassCommand {
    static let scenarios = Scenarios.all
}
