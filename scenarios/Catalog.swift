import ScenarioKit

/// The built-in scenarios, one file each in this folder. To add one, write a file with
/// `extension Scenarios { public static let myScenario = Scenario("my-scenario", "…") { … } }`
/// and list it below (a test checks that every scenario file is listed).
public enum Scenarios {
    public static let all: [Scenario] = [steadyDay, blackFriday, nodeCrash, latencyInjection, claimsBacklog, retryStorm, metricsOutage, probeCascade, largeShop]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }
}
