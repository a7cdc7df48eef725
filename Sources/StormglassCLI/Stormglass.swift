import Telemetry
import Lab
import Charts
import ArgumentParser
import Foundation
import SimulationKernel
import Recorder
import ScenarioKit

/// The `stormglass` command, and every user's `StormglassCommand`: the same verbs over the scenarios in
/// `ScenarioCatalog`, under the name the executable was started by.
public struct Stormglass: ParsableCommand {
    /// The executable's name, for usage lines and help (`stormglass`, `shop-lab`).
    public static var commandName: String {
        get { CommandName.current }
        set { CommandName.current = newValue }
    }

    public static var configuration: CommandConfiguration { CommandConfiguration(
        commandName: commandName,
        abstract: "Discrete-event simulation and chaos lab for predictive autoscaling.",
        version: toolVersion,
        subcommands: [List.self, Run.self, Compare.self, Replay.self, GateCommand.self, Sweep.self, Search.self, Plan.self, Merge.self, Show.self, Report.self, Export.self, Plot.self, Forecast.self, Detect.self, League.self, FidelityCommand.self, Shadow.self, Control.self, TestbedCommand.self, Calibrate.self, Validate.self, Bench.self, BenchMemory.self]) }

    public init() {}

    /// Entry point with Stormglass's exit codes: 0 ok, 1 a gate failed, 2 bad input, 130 interrupted.
    public static func runMain(_ arguments: [String]? = nil, scenarios: [Scenario]) -> Never {
        ScenarioCatalog.all = scenarios
        if let name = CommandLine.arguments.first.map({ ($0 as NSString).lastPathComponent }), !name.isEmpty {
            commandName = name
        }
        Interrupt.install()
        Interrupt.beforeExit = { Gnuplot.killRunning() }
        Foundation.exit(execute(arguments))
    }

    /// Parses and runs a command, returning its exit code instead of exiting (so tests can call it).
    public static func execute(_ arguments: [String]?) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return (Interrupt.isRequested ? ExitCode.interrupted : .success).rawValue
        } catch let error where Interrupt.isRequested && !(error is ExitCode) {
            // Whatever failed after a stop was asked for (a read cut short, a run stopped early) failed
            // because of it: exit 130, not bad input.
            return ExitCode.interrupted.rawValue
        } catch let e as UserFacingError {
            printError("error: \(e.description)")
            return e.exitCode.rawValue
        } catch is Interrupted, is StopRequested, is Cancelled {
            return ExitCode.interrupted.rawValue
        } catch let e as ExitCode {
            return e.rawValue
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 0 {
                print(fullMessage(for: error))  // --help, --version
                return ExitCode.success.rawValue
            }
            let message = fullMessage(for: error)
            printError("\(message.lowercased().hasPrefix("error") ? "" : "error: ")\(message)")
            // Usage errors (unknown option, missing argument …) are bad input too.
            return ExitCode.badInput.rawValue
        }
    }
}
