import DequeModule
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SimulationKernel

/// The testbed's worker: a small HTTP service on 127.0.0.1 whose requests cost what its
/// ``WorkerConfiguration`` says, serving `concurrency` at once and queueing the rest.
///
/// Routes: `/metrics` (Prometheus text), `/ready` (200 once start-up is over, else 503), `POST /chaos`
/// (slow it or make it fail, see ``WorkerChaos``); every other path is a request to serve.
///
/// One event loop owns all state; the CPU share of a request's work spins on a thread pool so the loop
/// keeps answering `/metrics` while the worker is busy.
public final class WorkerServer: @unchecked Sendable {
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let channel: Channel
    private let state: WorkerState

    /// Starts serving on `127.0.0.1:port` (0: a port the kernel picks; read it from ``port``).
    public init(_ configuration: WorkerConfiguration, port: Int = 0) throws {
        if let problem = configuration.problems.first { throw TestbedError("worker: \(problem)") }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        pool = NIOThreadPool(numberOfThreads: min(configuration.concurrency, 8))
        pool.start()
        let state = WorkerState(configuration, loop: group.next(), pool: pool)
        self.state = state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(WorkerHandler(state: state))
                }
            }
        do {
            channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        } catch {
            try? group.syncShutdownGracefully(); try? pool.syncShutdownGracefully()
            throw TestbedError("worker: cannot listen on 127.0.0.1:\(port): \(error)")
        }
        self.port = channel.localAddress?.port ?? port
    }

    /// Stops taking connections, lets the requests it holds finish (at most `drain` seconds), and ends.
    public func stop(drain: Double = 10) {
        try? channel.close().wait()
        let deadline = Date().addingTimeInterval(drain)
        let loop = state.loop, state = self.state
        while Date() < deadline, let held = try? loop.submit({ state.busy + state.queue.count }).wait(), held > 0 {
            usleep(20_000)
        }
        try? group.syncShutdownGracefully()
        try? pool.syncShutdownGracefully()
    }
}

/// A request waiting for, or holding, a slot.
struct WorkerJob {
    let received: Double
    let answer: (Int) -> Void
}

/// Everything the worker knows; touched only on `loop`.
final class WorkerState {
    let configuration: WorkerConfiguration
    let loop: EventLoop
    let pool: NIOThreadPool
    var random: RandomStream
    var chaos = WorkerChaos()
    var metrics = WorkerMetrics()
    var busy = 0
    /// Σ start times of the requests being served, so busy time is known in O(1) at any instant.
    var startedSum = 0.0
    var queue = Deque<WorkerJob>()
    let started = WorkerState.now()
    let startedWall = Date().timeIntervalSince1970

    init(_ configuration: WorkerConfiguration, loop: EventLoop, pool: NIOThreadPool) {
        self.configuration = configuration; self.loop = loop; self.pool = pool
        random = RandomStream(seed: configuration.seed, name: "worker")
    }

    /// Monotonic seconds.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    var ready: Bool { Self.now() - started >= configuration.startupDelay }

    /// A request to serve: a free slot takes it, else the queue, else it is turned away with 503.
    func admit(_ answer: @escaping (Int) -> Void) {
        let job = WorkerJob(received: Self.now(), answer: answer)
        guard ready else { finish(job, code: 503); return }
        if busy < configuration.concurrency { begin(job) }
        else if queue.count < configuration.queueLimit { queue.append(job) }
        else { finish(job, code: 503) }
    }

    private func begin(_ job: WorkerJob) {
        let start = Self.now()
        busy += 1; startedSum += start
        let work = configuration.work.sample(&random) * chaos.slow
        let cpu = work * configuration.cpuShare
        let fails = random.uniform() < chaos.fail
        let waitPart = TimeAmount.nanoseconds(Int64(max(0, work - cpu) * 1e9))
        let end: () -> Void = { [self] in
            busy -= 1; startedSum -= start
            metrics.finishedBusySeconds += Self.now() - start
            finish(job, code: fails ? 500 : 200)
            if let next = queue.popFirst() { begin(next) }
        }
        if cpu > 0 {
            pool.runIfActive(eventLoop: loop) { Self.spin(cpu) }.whenComplete { [loop] _ in
                loop.scheduleTask(in: waitPart, end)
            }
        } else {
            loop.scheduleTask(in: waitPart, end)
        }
    }

    private func finish(_ job: WorkerJob, code: Int) {
        metrics.record(code: code, duration: Self.now() - job.received)
        job.answer(code)
    }

    var busySeconds: Double { metrics.finishedBusySeconds + Double(busy) * Self.now() - startedSum }

    func metricsText() -> String {
        metrics.text(inFlight: busy, queueDepth: queue.count, busySeconds: busySeconds, slots: configuration.concurrency,
                     ready: ready, startTime: startedWall)
    }

    /// Keeps a CPU busy for `seconds` of wall time (less CPU time when the machine is shared).
    static func spin(_ seconds: Double) {
        let end = now() + seconds
        var x = 1.0
        while now() < end { for i in 1...200 { x = (x + Double(i)).squareRoot() } }
        if x.isNaN { print(x) }  // keeps the loop from being optimised away
    }
}

/// One connection's requests, one at a time (the pipeline's pipelining assistance orders them).
final class WorkerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: WorkerState
    private var head: HTTPRequestHead?

    init(state: WorkerState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            route(head, context)
        }
    }

    private func route(_ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let parts = head.uri.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts.first ?? "/", query = parts.count > 1 ? parts[1] : ""
        switch path {
        case "/metrics":
            answer(context, head, .ok, state.metricsText(), type: "text/plain; version=0.0.4")
        case "/ready":
            answer(context, head, state.ready ? .ok : .serviceUnavailable, state.ready ? "ready\n" : "starting\n")
        case "/chaos":
            guard head.method == .POST else { answer(context, head, .ok, "slow=\(state.chaos.slow) fail=\(state.chaos.fail)\n"); return }
            switch WorkerChaos.parse(query: query) {
            case .success(let chaos):
                state.chaos = chaos
                answer(context, head, .ok, "slow=\(chaos.slow) fail=\(chaos.fail)\n")
            case .failure(let problem):
                answer(context, head, .badRequest, problem.description + "\n")
            }
        default:
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            state.admit { [self] code in
                let context = loopBound.value
                guard context.channel.isActive else { return }
                answer(context, head, HTTPResponseStatus(statusCode: code), code == 200 ? "ok\n" : "\(code)\n")
            }
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: String,
                        type: String = "text/plain") {
        let keepAlive = head.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}
