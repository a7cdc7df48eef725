/// A query Prometheus could not answer, or answered with something that is not a usable series,
/// in words: the server, the query and what went wrong.
public struct PrometheusError: Error, CustomStringConvertible, Equatable {
    public var server: String
    public var query: String
    public var problem: String
    /// Whether asking again may help (the server unreachable, slow, overloaded or restarting).
    public var isTransient: Bool

    public init(server: String, query: String, problem: String, isTransient: Bool = false) {
        self.server = server; self.query = query; self.problem = problem; self.isTransient = isTransient
    }

    public var description: String {
        query.isEmpty ? "Prometheus at \(server): \(problem)" : "Prometheus at \(server), query \(query): \(problem)"
    }
}
