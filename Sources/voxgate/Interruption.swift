import Dispatch
import Foundation

/// Turns SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) into task cancellation, so an interrupted run stops its workers, removes
/// its partial files (each writer deletes its `.partial` file when abandoned) and exits 130,
/// instead of dying mid-write.
enum Interruption {
    /// Runs `work` in a task that SIGINT/SIGTERM/SIGHUP cancel.
    static func cancellingOnSignals<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await work() }
        let sources = [SIGINT, SIGTERM, SIGHUP].map { signo -> any DispatchSourceSignal in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                Terminal.standardError("")
                Terminal.standardError("voxgate: interrupted; stopping the workers and removing partial files")
                task.cancel()
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await task.value
    }
}
