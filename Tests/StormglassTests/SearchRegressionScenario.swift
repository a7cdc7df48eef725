import Stormglass

extension Scenario {
    /// Found by a search of 100 runs (search seed 1); regenerate with this test.
    public static let stabilizationTrapRegression = Scenario("stabilization-trap-regression", "stabilization-trap, as a search broke it: slo-violation > 3m") {
        BasedOn(.stabilizationTrap)
        Override("faults.dip.start", "1h8m22s")
        Override("faults.kill.enabled", "false")
        Override("faults.slow.enabled", "false")
        Gates("slo-violation <= 3m")
    }
}
