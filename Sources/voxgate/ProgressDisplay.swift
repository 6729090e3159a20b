import Foundation
import Synchronization
import VoxgateRun

/// A progress bar on a terminal (clips/s, hours, ETA); plain lines every few seconds otherwise (logs, cron).
final class ProgressDisplay: Sendable {
    private struct State {
        var lastDraw = -Double.infinity
        var last: IngestProgress?
    }
    private let enabled: Bool
    private let tty = Terminal.standardErrorIsTTY
    private let state = Mutex(State())

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: IngestProgress) {
        guard enabled else { return }
        let interval = tty ? 0.1 : 5.0
        let line: String? = state.withLock { s in
            s.last = p
            guard p.elapsed - s.lastDraw >= interval || p.done == p.total else { return nil }
            s.lastDraw = p.elapsed
            return render(p)
        }
        guard let line else { return }
        if tty { Terminal.standardErrorInPlace(line) } else { Terminal.standardError(line) }
    }

    func finish() {
        guard enabled, tty else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func render(_ p: IngestProgress) -> String {
        let rate = p.elapsed > 0 ? Double(p.done) / p.elapsed : 0
        let eta = rate > 0 ? Double(p.total - p.done) / rate : .infinity
        let hours = String(format: "%.3f h", p.audioSeconds / 3600)
        let stats =
            "\(p.done)/\(p.total) clips  \(String(format: "%.1f", rate)) clips/s  \(hours) audio  "
            + "\(p.accepted) accepted  ETA \(Terminal.clock(eta))"
        guard tty else { return "progress: " + stats }
        let width = 24
        let filled = p.total == 0 ? width : width * p.done / p.total
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + stats
    }
}
