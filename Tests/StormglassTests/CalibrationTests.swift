import Calibration
import Foundation
import SimulationKernel
import Statistics
import Testing

/// The calibrator against histories drawn from known service models: work sampled from a gamma
/// distribution (the same draws a worker makes), Little's law at saturation, start-ups from a log.
@Suite struct CalibrationTests {
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, .infinity]

    /// A history of `light` scrapes at low load whose requests draw their latency from `work` (no queueing),
    /// then `saturated` scrapes where every one of `slots` per replica is busy and requests wait 5× the work.
    static func history(work: Distribution, mean: Double, slots: Int, light: Int = 60, saturated: Int = 10, seed: UInt64 = 7) -> ServiceHistory {
        var rng = RandomStream(seed: seed, name: "history")
        let step = 5.0
        var times: [Double] = [], columns: [ServiceHistory.Column: [Double]] = [:]
        func add(_ c: ServiceHistory.Column, _ v: Double) { columns[c, default: []].append(v) }
        for i in 0..<(light + saturated) {
            times.append(1_700_000_000 + Double(i) * step)
            let ready = 2.0
            if i < light {
                let rate = 2 + Double(i % 7)                       // 2…8 requests/s: a few % of 2 × slots ÷ mean
                let n = Int(rate * step)
                let latencies = (0..<n).map { _ in work.sample(&rng) }
                add(.rate, rate); add(.served, rate); add(.errors, 0); add(.ready, ready)
                add(.latencySum, latencies.reduce(0, +) / step); add(.latencyCount, Double(n) / step)
                for b in bounds { add(.init("le_" + (b.isInfinite ? "+Inf" : String(b))), Double(latencies.filter { $0 <= b }.count) / step) }
                add(.cpu, 0.02 + 0.004 * rate)
            } else {
                let served = Double(slots) * ready / mean          // every slot busy: throughput = slots ÷ work
                add(.rate, served * 1.3); add(.served, served); add(.errors, served * 0.3); add(.ready, ready)
                add(.latencySum, served * 6 * mean); add(.latencyCount, served)
                for b in bounds { add(.init("le_" + (b.isInfinite ? "+Inf" : String(b))), b >= 6 * mean ? served : 0) }
                add(.cpu, 0.02 + 0.004 * served)
            }
        }
        return ServiceHistory(times: times, columns: columns, origin: "synthetic")
    }

    @Test func incompleteGammaMatchesClosedForms() {
        // P(1, x) = 1 − e^−x; P(3, 2) = 1 − e^−2 (1 + 2 + 2); P(½, x) = erf(√x).
        for x in [0.1, 1, 3, 10] { #expect(abs(IncompleteGamma.regularized(1, x) - (1 - exp(-x))) < 1e-12) }
        #expect(abs(IncompleteGamma.regularized(3, 2) - 0.323_323_583_816_936_5) < 1e-12)
        for x in [0.2, 2, 8] { #expect(abs(IncompleteGamma.regularized(0.5, x) - erf(x.squareRoot())) < 1e-10) }
    }

    @Test(arguments: [(0.1, 1.0), (0.05, 0.5), (0.3, 0.6)])
    func theWorkAndSlotsAreRecoveredFromAHistoryDrawnFromThem(mean: Double, cv: Double) throws {
        let h = Self.history(work: .work(mean: mean, cv: cv), mean: mean, slots: 4)
        let seconds: [Double] = [2.1, 2.4, 1.9, 2.6, 2.2]
        var startUps: [ReplicaEvents.StartUp] = []
        for (k, s) in seconds.enumerated() { startUps.append(.init(replica: String(k), started: Double(k) * 100, ready: Double(k) * 100 + s)) }
        let events = ReplicaEvents(startUps: startUps)
        let model = Calibrator().calibrate(service: "api", history: h, events: events)
        let work = try #require(model.work, Comment(rawValue: model.refusals.joined(separator: "; ")))
        // Mean within 3 standard errors (and the error itself small): the sample's own truth.
        #expect(abs(work.mean.value - mean) <= 3 * work.mean.error + 1e-9 && work.mean.error < 0.1 * mean, "\(work.mean) vs \(mean)")
        #expect(abs(work.cv.value - cv) <= max(0.1 * cv, 3 * work.cv.error), "CV \(work.cv) vs \(cv)")
        #expect(work.family == "gamma")
        let slots = try #require(model.concurrency, Comment(rawValue: model.refusals.joined(separator: "; ")))
        #expect(abs(slots.value - 4) < 0.3, "\(slots)")
        // Saturated, a replica serves 4 ÷ mean requests/s that each spend 6 × mean in it: 24 inside, 4 of them in service.
        let queue = try #require(model.queueLimit)
        #expect(abs(queue.value - 20) < 0.5, "\(queue)")
        let cpu = try #require(model.cpu)
        #expect(abs(cpu.perRequest.value - 0.004) < 1e-6 && cpu.r2 > 0.999)
        let startup = try #require(model.startup)
        #expect(abs(startup.mean.value - 2.24) < 1e-9 && startup.observations == 5)
        #expect(model.refusals.isEmpty && model.missing.isEmpty)
    }

    @Test func aWorkNarrowerThanTheBucketsHasItsShapeRefusedAndGiven() throws {
        // 80 ms every time: every request in the (50 ms, 100 ms] bucket, so the histogram cannot tell a CV of 0 from 0.2.
        let h = Self.history(work: .constant(0.08), mean: 0.08, slots: 2)
        let refused = Calibrator().calibrate(service: "api", history: h, events: nil)
        #expect(refused.work == nil && refused.refusals.contains { $0.contains("buckets are too coarse around a mean of 80.0 ms") && $0.contains("--work-cv") })
        let given = Calibrator().calibrate(service: "api", history: h, events: nil, given: .init(workCV: 0))
        let work = try #require(given.work)
        #expect(work.family == "constant" && work.cv.source == .given && abs(work.mean.value - 0.08) < 1e-9)
        #expect(abs((given.concurrency?.value ?? 0) - 2) < 0.01)
    }

    @Test func whatTheDataCannotIdentifyIsRefusedInWords() throws {
        // Never saturated, no event log, constant load.
        var h = Self.history(work: .work(mean: 0.1, cv: 1), mean: 0.1, slots: 4, saturated: 0)
        h.columns[.cpu] = h.columns[.rate]!.map { _ in 0.3 }
        h.columns[.rate] = h.columns[.rate]!.map { _ in 5 }
        h.columns[.served] = h.columns[.rate]
        let model = Calibrator().calibrate(service: "api", history: h, events: nil)
        #expect(model.work != nil)
        #expect(model.concurrency == nil && model.refusals.contains { $0.hasPrefix("concurrency: never saturated") && $0.contains("give --concurrency") })
        #expect(model.startup == nil && model.refusals.contains { $0.hasPrefix("start-up: no event log") })
        #expect(model.cpu == nil && model.refusals.contains { $0.contains("the rate hardly varied") })
        #expect(model.missing.count == 2)
        // Given values take the refused parts' place.
        let given = Calibrator().calibrate(service: "api", history: h, events: nil, given: .init(concurrency: 4, startupSeconds: 3))
        #expect(given.missing.isEmpty && given.concurrency?.source == .given)
        // Nothing was turned away, so the queue is not known either; the scenario's stays (not a missing part).
        #expect(given.queueLimit == nil && given.refusals.contains { $0.hasPrefix("queue limit: requests were turned away in 0 scrapes") && $0.contains("give --queue-limit") })

        // Latency still rising at the lightest load: waiting cannot be told from work.
        var busy = Self.history(work: .constant(0.1), mean: 0.1, slots: 4, saturated: 0)
        let perReplica = zip(busy[.latencyCount]!, busy[.ready]!).map { $0 / $1 }
        busy.columns[.latencySum] = zip(busy[.latencyCount]!, perReplica).map { $0 * 0.1 * (1 + $1) }
        let refused = Calibrator().calibrate(service: "api", history: busy, events: nil)
        #expect(refused.work == nil && refused.refusals.contains { $0.hasPrefix("work: no low-load period") })
    }

    @Test func aHistoryRoundTripsThroughItsCSVAndBadFilesSayEveryProblem() throws {
        let h = Self.history(work: .constant(0.1), mean: 0.1, slots: 4, light: 8, saturated: 2)
        let back = try ServiceHistory.parse(h.csv, origin: "h.csv")
        #expect(back.times == h.times && back.columns.keys.sorted() == h.columns.keys.sorted())
        for (c, values) in h.columns { #expect(zip(values, back[c]!).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }, "\(c)") }
        let bad = "time,rate,rate,le_x\n1,2,3,4\n0,1,2\nx,-1,2,3\n"
        #expect(throws: CalibrationError.self) { try ServiceHistory.parse(bad, origin: "bad.csv") }
        do { _ = try ServiceHistory.parse(bad, origin: "bad.csv") } catch let e as CalibrationError {
            #expect(e.problems == ["bad.csv:1: column \"rate\" appears twice", "bad.csv:1: \"le_x\" is not a bucket bound (le_0.05, le_+Inf)"])
        }
        do { _ = try ServiceHistory.parse("time,rate\n1,2\n0,1,2\n1,x\n", origin: "b.csv") } catch let e as CalibrationError {
            #expect(e.problems == ["b.csv:3: 3 cells where the header has 2", "b.csv:4: time 1 is not after the row before (1)", "b.csv:4: rate \"x\" is not a number ≥ 0"])
        }
    }

    @Test func validationMeasuresMAPEBiasAndTimingAgainstHandComputedFigures() {
        // Real: ready 1,1,2,2,3 at 5 s steps; simulated: 1,2,2,2,2 (a scale-up 5 s early, one never made).
        let times = (0..<5).map { 100 + Double($0) * 5 }
        var h = ServiceHistory(times: times, columns: [.ready: [1, 1, 2, 2, 3], .rate: [10, 10, 10, 10, 10], .served: [10, 10, 10, 10, 10],
                                                       .errors: [0, 0, 0, 0, 0], .latencySum: [1, 1, 1, 1, 1], .latencyCount: [10, 10, 10, 10, 10]],
                               origin: "h")
        h.columns[.p95] = [0.2, 0.2, 0.2, 0.2, 0.2]
        let sim = [1.0, 2, 2, 2, 2].enumerated().map { k, r in
            SimulatedScrape(time: Double(k + 1) * 5, ready: r, p50: 0.1, p95: 0.22, p99: 0.3, busy: 0.5, served: 50, errors: 0, arrivals: 50, replicaSeconds: r * 5)
        }
        var t = ValidationTolerances(); t.minimumRequests = 10
        let v = ModelValidation(history: h, simulated: sim, deaths: [], workMean: 0.1, tolerances: t, offset: 5)
        let replicas = v.rows.first { $0.metric == "replicas" }!
        // |2−1|/1 at the second scrape, |2−3|/3 at the last: (1 + 1/3) / 5.
        #expect(abs(replicas.mape! - (1 + 1.0 / 3) / 5) < 1e-12 && replicas.passed == false)
        #expect(abs(replicas.bias! - (9.0 / 9 - 1)) < 1e-12)
        let p95 = v.rows.first { $0.metric == "p95" && $0.regime == "unsaturated" }!
        #expect(abs(p95.mape! - 0.1) < 1e-12 && p95.passed == true)
        #expect(v.timings.map(\.event) == ["scale-up to 2", "scale-up to 3"])
        #expect(v.timings[0].error == -5 && v.timings[0].passed && v.timings[1].simulated == nil && !v.timings[1].passed)
        #expect(!v.passed)
    }
}

extension CalibrationTests {
    @Test func theSwiftSnippetKeepsTextFromFilesInsideItsComments() {
        var model = CalibratedModel(service: "api")
        model.data = ["origin": "h.csv\nfatalError()\r\u{2028}exit(1)", "scrapes": "3"]
        model.refusals = ["concurrency: x\ny()"]
        let lines = model.swiftSnippet.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("// ") }, "\(lines)")
    }
}
