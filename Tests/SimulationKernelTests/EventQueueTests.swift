import Testing
@testable import SimulationKernel

@Suite struct EventQueueTests {
    @Test func eventsRunInTimeOrderAndSameInstantEventsInSchedulingOrder() {
        var q = EventQueue<String>()
        q.schedule("c1", at: .seconds(3))
        q.schedule("a", at: .seconds(1))
        q.schedule("c2", at: .seconds(3))
        q.schedule("b", at: .seconds(2))
        q.schedule("c3", at: .seconds(3))
        var seen: [String] = []
        q.run { _, e in seen.append(e) }
        #expect(seen == ["a", "b", "c1", "c2", "c3"])
        #expect(q.now == .seconds(3))
    }

    @Test func manySameInstantEventsKeepFIFOOrderThroughTheHeap() {
        var q = EventQueue<Int>()
        var rng = RandomStream(seed: 7, name: "t")
        for i in 0..<2000 { q.schedule(i, at: SimTime(nanoseconds: Int64(rng.next() % 5))) }
        var lastTime = Int64.min, lastSeqAtTime = -1
        q.run { q, e in
            if q.now.nanoseconds != lastTime { lastTime = q.now.nanoseconds; lastSeqAtTime = -1 }
            #expect(e > lastSeqAtTime)
            lastSeqAtTime = e
        }
        #expect(q.processed == 2000)
    }

    @Test func cancelledEventsDoNotRun() {
        var q = EventQueue<Int>()
        let t1 = q.schedule(1, at: .seconds(1))
        q.schedule(2, at: .seconds(2))
        let t3 = q.schedule(3, at: .seconds(3))
        q.cancel(t1)
        q.cancel(t3)
        var seen: [Int] = []
        q.run { _, e in seen.append(e) }
        #expect(seen == [2])
    }

    @Test func runStopsAtTheHorizonAndAtAnEventCount() {
        var q = EventQueue<Int>()
        for i in 1...10 { q.schedule(i, at: .seconds(Double(i))) }
        var seen: [Int] = []
        q.run(until: .seconds(4.5)) { _, e in seen.append(e) }
        #expect(seen == [1, 2, 3, 4])
        #expect(q.now == .seconds(4.5))
        q.run(maxEvents: 3) { _, e in seen.append(e) }
        #expect(seen == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test func handlersCanScheduleFollowUpEvents() {
        var q = EventQueue<Int>()
        q.schedule(0, at: .zero)
        var count = 0
        q.run(until: .seconds(10)) { q, e in
            count += 1
            q.schedule(e + 1, after: .seconds(1))
        }
        #expect(count == 11)  // t = 0 … 10 inclusive
    }

    @Test func randomOrderInsertionsComeOutSorted() {
        var heap = EventHeap<Int>()
        var rng = RandomStream(seed: 3, name: "heap")
        for i in 0..<5000 { heap.insert(.init(time: Int64(rng.next() % 1000), sequence: UInt64(i), element: i)) }
        var last: (Int64, UInt64) = (.min, 0)
        var n = 0
        while let node = heap.removeMin(notAfter: .max) {
            #expect(node.time > last.0 || (node.time == last.0 && node.sequence > last.1))
            last = (node.time, node.sequence)
            n += 1
        }
        #expect(n == 5000)
    }

    @Test func durationsParseAndPrint() {
        #expect(SimDuration(parsing: "90s") == .seconds(90))
        #expect(SimDuration(parsing: "15m") == .minutes(15))
        #expect(SimDuration(parsing: "24h") == .hours(24))
        #expect(SimDuration(parsing: "1h30m") == .minutes(90))
        #expect(SimDuration(parsing: "250ms") == .milliseconds(250))
        #expect(SimDuration(parsing: "2d") == .days(2))
        #expect(SimDuration(parsing: "12") == .seconds(12))
        #expect(SimDuration(parsing: "abc") == nil)
        #expect(SimDuration(parsing: "5x") == nil)
        #expect(SimDuration(parsing: "") == nil)
        #expect(SimDuration.minutes(90).description == "1h30m")
        #expect(SimDuration.milliseconds(250).description == "250ms")
    }
}
