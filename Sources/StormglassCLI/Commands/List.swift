import Reports
import ArgumentParser
import ScenarioKit

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the scenarios, or one scenario's parameters.")

    @Option(name: .customLong("parameters"), help: "Show the parameters of this scenario (for --set and sweeps).")
    var parametersOf: String?

    func run() throws {
        if let name = parametersOf {
            let s = try ScenarioCatalog.require(name)
            let spec = s.spec
            var t = TextTable(["parameter", "value", "meaning"])
            for p in spec.parameters { t.add([p.key, p.value(in: spec), p.help]) }
            print(t.rendered)
            return
        }
        var t = TextTable(["scenario", "duration", "services", "faults", "description"])
        for s in ScenarioCatalog.all {
            let spec = s.spec
            t.add([s.name, "\(spec.duration)", Self.serviceList(spec.services.map(\.name)), "\(spec.faults.count)", s.summary])
        }
        print(t.rendered)
    }

    /// A large model's services would fill the screen: name a few, count the rest.
    static func serviceList(_ names: [String]) -> String {
        guard names.count > 4 else { return names.joined(separator: ",") }
        return "\(names.count) services (\(names.prefix(2).joined(separator: ",")), …)"
    }
}
