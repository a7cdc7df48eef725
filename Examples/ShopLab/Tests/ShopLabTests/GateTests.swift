import ShopLab
import Stormglass
import Testing

/// The shop's resilience promises, judged as `shop-lab gate` judges them.
@Suite struct GateTests {
    @Test func theZoneOutageRecoversInFiveMinutes() throws {
        let check = try GateCheck(.zoneOutage, replications: 2)
        #expect(check.passed, "\(check)")
    }

    @Test func aRecoveryInTenSecondsIsBeyondIt() throws {
        let check = try GateCheck(.zoneOutage, replications: 1, adding: ["recovery <= 10s"])
        #expect(!check.passed)
        #expect(check.outcomes.last?.verdict == .failed)
    }
}
