/// A 4-ary min-heap keyed by (time, sequence), the future-event set's storage.
///
/// swift-collections' `Heap` is a min-max heap: it keeps both ends ordered, which costs about a
/// third of a simulation's run time on pops we never need. This one only keeps the minimum, and
/// sifts with a hole (one move per level instead of a swap). Four children per node halve the
/// depth, and so the number of moves, at the price of more comparisons within a cache line.
/// The array never shrinks: slots past `count` are spare, so a pop or push touches the array
/// once (one uniqueness check) instead of also appending or removing.
///
/// Complexity: `insert` and `removeMin` are O(log n); `min` is O(1).
@usableFromInline
struct EventHeap<Element> {
    @usableFromInline struct Node {
        @usableFromInline var time: Int64
        @usableFromInline var sequence: UInt64
        @usableFromInline var element: Element
        @inlinable init(time: Int64, sequence: UInt64, element: Element) {
            self.time = time; self.sequence = sequence; self.element = element
        }
        /// Lexicographic (time, sequence), written without short-circuits so that it compiles to
        /// flag arithmetic: which child is smallest is a coin toss, and a mispredicted jump costs
        /// more than doing both comparisons.
        @inlinable @inline(__always)
        func precedes(_ other: Node) -> Bool {
            let earlier = time < other.time, tie = time == other.time, firstIn = sequence < other.sequence
            return earlier != (tie && firstIn)  // never both true, so != is "or"
        }
    }

    /// Slots 0..<count hold the heap; the rest are spare (stale copies, overwritten on push).
    @usableFromInline var nodes: [Node] = []
    @usableFromInline var count = 0

    @inlinable init() {}

    @inlinable var min: Node? { count > 0 ? nodes[0] : nil }

    /// True when the heap is empty or (time, sequence) comes before its minimum.
    @inlinable @inline(__always)
    func isEmptyOrAfter(time: Int64, sequence: UInt64) -> Bool {
        count == 0 || nodes.withUnsafeBufferPointer { h in
            time < h[0].time || (time == h[0].time && sequence < h[0].sequence)
        }
    }

    @inlinable
    mutating func insert(_ node: Node) {
        let n = count
        if n == nodes.count { nodes.append(node) }
        nodes.withUnsafeMutableBufferPointer { h in
            var i = n
            while i > 0 {
                let parent = (i &- 1) >> 2
                if !node.precedes(h[parent]) { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = node
        }
        count = n &+ 1
        checkInvariants()
    }

    /// Removes and returns the minimum if its time is ≤ `limit` (one pass for the check and the pop).
    @inlinable
    mutating func removeMin(notAfter limit: Int64) -> Node? {
        let n = count
        if n == 0 { return nil }
        let top: Node? = nodes.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            if top.time > limit { return nil }
            let m = n &- 1
            let last = h[m]
            var i = 0
            while true {
                let first = 4 &* i &+ 1
                if first >= m { break }
                var child: Int
                if first &+ 3 < m {
                    // All four children: a small tournament, two independent comparisons then one.
                    let a = h[first &+ 1].precedes(h[first]) ? first &+ 1 : first
                    let b = h[first &+ 3].precedes(h[first &+ 2]) ? first &+ 3 : first &+ 2
                    child = h[b].precedes(h[a]) ? b : a
                } else {
                    child = first
                    var c = first &+ 1
                    while c < m {
                        if h[c].precedes(h[child]) { child = c }
                        c &+= 1
                    }
                }
                if !h[child].precedes(last) { break }
                h[i] = h[child]
                i = child
            }
            h[i] = last
            return top
        }
        if top != nil { count = n &- 1 }
        checkInvariants()
        return top
    }
}

extension EventHeap {
    /// Verifies the heap property; compiled in only with `-D STORMGLASS_INVARIANTS`.
    @inlinable @inline(__always)
    func checkInvariants() {
        #if STORMGLASS_INVARIANTS
        for i in 1..<max(1, count) {
            precondition(!nodes[i].precedes(nodes[(i - 1) >> 2]), "event heap order violated at \(i)")
        }
        #endif
    }
}
