import ArgumentParser
import Dispatch
import Foundation
import VoxgateOutputs

/// Turns SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) into task cancellation, so an interrupted run stops its workers, removes
/// its partial files (each writer deletes its `.partial` file when abandoned) and exits 130,
/// instead of dying mid-write.
enum Interruption {
    /// How long the workers may take to stop after SIGINT/SIGTERM/SIGHUP before the process exits anyway.
    static let stopGrace: Double = 10

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
                // A worker stuck in a system call cannot see the cancellation: the run ends regardless.
                DispatchQueue.global().asyncAfter(deadline: .now() + stopGrace) {
                    PartialFiles.removeAll()
                    Terminal.standardError(
                        "voxgate: the workers did not stop within \(Int(stopGrace)) s; exiting now (files being "
                            + "written were removed; the next run removes any other partial file)")
                    exit(ExitCodes.interrupted.rawValue)
                }
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await task.value
    }
}
