import ClusterModel
import ControlPlane
import Foundation
import ScenarioKit
import SimulationKernel

/// Does the cost of an event grow with the size of the model? The same 10,000 external requests/s
/// through models of very different shapes, each a whole run (simulation, scrapes every 15 s, the
/// control plane with an HPA per service, no recording), in events per wall-clock second.
extension Benchmarks {
    /// The shapes `stormglass bench --only scale` runs.
    public enum ScaleShape: String, Sendable, CaseIterable {
        /// One service on 40 replicas × 8 slots: the single-service reference.
        case single
        /// 200 services × 50 requests/s, 2 replicas × 4 slots each.
        case services200 = "200-services"
        /// One service on 800 one-slot replicas, least-outstanding routing.
        case replicas800 = "800-replicas"
        /// 1,000 services in 250 call chains of depth 4, 40 requests/s into each chain's head.
        case chains1000 = "1000-services-depth-4"
    }

    /// The scenario for one shape; `minutes` simulated.
    public static func scaleScenario(_ shape: ScaleShape, minutes: Double) -> ScenarioSpec {
        let work = Distribution.lognormal(median: 0.020, p99: 0.080)
        return Scenario("scale-\(shape.rawValue)", "Scale benchmark: \(shape.rawValue) at 10,000 requests/s") {
            RunFor(.minutes(minutes))
            NodePool("general", count: 64, cpuMillicores: 64000, memoryMiB: 262_144)
            switch shape {
            case .single:
                scaleService("web", replicas: 40, max: 200, slots: 8, work: work)
                Traffic(to: "web", rate: 10_000)
            case .services200:
                for i in 0..<200 {
                    scaleService("svc-\(i)", replicas: 2, max: 20, slots: 4, work: work)
                    Traffic(to: "svc-\(i)", rate: 50)
                }
            case .replicas800:
                scaleService("web", replicas: 800, max: 1600, slots: 1, work: .lognormal(median: 0.040, p99: 0.150))
                Traffic(to: "web", rate: 10_000)
            case .chains1000:
                for chain in 0..<250 {
                    for depth in 0..<4 {
                        scaleService("c\(chain)-\(depth)", replicas: 2, max: 20, slots: 8, work: .lognormal(median: 0.005, p99: 0.020),
                                     calls: depth < 3 ? "c\(chain)-\(depth + 1)" : nil)
                    }
                    Traffic(to: "c\(chain)-0", rate: 40)
                }
            }
        }.spec
    }

    /// One service of a scale shape: an HPA on CPU, at least 2 replicas.
    static func scaleService(_ name: String, replicas: Int, max: Int, slots: Int, work: Distribution, calls: String? = nil) -> Service {
        Service(name) {
            Replicas(replicas, min: 2, max: max)
            Concurrency(slots)
            ServiceTime(work)
            Resources(cpuMillicores: 100, memoryMiB: 64)
            if let calls { Calls(calls) }
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
    }

    /// Events per second of each shape (the best of `repeats` runs), and each against the
    /// single-service reference: the median over rounds of the ratio within a round, each round
    /// running every shape once in turn, so that the machine's drift hits a pair alike.
    public static func scale(minutes: Double = Double(ProcessInfo.processInfo.environment["STORMGLASS_BENCH_MINUTES"] ?? "20") ?? 20,
                             shapes: [ScaleShape] = ScaleShape.allCases,
                             repeats: Int = Int(ProcessInfo.processInfo.environment["STORMGLASS_BENCH_REPEATS"] ?? "5") ?? 5) throws -> [Figure] {
        var best: [ScaleShape: Double] = [:]
        var ratios: [ScaleShape: [Double]] = [:]
        let all = shapes.contains(.single) ? shapes : [.single] + shapes
        for _ in 0..<repeats {
            var round: [ScaleShape: Double] = [:]
            for shape in all {
                let result = try ScenarioRunner(spec: scaleScenario(shape, minutes: minutes), seed: 1).run()
                round[shape] = Double(result.events) / result.wallSeconds
                best[shape] = max(best[shape] ?? 0, round[shape]!)
            }
            for shape in all where shape != .single { ratios[shape, default: []].append(round[shape]! / round[.single]!) }
        }
        var out: [Figure] = []
        for shape in all {
            let name = "scale_\(shape.rawValue.replacingOccurrences(of: "-", with: "_"))"
            out.append(Figure(name: "\(name)_events_per_second", value: best[shape]!, unit: "events/s"))
            if let r = ratios[shape]?.sorted() {
                out.append(Figure(name: "\(name)_vs_single_percent", value: r[r.count / 2] * 100, unit: "%"))
            }
        }
        return out
    }

    /// Peak resident memory of one run of a shape (call in a fresh process).
    public static func peakMemoryOfScaleRun(_ shape: ScaleShape, minutes: Double) throws -> Double {
        _ = try ScenarioRunner(spec: scaleScenario(shape, minutes: minutes), seed: 1).run()
        return peakResidentMiB()
    }
}
