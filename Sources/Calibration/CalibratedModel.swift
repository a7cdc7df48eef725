import ClusterModel
import Foundation
import SimulationKernel

/// A value with its standard error and where it came from.
public struct Estimate: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Source: String, Codable, Sendable { case fitted, given }
    public var value: Double
    /// One standard error (NaN when one observation says nothing about the spread; 0 when given).
    public var error: Double
    public var source: Source
    public init(_ value: Double, error: Double, source: Source = .fitted) { self.value = value; self.error = error; self.source = source }
    public static func given(_ value: Double) -> Estimate { Estimate(value, error: 0, source: .given) }
    /// The value as a whole number of requests (slots, queue places).
    public var requests: Int { Int(max(0, value).rounded()) }
    public var description: String { CalibratedModel.plain(self) }

    enum CodingKeys: String, CodingKey { case value, error, source }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        value = try c.decode(Double.self, forKey: .value)
        error = try c.decodeIfPresent(Double.self, forKey: .error) ?? .nan
        source = try c.decodeIfPresent(Source.self, forKey: .source) ?? .fitted
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        if error.isFinite { try c.encode(error, forKey: .error) }
        try c.encode(source, forKey: .source)
    }
}

/// A service model fitted from its metrics by `calibrate`: what `validate`, `replay --model` and
/// `compare --model` simulate. Each part is fitted (with its error and fit quality) or given; a part the
/// data could not identify is absent and its refusal says why.
public struct CalibratedModel: Codable, Sendable, Equatable {
    /// The work one request does on a worker slot.
    public struct Work: Codable, Sendable, Equatable {
        /// `constant`, `gamma` (exponential at CV 1) or `lognormal`.
        public var family: String
        /// Seconds.
        public var mean: Estimate
        /// Standard deviation ÷ mean.
        public var cv: Estimate
        /// Largest distance between the fitted CDF and the histogram's at its bucket bounds (0…1).
        public var histogramDistance: Double?
        /// Fitted ÷ observed − 1 for p50, p95, p99 (both read from the buckets the same way).
        public var quantileErrors: [String: Double]?
        /// Requests behind the fit, and the load per replica (requests/s) of the scrapes they came from.
        public var requests: Int
        public var loadPerReplica: [Double]

        public var distribution: Distribution {
            switch family {
            case "constant": return .constant(mean.value)
            case "lognormal":
                let s2 = log(1 + cv.value * cv.value)
                return .lognormal(mu: log(mean.value) - s2 / 2, sigma: s2.squareRoot())
            default: return .work(mean: mean.value, cv: cv.value)
            }
        }
    }

    /// CPU cores used as a line in the request rate: idle + perRequest × rate.
    public struct CPU: Codable, Sendable, Equatable {
        /// CPU seconds per request.
        public var perRequest: Estimate
        /// Cores used with no traffic.
        public var idleCores: Double
        /// Coefficient of determination of the line.
        public var r2: Double
        public var scrapes: Int
    }

    /// Start-up: from a replica's start to ready.
    public struct StartUp: Codable, Sendable, Equatable {
        /// `constant` or `lognormal`.
        public var family: String
        public var mean: Estimate
        public var sd: Double
        public var observations: Int

        public var distribution: Distribution {
            guard family == "lognormal", sd > 0 else { return .constant(mean.value) }
            let s2 = log(1 + (sd / mean.value) * (sd / mean.value))
            return .lognormal(mu: log(mean.value) - s2 / 2, sigma: s2.squareRoot())
        }
    }

    public var service: String
    public var work: Work?
    /// Requests in service at once per replica.
    public var concurrency: Estimate?
    public var cpu: CPU?
    public var startup: StartUp?
    /// Requests that may wait per replica: fitted where requests were turned away, or given.
    public var queueLimit: Estimate?
    /// Seconds before a client gives up (given).
    public var timeout: Double?
    /// Why a part is missing, in words, one per part.
    public var refusals: [String] = []
    /// The data behind the fit: its origin, first and last row time, scrapes.
    public var data: [String: String] = [:]
    /// What `validate --record` found on held-back histories: the figures `replay` and `compare` print beside their answer.
    public var validations: [ValidationRecord]?

    /// One validation of the model, in brief.
    public struct ValidationRecord: Codable, Sendable, Equatable {
        public var history: String
        public var scrapes: Int
        public var passed: Bool
        public var replicasMAPE: Double?
        public var p95MAPE: Double?
        /// Scale-ups within the tolerance, of those the real system made.
        public var scaleUpsOnTime: Int
        public var scaleUps: Int
        /// The tolerances that did not hold, in words.
        public var failures: [String]
        public init(history: String, scrapes: Int, passed: Bool, replicasMAPE: Double?, p95MAPE: Double?, scaleUpsOnTime: Int, scaleUps: Int, failures: [String]) {
            self.history = history; self.scrapes = scrapes; self.passed = passed; self.replicasMAPE = replicasMAPE; self.p95MAPE = p95MAPE
            self.scaleUpsOnTime = scaleUpsOnTime; self.scaleUps = scaleUps; self.failures = failures
        }
    }

    /// What validations say of the model, in a line per validation (or that it has none).
    public var validationLines: [String] {
        guard let validations, !validations.isEmpty else {
            return ["model \(service): not validated (run `validate --model … --record` on a period it was not fitted on)"]
        }
        return validations.map { v in
            "model \(service) on \(v.history) (\(v.scrapes) scrapes): " + (v.passed ? "valid" : "NOT valid") + " — replicas MAPE "
                + (v.replicasMAPE.map { String(format: "%.1f %%", $0 * 100) } ?? "—") + ", p95 MAPE (unsaturated) "
                + (v.p95MAPE.map { String(format: "%.1f %%", $0 * 100) } ?? "—") + ", scale-ups on time \(v.scaleUpsOnTime)/\(v.scaleUps)"
                + (v.failures.isEmpty ? "" : "; failed: " + v.failures.joined(separator: "; "))
        }
    }

    public init(service: String) { self.service = service }

    /// The model's parts that a simulation cannot run without and the data did not give.
    public var missing: [String] {
        var out: [String] = []
        if work == nil { out.append("work (give --work-mean and --work-cv)") }
        if concurrency == nil { out.append("concurrency (give --concurrency)") }
        if startup == nil { out.append("start-up (give --startup)") }
        return out
    }

    /// Writes the model into a service: work, slots, start-up, queue and timeout (and CPU per request
    /// when the autoscaler scales on real CPU rather than busy slots).
    public func apply(to model: inout ServiceSpec, cpuPerRequest useCPU: Bool) {
        if let work { model.serviceTime = work.distribution }
        if let concurrency { model.concurrency = max(1, Int(concurrency.value.rounded())) }
        if let startup { model.startup = startup.distribution }
        if let queueLimit { model.queueCapacity = queueLimit.requests }
        if let timeout { model.timeout = .seconds(timeout) }
        if useCPU, let cpu { model.cpuSecondsPerRequest = cpu.perRequest.value }
    }

    /// The model in one line: `gamma work 101 ms (CV 0.98), 4 slots, start-up 2.6 s`.
    public var summary: String {
        var parts: [String] = []
        if let w = work { parts.append(String(format: "%@ work %.3g ms (CV %.2f)", w.family, w.mean.value * 1000, w.cv.value)) }
        if let c = concurrency { parts.append("\(max(1, Int(c.value.rounded()))) slots") }
        if let s = startup { parts.append(String(format: "start-up %.3g s", s.mean.value)) }
        if let q = queueLimit { parts.append("queue \(q.requests)") }
        return parts.joined(separator: ", ")
    }

    // MARK: Files

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    public static let maximumBytes = 4 << 20

    public static func load(_ path: String) throws -> CalibratedModel {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumBytes {
            throw CalibrationError(["\(path): \(size >> 10) KiB is more than a model file may be"])
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CalibrationError(["\(path): cannot read it"]) }
        let model: CalibratedModel
        do { model = try JSONDecoder().decode(CalibratedModel.self, from: data) } catch {
            throw CalibrationError(["\(path): not a model `calibrate --out` writes: \(Self.reason(error))"])
        }
        var problems: [String] = []
        if let w = model.work {
            if !["constant", "gamma", "lognormal"].contains(w.family) { problems.append("\(path): work.family \(w.family.debugDescription): one of constant, gamma, lognormal") }
            if !(w.mean.value > 0 && w.mean.value <= 3600) { problems.append("\(path): work.mean \(w.mean.value): more than 0 and at most 3600 s") }
            if !(w.cv.value >= 0 && w.cv.value <= 20) { problems.append("\(path): work.cv \(w.cv.value): 0…20") }
        }
        if let c = model.concurrency, !(c.value >= 0.5 && c.value <= 10_000) { problems.append("\(path): concurrency \(c.value): 1…10000") }
        if let s = model.startup, !(s.mean.value >= 0 && s.mean.value <= 86_400 && s.sd >= 0 && s.sd.isFinite) {
            problems.append("\(path): startup: mean 0…86400 s and sd ≥ 0")
        }
        if let q = model.queueLimit, !(q.value >= 0 && q.value <= 1_000_000) { problems.append("\(path): queueLimit \(q.value): 0…1000000") }
        if let t = model.timeout, !(t > 0 && t <= 86_400) { problems.append("\(path): timeout \(t): more than 0 and at most 86400 s") }
        if let c = model.cpu, !(c.perRequest.value >= 0 && c.perRequest.value <= 3600) { problems.append("\(path): cpu.perRequest \(c.perRequest.value): 0…3600 s") }
        guard problems.isEmpty else { throw CalibrationError(problems) }
        return model
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let c): return "\((c.codingPath + [key]).map(\.stringValue).joined(separator: ".")) is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c): return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c): return c.codingPath.isEmpty ? "not JSON" : "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: return "\(error)"
        }
    }

    // MARK: Swift

    /// The model as components of a scenario's `Service { … }`, with the figures behind them as comments.
    public var swiftSnippet: String {
        // Comments carry text from files and servers: one line each, control characters taken out, so none can end the comment.
        func comment(_ text: String) -> String { "// " + String(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : Character($0) }) }
        var lines = [comment("Calibrated by `stormglass calibrate` from \(data["origin"] ?? "metrics") (\(data["scrapes"] ?? "?") scrapes).")]
        if let w = work {
            let d: String
            switch w.family {
            case "constant": d = ".constant(\(Self.literal(w.mean.value)))"
            case "lognormal":
                let s2 = log(1 + w.cv.value * w.cv.value)
                d = ".lognormal(mu: \(Self.literal(log(w.mean.value) - s2 / 2)), sigma: \(Self.literal(s2.squareRoot())))"
            default:
                let k = 1 / max(1e-6, w.cv.value * w.cv.value)
                d = ".gamma(shape: \(Self.literal(k)), scale: \(Self.literal(w.mean.value / k)))"
            }
            lines.append("ServiceTime(\(d))  // mean \(Self.ms(w.mean)), CV \(Self.plain(w.cv))")
        }
        if let c = concurrency { lines.append("Concurrency(\(max(1, Int(c.value.rounded()))))  // \(Self.plain(c))") }
        if let s = startup {
            let d = s.family == "lognormal" && s.sd > 0
                ? { let s2 = log(1 + (s.sd / s.mean.value) * (s.sd / s.mean.value)); return ".lognormal(mu: \(Self.literal(log(s.mean.value) - s2 / 2)), sigma: \(Self.literal(s2.squareRoot())))" }()
                : ".constant(\(Self.literal(s.mean.value)))"
            lines.append("Startup(\(d))  // mean \(Self.plain(s.mean)) s over \(s.observations) start-ups")
        }
        if let q = queueLimit { lines.append("QueueCapacity(\(q.requests))") }
        if let t = timeout { lines.append("Timeout(.seconds(\(Self.literal(t))))") }
        if let c = cpu { lines.append("Resources(cpuPerRequest: .milliseconds(\(Self.literal(c.perRequest.value * 1000))))  // R² \(String(format: "%.2f", c.r2))") }
        for r in refusals { lines.append(comment("not fitted: " + r)) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func literal(_ v: Double) -> String { String(format: "%.6g", v) }
    static func plain(_ e: Estimate) -> String {
        e.source == .given ? String(format: "%.4g (given)", e.value) : e.error.isFinite ? String(format: "%.4g ± %.2g", e.value, e.error) : String(format: "%.4g", e.value)
    }
    static func ms(_ e: Estimate) -> String {
        e.source == .given ? String(format: "%.4g ms (given)", e.value * 1000) : String(format: "%.4g ± %.2g ms", e.value * 1000, e.error * 1000)
    }
}
