import Foundation
public import VoxgateCorpus

/// One run at a time per output folder: an exclusive `flock(2)` on `<out>/.voxgate.lock`, held for the
/// whole run. The kernel releases it when the process ends, however it ends, so a lock left by a killed
/// run is simply taken over; the file's content (PID and start time) only names the holder in the
/// message a second run prints.
public final class RunLock {
    public static let fileName = ".voxgate.lock"
    private let fd: Int32

    /// Takes the lock or throws at once, naming the run that holds it.
    public init(output: String) throws(RunError) {
        let path = output + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.posix("cannot create the lock file", path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw RunError(
                .busy,
                "another voxgate run is writing to '\(output)' (\(holder.isEmpty ? "holder unknown" : holder)); "
                    + "wait for it to finish, or choose another --out", path: path)
        }
        let stamp = "pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = stamp.withCString { write(fd, $0, strlen($0)) }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
