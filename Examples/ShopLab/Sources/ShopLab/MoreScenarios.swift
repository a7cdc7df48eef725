import Stormglass

// Scenarios the documentation walks through. They are compiled with the package (so the
// documentation's code compiles) but not listed in the command.
extension Scenario {
    public static let flashSale = Scenario("flash-sale", "A link on a front page triples traffic in a minute") {
        RunFor(.hours(6))
        NodePool("general", count: 8, cpuMillicores: 8000, memoryMiB: 32768, pricePerHour: 0.40)
        Service("shop") {
            Replicas(6, min: 2, max: 40)
            Concurrency(8)                                  // worker slots per replica
            ServiceTime(.lognormal(median: 0.040, p99: 0.200))
            Startup(.lognormal(median: 45, p99: 120))       // replica start-up latency, seconds
            Calls("inventory")                              // synchronous downstream call
            SLO(p95: .milliseconds(300), errorRate: 0.01)
        }
        Service("inventory") { Replicas(4); ServiceTime(.exponential(mean: 0.02)) }
        Traffic(to: "shop", rate: 120) {
            DailyCycle(amplitude: 0.5, peakAt: .hours(20))
            FlashCrowd(at: .hours(2), multiplier: 3, halfLife: .minutes(20))
            Noise(sigma: 0.05)
        }
        Chaos {
            Fault.crash(.randomNodes(count: 1), at: .hours(3))
            Fault.latency(.service("inventory"), fixed: .milliseconds(200), at: .hours(4), for: .minutes(15))
        }
    }

    /// Rules: Swift closures over what the control plane sees, highest priority first.
    public static let ruledShop = Scenario("ruled-shop", "The shop scaled by rules") {
        RunFor(.hours(2))
        NodePool("general", count: 4)
        Service("shop") {
            Replicas(4, min: 2, max: 40)
            Autoscale(.rules(RuleSet([
                Rule("queue exploding", priority: 10, factor: 2, cooldown: 60, max: 40) { $0.queueGrowthPerSecond > 5 },
                Rule("surge ahead", priority: 5, factor: 1.5) { ctx in (ctx.forecastRate(300) ?? 0) > 1.3 * ctx.sample.arrivalRate },
                Rule("idle", priority: 1, factor: 0.5, min: 2) { $0.queueDepth == 0 && $0.cpu < 10 },
            ])))
        }
        Traffic(to: "shop", rate: 100) { Shape(LunchPeak()) }
        Predict(models: [ForecasterModel("same-time-yesterday") { step in SameTimeYesterday(step: step) }])
    }

    /// A service read from the manifests the shop deploys; the rest stays Swift.
    public static let deployedCheckout = Scenario("deployed-checkout", "Checkout as its manifests describe it") {
        NodePool("general", count: 4)
        Service("checkout") {
            Kubernetes(deployment: "k8s/checkout.yaml", autoscaler: "k8s/checkout-hpa.yaml")
            ServiceTime(.lognormal(median: 0.040, p99: 0.200))
        }
        Traffic(to: "checkout", rate: 50)
    }
}
