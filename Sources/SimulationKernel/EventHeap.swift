/// A 4-ary min-heap keyed by (time, sequence), the future-event set's storage.
///
/// swift-collections' `Heap` is a min-max heap: it keeps both ends ordered, which costs about a
/// third of a simulation's run time on pops we never need. This one only keeps the minimum, and
/// sifts with a hole (one move per level instead of a swap). Four children per node halve the
/// depth, and so the number of moves, at the price of more comparisons within a cache line.
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
        @inlinable @inline(__always)
        func precedes(_ other: Node) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    @usableFromInline var nodes: [Node] = []

    @inlinable init() {}

    @inlinable var count: Int { nodes.count }
    @inlinable var min: Node? { nodes.first }

    @inlinable
    mutating func insert(_ node: Node) {
        nodes.append(node)
        nodes.withUnsafeMutableBufferPointer { h in
            var i = h.count - 1
            while i > 0 {
                let parent = (i - 1) >> 2
                if !node.precedes(h[parent]) { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = node
        }
        checkInvariants()
    }

    /// Removes and returns the minimum if its time is ≤ `limit` (one pass for the check and the pop).
    @inlinable
    mutating func removeMin(notAfter limit: Int64) -> Node? {
        let n = nodes.count
        if n == 0 { return nil }
        let top: Node? = nodes.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            if top.time > limit { return nil }
            let last = h[n - 1]
            let m = n - 1
            var i = 0
            while true {
                let first = 4 * i + 1
                if first >= m { break }
                var child = first
                let end = Swift.min(first + 4, m)
                var c = first + 1
                while c < end {
                    if h[c].precedes(h[child]) { child = c }
                    c += 1
                }
                if !h[child].precedes(last) { break }
                h[i] = h[child]
                i = child
            }
            h[i] = last
            return top
        }
        if top != nil { nodes.removeLast() }
        checkInvariants()
        return top
    }
}

extension EventHeap {
    /// Verifies the heap property; compiled in only with `-D STORMGLASS_INVARIANTS`.
    @inlinable @inline(__always)
    func checkInvariants() {
        #if STORMGLASS_INVARIANTS
        for i in 1..<max(1, nodes.count) {
            precondition(!nodes[i].precedes(nodes[(i - 1) >> 2]), "event heap order violated at \(i)")
        }
        #endif
    }
}
