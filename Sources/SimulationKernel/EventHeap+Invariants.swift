extension EventHeap {
    /// Verifies the key order (sorted or heap) and that no two keys share a payload slot;
    /// compiled in only with `-D STORMGLASS_INVARIANTS`.
    @inlinable @inline(__always)
    func checkInvariants() {
        #if STORMGLASS_INVARIANTS
        let first = isSorted ? head : 0
        var slots = Set<Int>()
        for i in 0..<count {
            precondition(slots.insert(keys[first + i].slot).inserted, "two events share slot \(keys[first + i].slot)")
            guard i > 0 else { continue }
            if isSorted {
                precondition(!keys[first + i].precedes(keys[first + i - 1]), "event list order violated at \(i)")
            } else {
                precondition(!keys[i].precedes(keys[(i - 1) >> 2]), "event heap order violated at \(i)")
            }
        }
        #endif
    }
}
