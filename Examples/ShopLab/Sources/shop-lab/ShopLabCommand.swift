import ShopLab
import Stormglass

/// The whole Stormglass command line over this package's scenarios:
/// `swift run shop-lab gate checkout-surge --replications 5 --junit results/gates.xml`.
@main struct ShopLabCommand: StormglassCommand {
    static let scenarios: [Scenario] = [.checkoutSurge, .zoneOutage]
    static let policies: [any ScalingPolicy] = [HeadroomPolicy()]
}
