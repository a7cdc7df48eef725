import Foundation

/// Runs async work (gnuplot through swift-subprocess) from a synchronous command and waits for it.
/// Commands run on the main thread, which is not one of the concurrency pool's threads, so waiting here
/// cannot starve the work it waits for.
func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { outcome.set(.success(try await work())) } catch { outcome.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try outcome.value!.get()
}

/// The result handed from the task to the waiting thread.
private final class Outcome<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.lock(); result = r; lock.unlock() }
    var value: Result<T, any Error>? { lock.lock(); defer { lock.unlock() }; return result }
}
