import ArgumentParser
import Charts
import ClusterModel
import Kubernetes
import Lab
import LiveControl
import LiveMetrics
import Recorder
import ScenarioKit
import SimulationKernel
import Testbed

/// An error whose words are for the person at the command line: `Stormglass.execute` prints
/// `error: <description>` and exits with `exitCode`, in that one place. Bad input (exit 2) unless the
/// error says otherwise.
public protocol UserFacingError: Error, CustomStringConvertible {
    var exitCode: ExitCode { get }
}

extension UserFacingError {
    public var exitCode: ExitCode { .badInput }
}

/// The process exit codes Stormglass promises (0 is `ExitCode.success`).
extension ExitCode {
    /// A gate did not hold.
    public static let gateFailed = ExitCode(1)
    /// Bad input: a file, an option, a scenario, a database; the message says which and why.
    public static let badInput = ExitCode(2)
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
    public static let interrupted = ExitCode(130)
}

/// Bad input found by the command line itself.
struct InputError: UserFacingError {
    var description: String
    init(_ description: String) { self.description = description }
}

// The library's errors that describe bad input in the user's words.
extension StoreError: UserFacingError {}
extension InvalidInput: UserFacingError {}
extension ParameterError: UserFacingError {}
extension GateError: UserFacingError {}
extension InvalidScenario: UserFacingError {}
extension TraceError: UserFacingError {}
extension ReplayProblems: UserFacingError {}
extension ManifestError: UserFacingError {}
extension ChartError: UserFacingError {}
extension PrometheusError: UserFacingError {}
extension RangeError: UserFacingError {}
extension CredentialsError: UserFacingError {}
extension TestbedError: UserFacingError {}
extension LiveSessionError: UserFacingError {}
extension BacklogOverflow: UserFacingError {}
