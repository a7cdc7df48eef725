import Yams

/// A YAML node with where it came from, and the reader's verdicts on it.
///
/// Reading a manifest is a walk: each object names the keys it honours, the keys that do not change
/// what is simulated (labels, images, ports …) and the keys that would matter but are not simulated
/// (warnings). Any other key is a problem, so nothing a user wrote is silently dropped.
struct ManifestNode {
    let node: Node
    let path: String
    let file: String
    let log: ManifestLog

    var line: Int { node.mark?.line ?? 0 }

    func problem(_ message: String) { log.problems.append(ManifestProblem(file: file, line: line, path: path, message: message)) }
    func warning(_ message: String) { log.warnings.append(ManifestProblem(file: file, line: line, path: path, message: message)) }

    private func child(_ key: String, _ node: Node) -> ManifestNode {
        ManifestNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file, log: log)
    }

    /// The mapping's honoured keys; the others are checked against the two lists.
    func fields(honoured: Set<String>, noEffect: Set<String> = [], notSimulated: [String: String] = [:]) -> [String: ManifestNode] {
        guard case .mapping(let mapping) = node else {
            problem("expected a mapping")
            return [:]
        }
        var result: [String: ManifestNode] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { continue }
            let c = child(key, v)
            if honoured.contains(key) { result[key] = c }
            else if noEffect.contains(key) { continue }
            else if let why = notSimulated[key] { c.warning("not simulated (\(why)); the run behaves as if it were absent") }
            else { c.problem("unsupported field \"\(key)\": the simulation cannot honour it") }
        }
        return result
    }

    var items: [ManifestNode] {
        guard case .sequence(let seq) = node else { problem("expected a list"); return [] }
        return seq.enumerated().map { ManifestNode(node: $1, path: "\(path)[\($0)]", file: file, log: log) }
    }

    var string: String? {
        guard case .scalar(let s) = node else { problem("expected a value, found a \(kindName)"); return nil }
        return s.string
    }

    func int(in range: ClosedRange<Int>) -> Int? {
        guard let text = string else { return nil }
        guard let v = Int(text), range.contains(v) else { problem("\(text) must be a whole number in \(range.lowerBound)…\(range.upperBound)"); return nil }
        return v
    }

    func number(in range: ClosedRange<Double>) -> Double? {
        guard let text = string else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else { problem("\(text) must be a number in \(range.lowerBound)…\(range.upperBound)"); return nil }
        return v
    }

    /// A Kubernetes resource quantity (`250m`, `1.5`, `512Mi`, `1G`) as a plain number, at most
    /// `limit` (what the simulation can represent; a larger one would size replicas and nodes
    /// before anything checks them), which the problem names in `unit`.
    func quantity(atMost limit: Double, _ unit: String) -> Double? {
        guard let text = string else { return nil }
        guard let v = Quantity.parse(text) else { problem("\"\(text)\" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi)"); return nil }
        guard v <= limit else { problem("\(text) is more than the simulation can represent (at most \(unit))"); return nil }
        return v
    }

    private var kindName: String {
        switch node {
        case .mapping: return "mapping"
        case .sequence: return "list"
        default: return "value"
        }
    }
}

/// What a walk found wrong (problems) or left out (warnings).
final class ManifestLog {
    var problems: [ManifestProblem] = []
    var warnings: [ManifestProblem] = []
    let metrics: MetricMapping
    init(metrics: MetricMapping) { self.metrics = metrics }
}

/// Kubernetes resource quantities: a decimal number with an optional SI (`m`, `k`, `M`, `G`, `T`, `P`,
/// `E`) or binary (`Ki` … `Ei`) suffix, or a decimal exponent (`1e3`).
enum Quantity {
    static func parse(_ text: String) -> Double? {
        let suffixes: [(String, Double)] = [
            ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776), ("Pi", 1_125_899_906_842_624),
            ("Ei", 1_152_921_504_606_846_976), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
        ]
        var number = Substring(text), factor = 1.0
        for (suffix, f) in suffixes where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count); factor = f
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || ".+-eE".contains($0)) }),
              let v = Double(number), v.isFinite, v >= 0 else { return nil }
        return v * factor
    }
}
