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

    @Test func outsideEventsInterleaveWithQueuedEventsExactlyAsOneQueueWould() {
        // Two self-rescheduling sources hold their next event outside the queue; everything else
        // is queued. Times on a coarse grid force many ties, which must resolve by scheduling
        // order just as in a queue that holds everything.
        var rng = RandomStream(seed: 11, name: "outside")
        var plain = EventQueue<Int>(), split = EventQueue<Int>()
        var outside: [(time: SimTime, sequence: UInt64, id: Int)] = []
        var id = 0
        for _ in 0..<2 {
            let t = SimTime(nanoseconds: Int64(rng.next() % 4))
            plain.schedule(id, at: t)
            outside.append((t, split.reserveSequence(), id)); id += 1
        }
        var sourceOf: [Int: Int] = [0: 0, 1: 1]
        var fromPlain: [(Int, SimTime)] = [], fromSplit: [(Int, SimTime)] = []
        for _ in 0..<5000 {
            guard let a = plain.next(notAfter: .seconds(1e6)) else { break }
            fromPlain.append((a, plain.now))
            // The split queue: the earliest outside event if it precedes the queued ones.
            let k = outside.indices.min { (outside[$0].time, outside[$0].sequence) < (outside[$1].time, outside[$1].sequence) }!
            if split.precedesQueued(time: outside[k].time, sequence: outside[k].sequence) {
                split.deliverOutside(at: outside[k].time)
                fromSplit.append((outside[k].id, split.now))
            } else if let b = split.next(notAfter: .seconds(1e6)) {
                fromSplit.append((b, split.now))
            }
            // Follow-ups, the same for both, driven by what the plain queue delivered.
            let t = SimTime(nanoseconds: plain.now.nanoseconds + Int64(rng.next() % 4))
            plain.schedule(id, at: t)
            if let source = sourceOf[a] {
                outside[source] = (t, split.reserveSequence(), id); sourceOf[id] = source
            } else {
                split.schedule(id, at: t)
            }
            id += 1
            if rng.next() % 3 == 0 {
                let t2 = SimTime(nanoseconds: plain.now.nanoseconds + Int64(rng.next() % 4))
                plain.schedule(id, at: t2); split.schedule(id, at: t2); id += 1
            }
        }
        #expect(fromPlain.count == 5000)
        #expect(fromPlain.map(\.0) == fromSplit.map(\.0))
        #expect(fromPlain.map(\.1) == fromSplit.map(\.1))
        #expect(plain.processed == split.processed)
    }

    @Test func aCancelledHeadDoesNotHideALaterOutsideEvent() {
        var q = EventQueue<String>()
        let early = q.schedule("cancelled", at: .seconds(1))
        q.schedule("work", at: .seconds(3))
        q.cancel(early)
        let seq = q.reserveSequence()
        let beforeWork = q.precedesQueued(time: .seconds(2), sequence: seq)
        let afterWork = q.precedesQueued(time: .seconds(4), sequence: seq)
        #expect(beforeWork && !afterWork)
    }

    @Test func interleavedPushesAndPopsAcrossBothShapesMatchAReferenceOrder() {
        // The set grows past the sorted-array limit and shrinks back below a quarter of it, twice,
        // with pops in between; every pop must be the least (time, sequence) still pending.
        var heap = EventHeap<Int>()
        var reference: [(Int64, UInt64)] = []
        var rng = RandomStream(seed: 5, name: "interleave")
        var seq: UInt64 = 0, popped = 0
        for round in 0..<4 {
            let target = round % 2 == 0 ? 700 : 10
            while round % 2 == 0 ? heap.count < target : heap.count > target {
                if round % 2 == 0 || rng.next() % 4 == 0 {
                    let t = Int64(rng.next() % 200)
                    heap.insert(time: t, sequence: seq, element: Int(seq))
                    reference.append((t, seq)); seq += 1
                }
                if rng.next() % 3 == 0 || round % 2 == 1, let node = heap.removeMin(notAfter: .max) {
                    let least = reference.indices.min { reference[$0] < reference[$1] }!
                    #expect(node.time == reference[least].0 && node.sequence == reference[least].1)
                    #expect(node.element == Int(node.sequence))  // payload slots are reused: each event keeps its own
                    reference.remove(at: least); popped += 1
                }
            }
        }
        #expect(popped > 1000 && heap.count == reference.count)
    }

    @Test func queuedPayloadsLiveUntilPoppedOrTheQueueEnds() {
        // Payloads wait in slots apart from the ordered keys; a reference-counted payload shows
        // that a pop hands the event over intact and that ending the queue releases the rest.
        final class Payload { let id: Int; init(id: Int) { self.id = id } }
        weak var popped: Payload?, pending: Payload?
        var poppedID = -1
        do {
            var q = EventQueue<Payload>()
            do {
                let a = Payload(id: 1), b = Payload(id: 2)
                popped = a; pending = b
                q.schedule(b, at: .seconds(2))
                q.schedule(a, at: .seconds(1))
            }
            #expect(popped != nil && pending != nil)  // held by the queue alone
            if let first = q.next(notAfter: .seconds(1.5)) { poppedID = first.id }
            #expect(popped == nil)  // handed over, then dropped by the caller
            #expect(pending?.id == 2)
        }
        #expect(poppedID == 1)
        #expect(pending == nil)  // the queue ended with it still queued
    }

    @Test func randomOrderInsertionsComeOutSorted() {
        var heap = EventHeap<Int>()
        var rng = RandomStream(seed: 3, name: "heap")
        for i in 0..<5000 { heap.insert(time: Int64(rng.next() % 1000), sequence: UInt64(i), element: i) }
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
