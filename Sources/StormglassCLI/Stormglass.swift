import ArgumentParser
import Foundation

/// The `stormglass` command.
public struct Stormglass: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stormglass",
        abstract: "Discrete-event simulation and chaos lab for predictive autoscaling.",
        version: toolVersion,
        subcommands: [List.self, Run.self, Show.self, Export.self, Plot.self, Bench.self, BenchMemory.self])

    public init() {}

    /// Entry point with Stormglass's exit codes: 0 ok, 1 a gate failed, 2 bad input, 130 interrupted.
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        Interrupt.install()
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(Interrupt.isRequested ? Exit.interrupted : Exit.ok)
        } catch let e as InputError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            Foundation.exit(Exit.badInput)
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 0 {
                // --help / --version
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data("\(message.hasPrefix("Error") || message.hasPrefix("error") ? "" : "error: ")\(message)\n".utf8))
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? Exit.badInput : Exit.badInput)
        }
    }
}
