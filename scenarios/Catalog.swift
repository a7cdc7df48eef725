import ScenarioKit

/// The built-in scenarios, one file each in this folder. To add one, write a file with
/// `extension Scenarios { public static let myScenario = Scenario("my-scenario", "…") { … } }`
/// and list it below (a test checks that every scenario file is listed).
public enum Scenarios {
    public static let all: [Scenario] = [steadyDay, blackFriday, nodeCrash, latencyInjection, claimsBacklog, retryStorm, metricsOutage, probeCascade, largeShop]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }
}

/// The built-in scenarios where a `Scenario` is expected, as a package's own are written (`BasedOn(.nodeCrash)`,
/// what `stormglass search --swift` writes).
extension Scenario {
    public static var steadyDay: Scenario { Scenarios.steadyDay }
    public static var blackFriday: Scenario { Scenarios.blackFriday }
    public static var nodeCrash: Scenario { Scenarios.nodeCrash }
    public static var latencyInjection: Scenario { Scenarios.latencyInjection }
    public static var claimsBacklog: Scenario { Scenarios.claimsBacklog }
    public static var retryStorm: Scenario { Scenarios.retryStorm }
    public static var metricsOutage: Scenario { Scenarios.metricsOutage }
    public static var probeCascade: Scenario { Scenarios.probeCascade }
    public static var largeShop: Scenario { Scenarios.largeShop }
}
