import ControlPlane
import ClusterModel
import ScenarioKit
import SimulationKernel

extension Scenarios {
    /// A shop of 251 services at 50,000 requests/s on average (75,000 at the evening peak), in the
    /// fluid fidelity: 50 public APIs, each calling a shared `auth` and two domain services of its
    /// own, each domain service calling a store; a flash sale surges ten of the APIs 2.5× at 18:00,
    /// and zone-b goes down for 30 minutes at 12:00. Every service scales on CPU with the HPA; the
    /// cluster autoscaler adds nodes. `--fidelity request` runs the same shop request by request
    /// (about 300,000 service visits per simulated second: plan hours for a day).
    public static let largeShop = shop()

    /// The large shop's generator: `apis` public APIs (5 services each, plus `auth`), `rate`
    /// requests/s per API on average, the surge and the zone outage at the given instants. The
    /// built-in `large-shop` is the default; tests and the README's fidelity check use smaller or
    /// shorter ones.
    public static func shop(name: String = "large-shop", apis: Int = 50, rate: Double = 1000, duration: SimDuration = .hours(24),
                                 surgeAt: SimDuration = .hours(18), outageAt: SimDuration = .hours(12),
                                 dailyCyclePeak: SimDuration = .hours(20)) -> Scenario {
        // Mean holding time of a slot per call (own work plus calls), for sizing at 60 % busy.
        let apiWork = Distribution.lognormal(median: 0.004, p99: 0.020)
        let authWork = Distribution.lognormal(median: 0.003, p99: 0.012)
        let domainWork = Distribution.lognormal(median: 0.008, p99: 0.040)
        let storeWork = Distribution.lognormal(median: 0.005, p99: 0.030)
        func replicas(rate: Double, hold: Double, concurrency: Int) -> Int { max(2, Int((rate * hold / (Double(concurrency) * 0.6)).rounded(.up))) }
        let domainHold = domainWork.mean + storeWork.mean
        let apiHold = apiWork.mean + authWork.mean + 2 * domainHold
        func apiRate(_ k: Int) -> Double { rate * (0.5 + 0.25 * Double(k % 5)) }
        let totalRate = (0..<apis).reduce(0) { $0 + apiRate($1) }
        let nodes = max(6, Int((totalRate / 50_000 * 30).rounded(.up)))

        return Scenario(name, "\(5 * apis + 1) services at \(Int(totalRate)) requests/s, a flash sale and a zone outage (fluid)") {
            RunFor(duration)
            Fidelity(.fluid)
            // Forecasts of 251 arrival rates every scrape would be most of the run's time; a
            // predictive policy (`--set policy=predictive`) turns the predictor back on.
            Predict(enabled: false)
            NodePool("general", count: nodes, cpuMillicores: 16000, memoryMiB: 65536, zones: ["zone-a", "zone-b", "zone-c"],
                     pricePerHour: 0.80, startup: .lognormal(median: 90, p99: 180))
            ClusterAutoscaling(pool: "general", minNodes: nodes, maxNodes: nodes * 3)
            Service("auth") {
                Replicas(replicas(rate: totalRate, hold: authWork.mean, concurrency: 16), min: 2, max: 400)
                Concurrency(16)
                ServiceTime(authWork)
                Startup(.lognormal(median: 20, p99: 60))
                SLO(p95: .milliseconds(50), errorRate: 0.01)
                Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
            }
            for k in 0..<apis {
                Service("api-\(k)") {
                    Replicas(replicas(rate: apiRate(k), hold: apiHold, concurrency: 16), min: 2, max: 200)
                    Concurrency(16)
                    ServiceTime(apiWork)
                    Startup(.lognormal(median: 30, p99: 90))
                    Calls("auth", "domain-\(2 * k)", "domain-\(2 * k + 1)")
                    SLO(p95: .milliseconds(300), errorRate: 0.01)
                    Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
                }
                for d in [2 * k, 2 * k + 1] {
                    Service("domain-\(d)") {
                        Replicas(replicas(rate: apiRate(k), hold: domainHold, concurrency: 16), min: 2, max: 200)
                        Concurrency(16)
                        ServiceTime(domainWork)
                        Startup(.lognormal(median: 30, p99: 90))
                        Calls("store-\(d)")
                        SLO(p95: .milliseconds(200), errorRate: 0.01)
                        Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
                    }
                    Service("store-\(d)") {
                        Replicas(replicas(rate: apiRate(k), hold: storeWork.mean, concurrency: 8), min: 2, max: 200)
                        Concurrency(8)
                        ServiceTime(storeWork)
                        Startup(.lognormal(median: 45, p99: 120))
                        SLO(p95: .milliseconds(100), errorRate: 0.01)
                        Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
                    }
                }
                Traffic(to: "api-\(k)", rate: apiRate(k)) {
                    DailyCycle(amplitude: 0.5, peakAt: dailyCyclePeak)
                    if k % 5 == 0 {
                        Surge(at: surgeAt, multiplier: 2.5, rampUp: .minutes(15), hold: .hours(1), decay: .minutes(30))
                    }
                    Noise(sigma: 0.05)
                }
            }
            Chaos {
                Fault.zoneOutage("zone-b", at: outageAt, for: .minutes(30))
            }
        }
    }
}
