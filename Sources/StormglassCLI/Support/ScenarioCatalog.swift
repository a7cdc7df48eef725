import Foundation
import ScenarioKit

/// The scenarios the commands can run: the built-in ones for `stormglass`, a user's own for their
/// `StormglassCommand`. Set once by the entry point before any command runs.
public enum ScenarioCatalog {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed: [Scenario] = []

    public static var all: [Scenario] {
        get { lock.lock(); defer { lock.unlock() }; return installed }
        set { lock.lock(); defer { lock.unlock() }; installed = newValue }
    }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// The scenario by name, or an error that lists the known ones (with a "did you mean").
    static func require(_ name: String) throws -> Scenario {
        if let s = named(name) { return s }
        let names = all.map(\.name)
        throw InputError("unknown scenario \"\(name)\"" + suggestion(name, names) + "; known: " + (names.isEmpty ? "none" : names.joined(separator: ", ")))
    }
}
