/// The future-event set's storage: a min-priority queue keyed by (time, sequence).
///
/// Two shapes, one at a time:
/// - **Sorted** (up to `sortedLimit` events): `nodes[head ..< head + count]` in ascending key
///   order. A pop takes the front (O(1)); a push shifts whichever side of its place is shorter
///   (the later half up, or, when there is room before `head`, the earlier half down), so it
///   moves at most about half the others. A simulation at moderate load keeps a few dozen
///   events pending, and there this beats any heap.
/// - **Heap** (beyond it): a 4-ary min-heap that sifts with a hole (one move per level), with
///   four children per node to halve the depth. An ascending array is already a valid heap, so
///   the switch is free; switching back (below a quarter of the limit) is a sort.
///
/// swift-collections' `Heap` is a min-max heap: it keeps both ends ordered, which cost about a
/// third of a simulation's run time on pops we never need. The array never shrinks: slots
/// outside the live range are spare, so a pop or push touches the array once (one uniqueness
/// check) instead of also appending or removing.
///
/// Complexity: `insert` is O(n) worst case and about O(1) typically while sorted (n ≤ 256), and
/// O(log n) as a heap; `removeMin` is O(1) while sorted and O(log n) as a heap; `min` is O(1).
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

    @usableFromInline static var sortedLimit: Int { 256 }

    /// The live events: `nodes[head ..< head + count]`, sorted, or `nodes[0 ..< count]` as a heap.
    @usableFromInline var nodes: [Node] = []
    @usableFromInline var head = 0
    @usableFromInline var count = 0
    @usableFromInline var isSorted = true

    @inlinable init() {}

    @inlinable var min: Node? { count == 0 ? nil : nodes[isSorted ? head : 0] }

    /// True when the heap is empty or (time, sequence) comes before its minimum.
    @inlinable @inline(__always)
    func isEmptyOrAfter(time: Int64, sequence: UInt64) -> Bool {
        count == 0 || nodes.withUnsafeBufferPointer { h in
            let m = h[isSorted ? head : 0]
            return time < m.time || (time == m.time && sequence < m.sequence)
        }
    }

    @inlinable
    mutating func insert(_ node: Node) {
        let n = count
        if isSorted {
            if n == EventHeap.sortedLimit {
                becomeHeap()
            } else if head > 0 && n > 1 && insertFromFront(node) {
                return
            } else if head &+ n == nodes.count {
                // No room at the back: slide down if the front has room enough to be worth it
                // (amortised O(1) per push), otherwise grow.
                if head >= n / 2 &+ 8 { slideToFront() } else { nodes.append(node) }
            }
        } else if n == nodes.count {
            nodes.append(node)
        }
        let (sorted, start) = (isSorted, head)
        nodes.withUnsafeMutableBufferPointer { h in
            if sorted {
                var i = start &+ n
                while i > start && node.precedes(h[i &- 1]) { h[i] = h[i &- 1]; i &-= 1 }
                h[i] = node
            } else {
                var i = n
                while i > 0 {
                    let parent = (i &- 1) >> 2
                    if !node.precedes(h[parent]) { break }
                    h[i] = h[parent]
                    i = parent
                }
                h[i] = node
            }
        }
        count = n &+ 1
        checkInvariants()
    }

    /// Sorted shape, room before `head`: if `node` belongs in the earlier half, shifts the events
    /// before it down one slot (fewer moves than shifting the later half up) and returns true.
    @inlinable @inline(__always)
    mutating func insertFromFront(_ node: Node) -> Bool {
        let (start, n) = (head, count)
        let inserted = nodes.withUnsafeMutableBufferPointer { h -> Bool in
            guard node.precedes(h[start &+ n >> 1]) else { return false }
            var i = start &- 1
            while h[i &+ 1].precedes(node) { h[i] = h[i &+ 1]; i &+= 1 }
            h[i] = node
            return true
        }
        if inserted {
            head = start &- 1
            count = n &+ 1
            checkInvariants()
        }
        return inserted
    }

    /// Removes and returns the minimum if its time is ≤ `limit` (one pass for the check and the pop).
    /// The sorted shape's pop is inlined into the caller's loop; the heap's sift is not.
    @inlinable @inline(__always)
    mutating func removeMin(notAfter limit: Int64) -> Node? {
        let n = count
        if n == 0 { return nil }
        if !isSorted { return removeHeapMin(notAfter: limit) }
        let top = nodes[head]
        if top.time > limit { return nil }
        count = n &- 1
        head = count == 0 ? 0 : head &+ 1
        checkInvariants()
        return top
    }

    @inlinable @inline(never)
    mutating func removeHeapMin(notAfter limit: Int64) -> Node? {
        let n = count
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
        if top != nil {
            count = n &- 1
            if count < EventHeap.sortedLimit / 4 { becomeSorted() }
        }
        checkInvariants()
        return top
    }

    /// Moves the sorted events to the start of the storage.
    @usableFromInline mutating func slideToFront() {
        let (start, n) = (head, count)
        nodes.withUnsafeMutableBufferPointer { h in
            for i in 0..<n { h[i] = h[start &+ i] }
        }
        head = 0
    }

    /// Sorted → heap: an ascending array already satisfies the heap order.
    @usableFromInline mutating func becomeHeap() {
        slideToFront()
        if count == nodes.count { nodes.append(nodes[0]) }  // a spare slot for the push under way
        isSorted = false
    }

    @usableFromInline mutating func becomeSorted() {
        nodes[0..<count].sort { $0.precedes($1) }
        head = 0
        isSorted = true
    }
}

extension EventHeap {
    /// Verifies the order (sorted or heap); compiled in only with `-D STORMGLASS_INVARIANTS`.
    @inlinable @inline(__always)
    func checkInvariants() {
        #if STORMGLASS_INVARIANTS
        for i in 1..<max(1, count) {
            if isSorted {
                precondition(!nodes[head + i].precedes(nodes[head + i - 1]), "event list order violated at \(i)")
            } else {
                precondition(!nodes[i].precedes(nodes[(i - 1) >> 2]), "event heap order violated at \(i)")
            }
        }
        #endif
    }
}
