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
            t.add([s.name, "\(spec.duration)", spec.services.map(\.name).joined(separator: ","), "\(spec.faults.count)", s.summary])
        }
        print(t.rendered)
    }
}
