import Stormglass

extension Scenario {
    /// The shop's lunchtime promotion: traffic quadruples in three minutes on a checkout that calls
    /// payments, both scaled by the HPA the shop runs in production.
    public static let checkoutSurge = Scenario("checkout-surge", "Checkout traffic quadruples in three minutes; HPA on CPU 60 %") {
        RunFor(.hours(2))
        NodePool("general", count: 4, cpuMillicores: 8000, memoryMiB: 32768, pricePerHour: 0.40)
        Service("checkout") {
            Replicas(4, min: 2, max: 40)
            Concurrency(8)
            Resources(cpuMillicores: 500, memoryMiB: 512)
            ServiceTime(.lognormal(median: 0.040, p99: 0.200))
            Startup(.lognormal(median: 60, p99: 120))
            Calls("payments")
            SLO(p95: .milliseconds(400), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
        Service("payments") {
            Replicas(3, min: 2, max: 30)
            Concurrency(16)
            ServiceTime(.lognormal(median: 0.060, p99: 0.250))
            Startup(.lognormal(median: 30, p99: 60))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
        Traffic(to: "checkout", rate: 60) {
            Surge(at: .minutes(40), multiplier: 4, rampUp: .minutes(3), hold: .minutes(30), decay: .minutes(10))
            Noise(sigma: 0.05)
        }
        Gates("slo-violation <= 10m", "availability >= 99%")
    }

    /// One of three zones goes dark for fifteen minutes while the product catalogue's cache is cold
    /// (the shop's own fault kind, `CacheStampede`).
    public static let zoneOutage = Scenario("zone-outage", "Zone b goes dark for 15 minutes while the catalogue cache stampedes") {
        RunFor(.minutes(45))
        NodePool("general", count: 6, cpuMillicores: 8000, memoryMiB: 32768, zones: ["a", "b", "c"], pricePerHour: 0.40)
        Service("catalog") {
            Replicas(9, min: 9, max: 30)
            Concurrency(4)
            Resources(cpuMillicores: 1000, memoryMiB: 1024)
            ServiceTime(.lognormal(median: 0.030, p99: 0.120))
            Startup(.lognormal(median: 30, p99: 60))
            SLO(p95: .milliseconds(250), errorRate: 0.01)
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
        Traffic(to: "catalog", rate: 600) { Noise(sigma: 0.05) }
        Chaos {
            Fault.zoneOutage("b", at: .minutes(20), for: .minutes(15))
            Fault(CacheStampede(slowdown: 2, missFraction: 0.002), on: .service("catalog"), at: .minutes(20), for: .minutes(10))
        }
        Gates("recovery <= 5m", "availability >= 99%")
    }
}
