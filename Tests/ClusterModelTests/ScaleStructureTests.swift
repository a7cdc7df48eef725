import PropertyBased
import SimulationKernel
import Testing
@testable import ClusterModel

/// The structures that keep per-event work independent of the model's size, checked against the
/// obvious linear scans they replace, on random operation sequences.
@Suite struct ScaleStructureTests {
    /// Operations on a set of streams: (stream, time) — each sets that stream's next arrival.
    static let arrivalOps = zip(Gen.int(in: 1...300), Gen.int(in: 0...299).array(of: 1...400), Gen.int(in: 0...50).array(of: 400))

    @Test func theTournamentTreeAlwaysHoldsTheEarliestArrival() async {
        await propertyCheck(count: 200, input: Self.arrivalOps) { input in
            let (streams, which, times) = input
            var tree = NextArrivals()
            var linear = Array(repeating: NextArrivals.Arrival(), count: streams)
            var sequence: UInt64 = 0
            // Every stream gets a first arrival, in order, as a world does at time 0.
            for s in 0..<streams {
                sequence += 1
                tree.set(s, time: Int64(times[s % times.count]), sequence: sequence)
                linear[s] = .init(time: Int64(times[s % times.count]), sequence: sequence, stream: s)
            }
            for (k, w) in which.enumerated() {
                let s = w % streams
                sequence += 1
                // Some streams end (time .max); ties in time are common (times 0…50), so the
                // sequence must decide them.
                let time = k % 17 == 16 ? Int64.max : Int64(times[k % times.count] + k)
                tree.set(s, time: time, sequence: time == .max ? .max : sequence)
                linear[s] = .init(time: time, sequence: time == .max ? .max : sequence, stream: s)
                let expected = linear.min { ($0.time, $0.sequence) < ($1.time, $1.sequence) }!
                let got = tree.earliest
                if expected.time == .max {
                    #expect(got.time == .max)
                } else {
                    #expect(got.time == expected.time && got.sequence == expected.sequence && got.stream == expected.stream)
                }
            }
        }
    }

    /// Operations on replicas 0…39: 0 insert, 1 remove, 2…5 load +1/−1 (more often than jumps), 6 a jump.
    static let indexOps = zip(Gen.int(in: 0...39).array(of: 1...500), Gen.int(in: 0...6).array(of: 500), Gen.int(in: 0...30).array(of: 500))

    @Test func theLeastLoadedIndexAgreesWithAScan() async {
        await propertyCheck(count: 200, input: Self.indexOps) { input in
            let (replicas, kinds, jumps) = input
            var index = LeastLoadedIndex()
            var load: [Int32?] = Array(repeating: nil, count: 40)
            for (k, r) in replicas.enumerated() {
                let replica = Int32(r)
                switch kinds[k] {
                case 0 where load[r] == nil:
                    load[r] = Int32(jumps[k]); index.insert(replica, load: Int32(jumps[k]))
                case 1:
                    load[r] = nil; index.remove(replica)
                case 2...3 where load[r] != nil:
                    load[r]! += 1; index.update(replica, load: load[r]!)
                case 4...5 where load[r] != nil && load[r]! > 0:
                    load[r]! -= 1; index.update(replica, load: load[r]!)
                case 6 where load[r] != nil:
                    load[r] = Int32(jumps[k]); index.update(replica, load: load[r]!)
                default:
                    break
                }
                #expect(index.structuralProblems().isEmpty, "\(index.structuralProblems())")
                let routable = load.compactMap { $0 }
                #expect(index.count == routable.count)
                if let least = index.leastLoaded {
                    #expect(load[Int(least)] == routable.min(), "picked load \(String(describing: load[Int(least)])), least is \(routable.min()!)")
                } else {
                    #expect(routable.isEmpty)
                }
            }
        }
    }

    @Test func tiesRotateThroughTheReplicas() {
        // Five idle replicas: each pick takes the one idle longest, so five requests that each
        // finish before the next arrives still visit every replica in turn.
        var index = LeastLoadedIndex()
        for r in 0..<5 { index.insert(Int32(r), load: 0) }
        var visited: [Int32] = []
        for _ in 0..<10 {
            let r = index.leastLoaded!
            visited.append(r)
            index.update(r, load: 1)
            index.update(r, load: 0)
        }
        #expect(visited == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    }

    @Test func eightHundredReplicasAndTwoHundredStreamsKeepEveryInvariant() {
        // Least-outstanding routing over 800 replicas at 90 % utilization, and 200 traffic streams
        // into 200 services: requests are conserved, the load index matches every replica, and
        // utilization is λ·E[S]/slots.
        let big = ServiceSpec(name: "big", replicas: 800, concurrency: 1, cpuMillicores: 10, memoryMiB: 8,
                              serviceTime: .exponential(mean: 0.09), queueCapacity: 100, timeout: nil)
        var small: [ServiceSpec] = [], traffic = [TrafficSpec(service: "big", source: .constant(8000))]
        for i in 0..<200 {
            small.append(ServiceSpec(name: "s\(i)", replicas: 2, concurrency: 2, cpuMillicores: 10, memoryMiB: 8,
                                     serviceTime: .exponential(mean: 0.01), queueCapacity: 100, timeout: nil))
            traffic.append(TrafficSpec(service: "s\(i)", source: .constant(20)))
        }
        let spec = ClusterSpec(pools: [NodePoolSpec(name: "p", count: 4, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                               services: [big] + small, traffic: traffic)
        var sim = ClusterSimulation(spec: spec, seed: 11)
        sim.run(until: .seconds(60))
        _ = sim.scrape()
        sim.run(until: .seconds(360))
        let scrape = sim.scrape()
        expectConservation(sim, "6 minutes")
        // 8000/s × 0.09 s = 720 busy of 800.
        #expect(abs(scrape.services[0].cpuUtilization - 0.9) < 0.02, "utilization \(scrape.services[0].cpuUtilization)")
        // Every small service saw its own 20/s (Poisson: 6000 ± 4·√6000 over 300 s).
        for s in scrape.services.dropFirst() {
            #expect(abs(Double(s.arrivals) - 6000) < 4 * 6000.0.squareRoot(), "\(s.service): \(s.arrivals) arrivals")
        }
    }
}
