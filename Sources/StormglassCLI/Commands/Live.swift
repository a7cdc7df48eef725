import Reports
import ArgumentParser
import ControlPlane
import Foundation
import Kubernetes
import Lab
import LiveControl
import LiveMetrics
import Recorder
import SimulationKernel
import Telemetry

/// What `shadow` and `control` share: where the metrics are, which signals mean what, the policies.
struct LiveSessionOptions: ParsableArguments {
    @OptionGroup var server: PrometheusServerOptions

    @Option(help: "The Deployment (service) the session watches (default: the manifests' only Deployment).")
    var service: String?

    @Option(name: .customLong("manifests"), help: "A manifest file or folder (repeatable): the Deployment and its HPA or KEDA ScaledObject, as `replay` reads them.")
    var manifests: [String] = []

    @Option(name: .customLong("signal"), help: ArgumentHelp("A signal and the PromQL that reads it (repeatable): \(LiveSignal.allCases.map(\.rawValue).joined(separator: ", ")). rate, cpu and ready are needed.", valueName: "name=query"))
    var signals: [String] = []

    @Option(name: .customLong("metric"), help: ArgumentHelp("What a custom metric in the manifests means: request-rate or queue-length (repeatable).", valueName: "name=meaning"))
    var metrics: [String] = []

    @Option(name: .customLong("policy"), help: "A policy to run beside the manifests' autoscaler (repeatable).")
    var policies: [String] = []

    @Option(help: "Fewest replicas (without manifests).")
    var minReplicas: Int?

    @Option(help: "Most replicas (without manifests).")
    var maxReplicas: Int?

    @Option(help: "Requests one replica serves at once.")
    var concurrency = 1

    @Option(help: "Mean replica start-up (a predictive policy's lead time).")
    var startup = "30s"

    @Option(help: "Time between polls; each policy keeps its own cadence within them (the HPA's 15 s sync).")
    var interval = "15s"

    @Option(name: .customLong("for"), help: "How long the session runs (at most 7d).")
    var duration = "1h"

    @Option(help: "A read is stale when the newest scrape behind it (--freshness-query) is older than this.")
    var staleAfter = "45s"

    @Option(help: "PromQL answering the Unix time of the newest scrape behind the signals.")
    var freshnessQuery = "max(timestamp(up))"

    @Option(help: ArgumentHelp("The self-healer's PromQL: one series per replica (label pod, else instance), below 0.5 while it is unhealthy.", valueName: "query"))
    var replicaHealth: String?

    @Option(help: "A replica seen healthy and then unhealthy this long is replaced.")
    var replaceAfter = "60s"

    @Option(help: "Replacements allowed per rolling hour.")
    var maxReplacementsPerHour = 5

    @Option(help: ArgumentHelp("Go on with the stopped session recorded as this run in --db, to its planned end: its plan, its clock, its policies' history.", valueName: "run"))
    var resume: Int64?

    @OptionGroup var database: DatabaseOption

    /// The session to run: resumed from the database, or planned from the options (in control, the
    /// acting policy is the manifests' autoscaler, else the first --policy).
    func session(mode: String) throws -> (SessionPlan, PrometheusClient.Configuration, Resumption?) {
        guard let resume else {
            guard mode == "control" else { let (plan, c) = try plan(mode: mode, acting: nil); return (plan, c, nil) }
            let probe = try plan(mode: mode, acting: nil)
            let acting = try probe.0.resolvePolicies().policies.first?.name
            let (plan, c) = try plan(mode: mode, acting: acting)
            return (plan, c, nil)
        }
        let resumption: Resumption
        do { resumption = try Resumption.load(store: try ResultsStore.open(existing: database.db), run: resume) }
        catch let e as LiveSessionError { throw InputError("--resume \(resume): " + e.description) }
        var problems: [String] = []
        let given = [("--signal", !signals.isEmpty), ("--manifests", !manifests.isEmpty), ("--policy", !policies.isEmpty), ("--service", service != nil),
                     ("--min-replicas", minReplicas != nil), ("--max-replicas", maxReplicas != nil), ("--replica-health", replicaHealth != nil)]
            .filter(\.1).map(\.0)
        if !given.isEmpty {
            problems.append("--resume \(resume) goes on with the plan recorded with the run; \(given.joined(separator: ", ")) cannot change it (start a new session for that)")
        }
        if resumption.plan.mode != mode { problems.append("--resume \(resume): run \(resume) is a \(resumption.plan.mode) session; resume it with \(CommandName.current) \(resumption.plan.mode)") }
        let planned = resumption.origin + resumption.plan.duration
        if Date().timeIntervalSince1970 > planned {
            problems.append("--resume \(resume): the session was planned to end \(SimDuration.seconds(Date().timeIntervalSince1970 - planned)) ago; start a new one")
        }
        let configuration = server.configuration(defaultTimeout: 5, defaultRetries: 1, recorded: resumption.plan.prometheus, problems: &problems)
        guard problems.isEmpty, let configuration else { throw InputError(problems.joined(separator: "\n")) }
        return (resumption.plan, configuration, resumption)
    }

    /// The session's plan, or every problem at once.
    func plan(mode: String, acting: String?) throws -> (SessionPlan, PrometheusClient.Configuration) {
        var problems: [String] = []
        if server.prometheus == nil { problems.append("--prometheus URL: the server the signals are read from") }
        let configuration = server.configuration(defaultTimeout: 5, defaultRetries: 1, problems: &problems)
        var queries: [String: String] = [:]
        let (pairs, pairProblems) = keyedValues(signals, option: "--signal", form: "name=query")
        problems += pairProblems
        for (name, query) in pairs {
            guard LiveSignal(rawValue: name) != nil else {
                problems.append("--signal \(name)=…: one of \(LiveSignal.allCases.map(\.rawValue).joined(separator: ", "))"); continue
            }
            if queries[name] != nil { problems.append("--signal \(name) given twice") }
            queries[name] = query
        }
        for needed in [LiveSignal.rate, .cpu, .ready] where queries[needed.rawValue] == nil {
            problems.append("--signal \(needed.rawValue)=QUERY is needed (e.g. \(Self.example(needed)))")
        }
        let (meaningPairs, meaningProblems) = keyedValues(metrics, option: "--metric", form: "name=meaning")
        problems += meaningProblems
        let seconds: (String, String, ClosedRange<Double>) -> Double? = { option, text, range in
            guard let d = SimDuration(parsing: text), range.contains(d.seconds) else {
                problems.append("--\(option) \(text): not a duration from \(SimDuration.seconds(range.lowerBound)) to \(SimDuration.seconds(range.upperBound))"); return nil
            }
            return d.seconds
        }
        let every = seconds("interval", interval, 1...3600), length = seconds("for", duration, 1...(7 * 86_400))
        let stale = seconds("stale-after", staleAfter, 1...86_400), start = seconds("startup", startup, 0...3600)
        let replaceWait = seconds("replace-after", replaceAfter, 1...86_400)
        if !(0...1000).contains(maxReplacementsPerHour) { problems.append("--max-replacements-per-hour must be 0…1000, not \(maxReplacementsPerHour)") }
        if replicaHealth?.isEmpty == true { problems.append("--replica-health: the query is empty") }
        if !(1...10_000).contains(concurrency) { problems.append("--concurrency must be 1…10000, not \(concurrency)") }
        var copies: [SessionPlan.ManifestCopy] = []
        for file in Manifests.files(manifests) {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                problems.append("--manifests \(file): cannot read it as UTF-8 text"); continue
            }
            copies.append(.init(file: file, text: text))
        }
        var name = service
        if name == nil, !copies.isEmpty {
            let deployments = Manifests.read(texts: copies.map { ($0.file, $0.text) }).deployments
            if deployments.count == 1 { name = deployments[0].name }
        }
        if name == nil { problems.append("--service NAME: which Deployment (the manifests do not hold exactly one)") }
        guard problems.isEmpty, let configuration, let every, let length, let stale, let start, let replaceWait, let name else {
            throw InputError(problems.joined(separator: "\n"))
        }
        let plan = SessionPlan(mode: mode, prometheus: configuration.baseURL, interval: every, duration: length, staleAfter: stale,
                               freshnessQuery: freshnessQuery.isEmpty ? nil : freshnessQuery, service: name, queries: queries,
                               concurrencyPerReplica: concurrency, policies: policies, acting: acting, manifests: copies,
                               metricMeanings: Dictionary(meaningPairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                               minReplicas: minReplicas, maxReplicas: maxReplicas, startupSeconds: start,
                               replicaHealthQuery: replicaHealth, replaceAfter: replaceWait, maxReplacementsPerHour: maxReplacementsPerHour)
        _ = try plan.resolvePolicies()
        return (plan, configuration)
    }

    static func example(_ s: LiveSignal) -> String {
        switch s {
        case .rate: return "rate='sum(rate(http_requests_total[1m]))'"
        case .cpu: return "cpu='sum(rate(container_cpu_usage_seconds_total[1m])) / sum(kube_pod_container_resource_requests{resource=\"cpu\"})'"
        default: return "ready='sum(kube_deployment_status_replicas_ready{deployment=\"checkout\"})'"
        }
    }

    /// Runs a session to its end (or Ctrl-C), printing a line per poll on a terminal and a table at the end.
    func run(_ plan: SessionPlan, _ configuration: PrometheusClient.Configuration, resuming: Resumption?, actuator: (any Actuator)?, safety: ActuationGuard) throws {
        let store = try database.openForRecording()
        let progress = ProgressLine()
        let client = try PrometheusClient(configuration)
        let session = try LiveSession(plan: plan, reader: SignalReader(client: client, freshnessQuery: plan.freshnessQuery, staleAfter: plan.staleAfter),
                                      store: store, toolVersion: toolVersion, actuator: actuator, safety: safety, resuming: resuming)
        print("\(plan.mode) session: run \(session.runID) in \(database.db)\(resuming.map { " (resuming run \($0.run))" } ?? ""); \(plan.service) every \(SimDuration.seconds(plan.interval)) for \(SimDuration.seconds(plan.duration)) from \(plan.prometheus) (Ctrl-C ends it)")
        fflush(stdout)
        let unreadable = Remembered(false)
        let polls = try waitFor { [session] in
            try await session.run(shouldStop: { Interrupt.isRequested }) { poll in
                let bad = poll.reads.filter { $0.status != .ok }
                // Said once when the metrics become unreadable and once when they are back, not at every poll.
                if !bad.isEmpty != unreadable.value {
                    unreadable.value = !bad.isEmpty
                    progress.finish()
                    if unreadable.value {
                        printError("warning: t=\(SimDuration.seconds(poll.time)): " + bad.map { "\($0.signal) \($0.status.rawValue)\($0.detail.isEmpty ? "" : " (\($0.detail))")" }.joined(separator: "; ")
                                   + (poll.sample.metricsAvailable ? " — recorded" : " — the policies hold as upstream does; recorded"))
                    } else {
                        printError("note: t=\(SimDuration.seconds(poll.time)): every signal read again")
                    }
                }
                progress.status(String(format: "t=%@ ready %d  rate %.1f/s  cpu %.0f%%  %d decisions", SimDuration.seconds(poll.time).description,
                                     poll.sample.readyReplicas, poll.sample.arrivalRate, poll.sample.cpuUtilization * 100, poll.decisions.count))
            }
        }
        progress.finish()
        try? waitFor { await client.shutdown(); await actuator?.shutdown() }
        print("\(polls) polls recorded as run \(session.runID)\(Interrupt.isRequested ? " (ended early)" : "")")
        try LiveTable.print(store: store, run: session.runID)
        try LiveTable.printProblems(store: store, run: session.runID)
    }
}

/// The decisions per policy beside the real replicas, from what a session recorded.
enum LiveTable {
    /// The metrics server of a live session's run; nil for a simulated run.
    static func prometheus(of run: RunRecord) -> String? {
        let parameters = (try? JSONSerialization.jsonObject(with: Data(run.parameters.utf8))) as? [String: String]
        return parameters?["plan"] != nil ? parameters?["prometheus"] ?? "?" : nil
    }

    /// Reads that gave no number, counted by signal and status, and the actions by outcome.
    static func printProblems(store: ResultsStore, run: Int64) throws {
        let reads = try store.liveReads(run: run)
        let polls = Set(reads.map(\.time)).count
        let bad = Dictionary(grouping: reads.filter { $0.status != .ok }) { "\($0.signal) \($0.status.rawValue)" }
        Swift.print("\(polls) polls, \(reads.count) reads" + (bad.isEmpty ? ", every one a number" : "; without a number: "
                    + bad.keys.sorted().map { "\($0) ×\(bad[$0]!.count)" }.joined(separator: ", ")))
        let actions = try store.liveActions(run: run)
        if !actions.isEmpty {
            let outcomes = Dictionary(grouping: actions, by: \.outcome).mapValues(\.count)
            Swift.print("actions: " + outcomes.keys.sorted().map { "\(outcomes[$0]!) \($0)" }.joined(separator: ", "))
        }
    }

    static func print(store: ResultsStore, run: Int64) throws {
        let samples = try store.serviceSamples(run: run)
        let decisions = try store.decisions(run: run)
        let actions = try store.liveActions(run: run)
        let policies = Array(Set(decisions.map(\.policy))).sorted()
        var table = TextTable(["t", "ready", "rate/s", "cpu %"] + policies.map { "\($0) wants" } + (actions.isEmpty ? [] : ["action"]))
        var wanted: [String: Int] = [:]
        for s in samples {
            var changed = false
            for d in decisions where d.time == s.time {
                if wanted[d.policy] != d.final { changed = true }
                wanted[d.policy] = d.final
            }
            let acted = actions.filter { $0.time == s.time }
            // A row where something changed: the table is what happened, not every poll.
            guard changed || !acted.isEmpty || s.time == samples.first?.time || s.time == samples.last?.time else { continue }
            table.add([SimDuration.seconds(s.time).description, "\(s.readyReplicas)", String(format: "%.1f", s.arrivalRate),
                       String(format: "%.0f", s.cpuUtilization * 100)]
                      + policies.map { wanted[$0].map(String.init) ?? "–" }
                      + (actions.isEmpty ? [] : [acted.map { a in a.replica.map { "\(a.outcome) replace \($0)" } ?? "\(a.outcome) \(a.replicas)" }.joined(separator: ", ")]))
        }
        Swift.print(table.rendered)
    }
}

struct Shadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run policies side by side on live Prometheus metrics, acting on nothing; every read and decision is recorded.",
        discussion: """
        Every --interval the signals are read at one instant; unreadable, empty, NaN or stale reads are \
        recorded as such and each policy does what its upstream does (the HPA holds; KEDA's fallback). \
        --replay-session RUN re-runs a recorded session offline from its reads and counts decisions that differ.
        Example:
          \(CommandName.current) shadow --prometheus http://127.0.0.1:9090 --manifests k8s/ --policy predictive \\
            --signal rate='sum(rate(http_requests_total[1m]))' --signal cpu='…' --signal ready='…' --for 1h
        """)

    @OptionGroup var live: LiveSessionOptions

    @Option(help: ArgumentHelp("Replay this recorded session offline and count divergent decisions (exit 1 if any).", valueName: "run"))
    var replaySession: Int64?

    func run() throws {
        if let run = replaySession {
            let store = try ResultsStore.open(existing: live.database.db)
            let outcome = try SessionReplay.run(store: store, run: run)
            print("run \(run): \(outcome.polls) polls replayed, \(outcome.decisions) decisions\(outcome.replacements > 0 ? " and \(outcome.replacements) replacement\(outcome.replacements == 1 ? "" : "s")" : "") recorded, \(outcome.divergent.count) divergent")
            for d in outcome.divergent.prefix(5) {
                print("  #\(d.index): recorded \(d.recorded.map(Self.readable) ?? "nothing")\n       replayed \(d.replayed.map(Self.readable) ?? "nothing")")
            }
            if !outcome.divergent.isEmpty { throw ExitCode.gateFailed }
            return
        }
        let (plan, configuration, resuming) = try live.session(mode: "shadow")
        try live.run(plan, configuration, resuming: resuming, actuator: nil, safety: .init())
    }

    static func readable(_ line: String) -> String { line.replacingOccurrences(of: "\u{1f}", with: " | ") }
}

struct Control: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scale a real system with one policy on live metrics, through a command; a dry run unless --apply.",
        discussion: """
        The acting policy is the manifests' autoscaler, or the first --policy; the others run beside it in \
        shadow. In front of the actuator: bounds and the policy's own limits, --max-change-per-minute, and \
        --kill-switch (while the file exists nothing is done and the replicas are left as they are). An \
        --exec command runs without a shell; {replicas} and {service} are replaced inside its arguments. A \
        --webhook gets a JSON POST (action, reason, replicas, service, time) signed in the header \
        \(WebhookActuator.signatureHeader): sha256= and the hex HMAC-SHA256 of the body with the key in \
        --webhook-secret-file or \(WebhookActuator.secretVariable). With --replica-health, the self-healer replaces \
        a replica unhealthy for --replace-after through --exec-replace ({replica}: the series' pod or instance \
        label, refused unless a plain name) or the webhook (action replace-replica, naming the replica).
        Example:
          \(CommandName.current) control --prometheus http://127.0.0.1:9090 --manifests k8s/ --signal … \\
            --exec 'kubectl scale deployment/{service} --replicas={replicas}' --apply --kill-switch /tmp/stop-scaling
        """)

    @OptionGroup var live: LiveSessionOptions

    @Option(help: ArgumentHelp("The command that sets the replicas, e.g. 'kubectl scale deployment/{service} --replicas={replicas}'.", valueName: "template"))
    var exec: String?

    @Option(help: ArgumentHelp("The command that replaces one unhealthy replica (with --replica-health), e.g. 'kubectl delete pod {replica}'.", valueName: "template"))
    var execReplace: String?

    @Option(help: ArgumentHelp("Ask for each change with a signed JSON POST to this URL instead of a command.", valueName: "url"))
    var webhook: String?

    @Option(help: ArgumentHelp("The file holding the webhook's signing key (else $\(WebhookActuator.secretVariable)).", valueName: "file"))
    var webhookSecretFile: String?

    @Option(help: "How long the webhook's receiver has to answer.")
    var webhookTimeout = "10s"

    @Flag(help: "Act: without it every action is recorded as a dry run.")
    var apply = false

    @Option(help: ArgumentHelp("While this file exists, act on nothing.", valueName: "file"))
    var killSwitch: String?

    @Option(help: "At most this many replicas added or removed within any minute.")
    var maxChangePerMinute = 4

    func run() throws {
        var problems: [String] = []
        var actuator: (any Actuator)?
        if let template = exec {
            do { actuator = try ExecActuator(template: template, replaceTemplate: execReplace) } catch let e as LiveSessionError { problems += e.problems }
        }
        if let url = webhook {
            if let timeout = SimDuration(parsing: webhookTimeout)?.seconds {
                do { actuator = try WebhookActuator(url: url, secretFile: webhookSecretFile, timeout: timeout) }
                catch let e as LiveSessionError { problems += e.problems }
            } else { problems.append("--webhook-timeout \(webhookTimeout): not a duration") }
        }
        if exec == nil && webhook == nil { problems.append("how to act: --exec TEMPLATE or --webhook URL") }
        if exec != nil && webhook != nil { problems.append("--exec and --webhook: one actuator, not both") }
        if webhook == nil && webhookSecretFile != nil { problems.append("--webhook-secret-file needs --webhook") }
        if exec == nil && execReplace != nil { problems.append("--exec-replace needs --exec") }
        if !(1...10_000).contains(maxChangePerMinute) { problems.append("--max-change-per-minute must be 1…10000, not \(maxChangePerMinute)") }
        let planned: (SessionPlan, PrometheusClient.Configuration, Resumption?)?
        do { planned = try live.session(mode: "control") } catch let e as InputError { problems.append(e.description); planned = nil }
        guard problems.isEmpty, let (plan, configuration, resuming) = planned, let actuator else {
            try? waitFor { [actuator] in await actuator?.shutdown() }
            throw InputError(problems.joined(separator: "\n"))
        }
        if !apply { printError("note: a dry run: actions are recorded, none is made (--apply to act)") }
        try live.run(plan, configuration, resuming: resuming, actuator: actuator,
                     safety: .init(dryRun: !apply, killSwitch: killSwitch, maxChangePerMinute: maxChangePerMinute))
    }
}

/// A value the progress callback keeps between polls (it is called from one task, one poll at a time).
final class Remembered<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
