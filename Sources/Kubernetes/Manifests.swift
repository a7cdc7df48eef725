import Foundation
import Yams

/// Deployments, HorizontalPodAutoscalers and KEDA ScaledObjects read from YAML files or folders.
///
/// Several documents per file (`---`) and every `.yaml`/`.yml` file of a folder are read. Objects of
/// other kinds are listed in `warnings` and skipped. Every field that would change what is
/// simulated but cannot be honoured is in `problems` (the manifests are then unusable), each with
/// file, line and YAML path.
public struct Manifests: Sendable {
    public var deployments: [DeploymentManifest] = []
    public var autoscalers: [HorizontalPodAutoscalerManifest] = []
    public var scaledObjects: [ScaledObjectManifest] = []
    public var problems: [ManifestProblem] = []
    public var warnings: [ManifestProblem] = []

    public init() {}

    /// Reads files and folders; never throws for bad content (see `problems`), only collects.
    /// - Parameter metrics: what custom metric names mean (names about requests or queues are guessed, with a warning).
    public static func read(_ paths: [String], metrics: [String: SimulatedMetric] = [:]) -> Manifests {
        var result = Manifests()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                result.problems.append(ManifestProblem(file: path, line: 0, path: "", message: "no such file or folder"))
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
                if files.isEmpty { result.problems.append(ManifestProblem(file: path, line: 0, path: "", message: "holds no .yaml or .yml files")) }
            } else {
                files = [path]
            }
            for f in files { result.readFile(f, metrics: MetricMapping(explicit: metrics)) }
        }
        return result
    }

    mutating func readFile(_ file: String, metrics: MetricMapping) {
        guard let data = FileManager.default.contents(atPath: file) else {
            problems.append(ManifestProblem(file: file, line: 0, path: "", message: "cannot read the file")); return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.append(ManifestProblem(file: file, line: 0, path: "", message: "not UTF-8 text")); return
        }
        readText(text, file: file, metrics: metrics)
    }

    /// Manifests from texts already read (a live session's recorded copy), each named by its file.
    public static func read(texts: [(file: String, text: String)], metrics: [String: SimulatedMetric] = [:]) -> Manifests {
        var result = Manifests()
        for t in texts { result.readText(t.text, file: t.file, metrics: MetricMapping(explicit: metrics)) }
        return result
    }

    /// The manifest files `paths` name (a folder's .yaml and .yml files in name order), as `read` takes them.
    public static func files(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
    }

    mutating func readText(_ text: String, file: String, metrics: MetricMapping) {
        let log = ManifestLog(metrics: metrics)
        var documents = [Node]()
        do {
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() { documents.append(node) }
            if let error = sequence.error { throw error }
        } catch {
            problems.append(Manifests.yamlProblem(error, file: file)); return
        }
        for (i, document) in documents.enumerated() {
            let root = ManifestNode(node: document, path: "", file: file, log: log)
            guard case .mapping = document else { if document.null == nil { root.problem("document \(i + 1) is not a mapping") }; continue }
            let kind = document["kind"]?.string ?? "", api = document["apiVersion"]?.string ?? ""
            switch (kind, api) {
            case ("Deployment", "apps/v1"):
                if let d = DeploymentManifest(root) { deployments.append(d) }
            case ("HorizontalPodAutoscaler", "autoscaling/v2"):
                if let h = HorizontalPodAutoscalerManifest(root) { autoscalers.append(h) }
            case ("HorizontalPodAutoscaler", _):
                root.problem("HorizontalPodAutoscaler \(api) is not supported: write it as autoscaling/v2 (kubectl convert, or the v2 field names)")
            case ("ScaledObject", "keda.sh/v1alpha1"):
                if let s = ScaledObjectManifest(root) { scaledObjects.append(s) }
            case ("", _):
                root.problem("document \(i + 1) has no kind")
            default:
                root.warning("skipped \(kind)\(api.isEmpty ? "" : " (\(api))") \"\(document["metadata"]?["name"]?.string ?? "?")\": not a Deployment, HorizontalPodAutoscaler or ScaledObject")
            }
        }
        problems += log.problems
        warnings += log.warnings
    }

    static func yamlProblem(_ error: Error, file: String) -> ManifestProblem {
        if let y = error as? YamlError {
            switch y {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                return ManifestProblem(file: file, line: mark.line, path: "", message: "not valid YAML: \(problem) (column \(mark.column))")
            default: break
            }
        }
        return ManifestProblem(file: file, line: 0, path: "", message: "not valid YAML: \(error)")
    }

    public func deployment(named name: String) -> DeploymentManifest? { deployments.first { $0.name == name } }
}

/// Fields every object may carry that change nothing in a simulation.
let metadataNoEffect: Set<String> = ["namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp",
                                      "managedFields", "ownerReferences", "finalizers", "generateName", "selfLink", "deletionTimestamp"]

/// An object's name and its `spec`, with the top level checked.
func readObject(_ root: ManifestNode) -> (name: String, spec: ManifestNode)? {
    let top = root.fields(honoured: ["apiVersion", "kind", "metadata", "spec"], noEffect: ["status"])
    guard let meta = top["metadata"] else { root.problem("no metadata"); return nil }
    let m = meta.fields(honoured: ["name"], noEffect: metadataNoEffect)
    guard let name = m["name"]?.string, !name.isEmpty else { meta.problem("no name"); return nil }
    guard let spec = top["spec"] else { root.problem("no spec"); return nil }
    return (name, spec)
}
