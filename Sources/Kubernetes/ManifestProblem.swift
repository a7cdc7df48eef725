/// Something in a manifest the simulation cannot use, named by file, line and YAML path.
public struct ManifestProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line of the offending node (0 when unknown).
    public var line: Int
    /// e.g. `spec.metrics[0].resource.target.averageUtilization`.
    public var path: String
    public var message: String
    public init(file: String, line: Int, path: String, message: String) {
        self.file = file; self.line = line; self.path = path; self.message = message
    }
    public var description: String {
        "\(file)\(line > 0 ? ":\(line)" : ""): \(path.isEmpty ? "" : "\(path): ")\(message)"
    }
}

/// Every problem of a set of manifests at once.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
    public var problems: [ManifestProblem]
    public init(_ problems: [ManifestProblem]) { self.problems = problems }
    public var description: String {
        problems.count == 1 ? problems[0].description
            : "\(problems.count) problems in the manifests:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
