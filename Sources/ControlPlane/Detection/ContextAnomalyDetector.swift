/// The Contextual Anomaly Detector, open-source edition (CAD OSE, Mikhail Smirnov, NAB 2016): a value is
/// anomalous when the contexts it completes are new. Each value becomes a few binary facts (its bin in
/// `2^bits` bins of the series' range); a *context* pairs the facts of one step (with the contexts active then)
/// with the facts of the next. A step scores high when few of the contexts its predecessor selected are
/// completed, and when many of the contexts it could add are new.
///
/// Written from NAB's `nab/detectors/context_ose` (MIT). Where that code depends on Python's hash values and
/// dictionary order (ties between equally used contexts, the order new contexts are numbered in), this one uses
/// creation order, so scores can differ from NAB's published ones on individual rows; the algorithm is the same,
/// including its quirk that context 0 is never activated.
///
/// Complexity: per observation, O(facts touched + contexts of the selected left semi-contexts); memory grows
/// with the distinct contexts seen (bounded by the bins and `maxLeftSemiContextLength`).
public struct ContextAnomalyDetector: Sendable {
    /// The value range the bins divide (NAB hands each detector its file's minimum and maximum). Nil at the
    /// start for a strictly online detector, whose range is then that of the values seen so far.
    public private(set) var range: ClosedRange<Double>?
    let growsRange: Bool
    /// A score at or above this starts a rest period.
    public let baseThreshold: Double
    /// After a score at or above `baseThreshold`, this many scores are reported as 0.
    public let restPeriod: Int
    let maxLeftSemiContextLength: Int
    let maxActiveNeurons: Int
    let bits: Int
    var binWidth: Double

    /// Facts of the previous step (sensor facts and active-context "neuron" facts), sorted.
    var leftFacts: [Int] = []
    var left = SemiContexts(), right = SemiContexts()
    var contexts: [Context] = []
    /// The context created by this step's zero-level pair, skipped when activating. NAB starts it at
    /// `False`, which Python compares equal to 0: context 0 is skipped whenever no new one was made.
    var newContextID = 0
    /// The last `restPeriod` raw scores (1.0 first, as NAB starts: the first scores are held at 0).
    var recent: [Double] = [1.0]

    struct Context: Sendable { var uses = 0; var zeroLevel: Bool; let left: Int; let right: Int }

    /// One side's semi-contexts (sets of facts), with how many facts of the current step each contains.
    struct SemiContexts: Sendable {
        var index: [[Int]: Int] = [:]
        var facts: [[Int]] = []
        var crossedCount: [Int] = []
        /// Per left semi-context: its contexts, by right semi-context, in creation order.
        var contexts: [[(right: Int, context: Int)]] = []
        /// Per left semi-context: those of its contexts that are zero-level, in creation order (the only ones a
        /// partly held left semi-context can offer new contexts from).
        var zeroLevelContexts: [[(right: Int, context: Int)]] = []
        var contextByRight: [[Int: Int]] = []
        /// The semi-contexts holding each fact, by ``slot(_:)``.
        var byFact: [[Int]] = []
        /// The semi-contexts whose largest fact is each fact, by ``slot(_:)``: the only ones a set of facts can
        /// hold whole are listed under one of its facts.
        var byLastFact: [[Int]] = []
        /// The semi-contexts holding any fact of the last `cross`, in creation order.
        var crossed: [Int] = []
        /// The facts of the last `cross`, sorted.
        var crossedWith: [Int] = []

        /// Facts are a few small sensor facts and `2^31 + context` neuron facts: interleaved into one dense array.
        @inline(__always) static func slot(_ fact: Int) -> Int { fact >= 1 << 31 ? 2 * (fact - (1 << 31)) + 1 : 2 * fact }

        mutating func id(of facts: [Int]) -> Int {
            if let id = index[facts] { return id }
            let id = self.facts.count
            index[facts] = id
            self.facts.append(facts); crossedCount.append(0); contexts.append([]); zeroLevelContexts.append([]); contextByRight.append([:])
            for f in facts {
                let k = Self.slot(f)
                if k >= byFact.count { byFact += Array(repeating: [], count: k + 1 - byFact.count) }
                byFact[k].append(id)
            }
            if let last = facts.last {
                let k = Self.slot(last)
                if k >= byLastFact.count { byLastFact += Array(repeating: [], count: k + 1 - byLastFact.count) }
                byLastFact[k].append(id)
            }
            return id
        }

        /// The semi-contexts all of whose facts are in `facts` (sorted), in no particular order. O(the semi-contexts
        /// listed under those facts as their largest × their length), where `cross` touches every semi-context
        /// holding any of them (the few sensor facts are in most).
        func heldWhole(by facts: [Int]) -> [Int] {
            var out: [Int] = []
            for f in facts where Self.slot(f) < byLastFact.count {
                for s in byLastFact[Self.slot(f)] where Self.isSubset(self.facts[s], of: facts) { out.append(s) }
            }
            return out
        }

        /// Whether sorted `a` is a subset of sorted `b`.
        static func isSubset(_ a: [Int], of b: [Int]) -> Bool {
            var j = 0
            for x in a {
                while j < b.count && b[j] < x { j += 1 }
                guard j < b.count && b[j] == x else { return false }
                j += 1
            }
            return true
        }

        /// Counts, for every semi-context, how many of `facts` it holds.
        mutating func cross(_ facts: [Int]) {
            for s in crossed { crossedCount[s] = 0 }
            var touched: [Int] = []
            for f in facts where Self.slot(f) < byFact.count {
                for s in byFact[Self.slot(f)] {
                    if crossedCount[s] == 0 { touched.append(s) }
                    crossedCount[s] += 1
                }
            }
            // Creation order: a scan when most were touched (the sensor facts reach most), else a sort.
            crossed = touched.count * 4 > crossedCount.count ? crossedCount.indices.filter { crossedCount[$0] > 0 } : touched.sorted()
            crossedWith = facts
        }

        /// The facts of semi-context `s` that the last `cross` held, in order.
        func crossedFacts(_ s: Int) -> [Int] { facts[s].filter { crossedWith.contains($0) } }
    }

    /// - Parameters:
    ///   - range: the values' range (a series' minimum and maximum; values outside fall in the end bins), or nil
    ///     to learn it from the values as they come (each value widens it before it is binned).
    ///   - restPeriod: scores held at 0 after a high one (NAB: a fifth of its probation, 15 % of the file up to 750 points).
    public init(range: ClosedRange<Double>?, restPeriod: Int, baseThreshold: Double = 0.75, maxLeftSemiContextLength: Int = 7,
                maxActiveNeurons: Int = 15, bits: Int = 3) {
        self.range = range; growsRange = range == nil; self.restPeriod = max(1, restPeriod); self.baseThreshold = baseThreshold
        self.maxLeftSemiContextLength = maxLeftSemiContextLength; self.maxActiveNeurons = maxActiveNeurons; self.bits = bits
        binWidth = Self.binWidth(range, bits: bits)
    }

    static func binWidth(_ range: ClosedRange<Double>?, bits: Int) -> Double {
        let maxBin = Double((1 << bits) - 1)
        let width = range.map { $0.upperBound - $0.lowerBound } ?? 0
        return (width > 0 ? width : maxBin) / maxBin
    }

    /// What NAB hands the detector for a whole series: its range, and a rest period of a fifth of NAB's
    /// probation (15 % of the rows, at most 750). The range is foreknowledge an online detector lacks.
    public static func nabSettings(for values: [Double]) -> (range: ClosedRange<Double>, restPeriod: Int) {
        let range = (values.min() ?? 0)...(values.max() ?? 0)
        return (range, Int(min((0.15 * Double(values.count)).rounded(.down), 750) / 5))
    }

    /// Whether the next score will be held at 0 (a rest period after a high score).
    public var isResting: Bool { (recent.max() ?? 0) >= baseThreshold }

    /// Counts the last value as anomalous whatever its score (a rest period starts).
    public mutating func markLastAnomalous() {
        recent[recent.count - 1] = max(recent[recent.count - 1], 1)
    }

    /// The anomaly score of the next value, 0…1 (0 during a rest period).
    public mutating func score(_ value: Double) -> Double {
        let maxBin = (1 << bits) - 1
        if growsRange, value.isFinite, !(range?.contains(value) ?? false) {
            range = min(range?.lowerBound ?? value, value)...max(range?.upperBound ?? value, value)
            binWidth = Self.binWidth(range, bits: bits)
        }
        var raw = ((value - (range?.lowerBound ?? 0)) / binWidth).rounded(.towardZero)
        // A range wider than a Double holds (−1e308…1e308) has an infinite width: bin by halves instead.
        if !binWidth.isFinite, let r = range {
            raw = ((value / 2 - r.lowerBound / 2) / ((r.upperBound / 2 - r.lowerBound / 2) / Double(maxBin))).rounded(.towardZero)
        }
        let bin = raw.isNaN ? 0 : Int(min(max(raw, 0), Double(maxBin)))
        // Bit k of the bin is fact 2k (clear) or 2k + 1 (set).
        let facts = (0..<bits).map { k in 2 * k + ((bin >> k) & 1) }
        let (selectedActive, addedNew) = step(facts.sorted())
        let current = (1 - selectedActive + addedNew) / 2
        let result = (recent.max() ?? 0) < baseThreshold ? current : 0
        recent.append(current)
        if recent.count > restPeriod { recent.removeFirst(recent.count - restPeriod) }
        return result
    }

    /// One step: the share of selected contexts that the current facts complete, and the share of
    /// possible new contexts that were new.
    mutating func step(_ current: [Int]) -> (Double, Double) {
        var possibleNew = Set<Pair>()
        var newZeroLevel = false
        if !leftFacts.isEmpty && !current.isEmpty {
            possibleNew.insert(Pair(left: leftFacts, right: current))
            newZeroLevel = addZeroLevel(left: leftFacts, right: current)
        }
        right.cross(current)
        let (active, selected, potential) = activeContexts(newZeroLevel: newZeroLevel)
        possibleNew.formUnion(potential)
        let selectedActive = selected > 0 ? Double(active.count) / Double(selected) : 0

        leftFacts = (current + mostUsed(active).map { (1 << 31) + $0 }).sorted()

        var added = 0
        for p in potential where addContext(left: p.left, right: p.right, zeroLevel: false) { added += 1 }
        if newZeroLevel { added += 1 }
        let addedNew = newZeroLevel && !possibleNew.isEmpty ? Double(added) / Double(possibleNew.count) : 0
        return (selectedActive, addedNew)
    }

    /// The `maxActiveNeurons` active contexts used most (ties by their semi-contexts), as NAB's sort and slice
    /// chooses them; the keys are distinct, so the choice does not depend on order. O(active × maxActiveNeurons).
    func mostUsed(_ active: [Int]) -> [Int] {
        func key(_ c: Int) -> (Int, Int, Int) { (contexts[c].uses, contexts[c].left, contexts[c].right) }
        var top: [Int] = []   // ascending by key
        top.reserveCapacity(maxActiveNeurons + 1)
        for c in active {
            let k = key(c)
            if top.count == maxActiveNeurons, k < key(top[0]) { continue }
            let at = top.firstIndex { key($0) > k } ?? top.count
            top.insert(c, at: at)
            if top.count > maxActiveNeurons { top.removeFirst() }
        }
        return top
    }

    struct Pair: Hashable { let left: [Int]; let right: [Int] }

    /// Records the pair (previous facts, current facts) as a zero-level context; true when it is new.
    mutating func addZeroLevel(left l: [Int], right r: [Int]) -> Bool {
        let isNew = addContext(left: l, right: r, zeroLevel: true)
        if !isNew, let id = left.contextByRight[left.id(of: l)][right.id(of: r)], !contexts[id].zeroLevel {
            contexts[id].zeroLevel = true
            let li = contexts[id].left, list = left.zeroLevelContexts[li]
            left.zeroLevelContexts[li].insert((contexts[id].right, id), at: list.firstIndex { $0.context > id } ?? list.count)
        }
        return isNew
    }

    /// Adds the context unless it exists; true when added.
    mutating func addContext(left l: [Int], right r: [Int], zeroLevel: Bool) -> Bool {
        let li = left.id(of: l), ri = right.id(of: r)
        guard left.contextByRight[li][ri] == nil else { return false }
        let id = contexts.count
        left.contextByRight[li][ri] = id
        left.contexts[li].append((ri, id))
        contexts.append(Context(zeroLevel: zeroLevel, left: li, right: ri))
        if zeroLevel { left.zeroLevelContexts[li].append((ri, id)) }
        if zeroLevel { newContextID = id }
        return true
    }

    /// The contexts whose left part the previous step completed and whose right part this step completes (each
    /// used once more); how many were selected; and the partial overlaps that could become new contexts.
    mutating func activeContexts(newZeroLevel: Bool) -> (active: [Int], selected: Int, potential: [Pair]) {
        var active: [Int] = [], selected = 0, potential: [Pair] = []
        defer { newContextID = 0 }
        guard newZeroLevel else {
            // No new contexts can come of this step: only the left semi-contexts the previous facts hold whole
            // matter, found without crossing every semi-context. (Their order changes nothing: `mostUsed`'s keys
            // are distinct.)
            for li in left.heldWhole(by: leftFacts) {
                for (ri, id) in left.contexts[li] where id != newContextID {
                    selected += 1
                    let rightCrossed = right.crossedCount[ri]
                    if rightCrossed > 0 && right.facts[ri].count == rightCrossed {
                        contexts[id].uses += 1
                        active.append(id)
                    }
                }
            }
            return (active, selected, potential)
        }
        left.cross(leftFacts)
        for li in left.crossed {
            let leftCrossed = left.crossedCount[li]
            let leftComplete = left.facts[li].count == leftCrossed
            guard leftComplete else {
                // A partly held left semi-context only offers new contexts: from its zero-level ones, when short enough.
                guard leftCrossed <= maxLeftSemiContextLength else { continue }
                for (ri, id) in left.zeroLevelContexts[li] where id != newContextID && right.crossedCount[ri] > 0 {
                    potential.append(Pair(left: left.crossedFacts(li), right: right.crossedFacts(ri)))
                }
                continue
            }
            for (ri, id) in left.contexts[li] where id != newContextID {
                selected += 1
                let rightCrossed = right.crossedCount[ri]
                guard rightCrossed > 0 else { continue }
                if right.facts[ri].count == rightCrossed {
                    contexts[id].uses += 1
                    active.append(id)
                } else if contexts[id].zeroLevel && leftCrossed <= maxLeftSemiContextLength {
                    potential.append(Pair(left: left.crossedFacts(li), right: right.crossedFacts(ri)))
                }
            }
        }
        return (active, selected, potential)
    }
}
