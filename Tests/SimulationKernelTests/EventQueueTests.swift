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

    @Test func laneEventsInterleaveWithHeapEventsExactlyAsOneHeapWould() {
        // Lane 0 and 1 are self-rescheduling sources; the rest goes to the heap. Times on a coarse
        // grid force many ties, which must resolve by scheduling order in both queues.
        var rng = RandomStream(seed: 11, name: "lanes")
        var plain = EventQueue<Int>(), laned = EventQueue<Int>()
        var id = 0
        for lane in 0..<2 {
            let t = SimTime(nanoseconds: Int64(rng.next() % 4))
            plain.schedule(id, at: t); laned.schedule(id, at: t, lane: lane); id += 1
        }
        var fromPlain: [(Int, SimTime)] = [], fromLaned: [(Int, SimTime)] = []
        var laneOf: [Int: Int] = [0: 0, 1: 1]
        for _ in 0..<5000 {
            guard let a = plain.next(notAfter: .seconds(1e6)), let b = laned.next(notAfter: .seconds(1e6)) else { break }
            fromPlain.append((a, plain.now)); fromLaned.append((b, laned.now))
            // Follow-ups: the same random choices for both queues, driven by what the plain queue popped.
            let gap = Int64(rng.next() % 4)
            let t = SimTime(nanoseconds: plain.now.nanoseconds + gap)
            if let lane = laneOf[a] {
                plain.schedule(id, at: t); laned.schedule(id, at: t, lane: lane); laneOf[id] = lane
            } else {
                plain.schedule(id, at: t); laned.schedule(id, at: t)
            }
            id += 1
            if rng.next() % 3 == 0 {
                let t2 = SimTime(nanoseconds: plain.now.nanoseconds + Int64(rng.next() % 4))
                plain.schedule(id, at: t2); laned.schedule(id, at: t2); id += 1
            }
        }
        #expect(fromPlain.count == 5000)
        #expect(fromPlain.map(\.0) == fromLaned.map(\.0))
        #expect(fromPlain.map(\.1) == fromLaned.map(\.1))
        #expect(plain.processed == laned.processed)
    }

    @Test func aCancelledLaneEventDoesNotRunAndFreesItsLane() {
        var q = EventQueue<String>()
        let token = q.schedule("arrival", at: .seconds(1), lane: 0)
        q.schedule("work", at: .seconds(2))
        q.cancel(token)
        #expect(q.peekTime() == .seconds(2))
        #expect(!q.isOccupied(lane: 0))
        q.schedule("next arrival", at: .seconds(3), lane: 0)
        var seen: [String] = []
        q.run { _, e in seen.append(e) }
        #expect(seen == ["work", "next arrival"])
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
