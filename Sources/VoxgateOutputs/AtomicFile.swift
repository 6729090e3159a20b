import Crypto
import Foundation
package import VoxgateCorpus

/// A file written under a temporary name and renamed into place only when complete and on disk
/// (write, `fsync`, `rename`, `fsync` of the directory): a reader sees the whole file or none of it.
package final class AtomicFile {
    /// The suffix of files still being written; stale ones (from a killed run) are removed at start.
    package static let partialSuffix = ".partial"

    let path: String
    let partialPath: String
    private let fd: Int32
    private(set) var bytesWritten = 0
    private var done = false
    private var hasher: SHA256?
    /// Small writes, gathered and written a block at a time (a decision or split line per clip was a system call per
    /// clip). Small: a run may hold a file open per language and split.
    private var pending: [UInt8] = []
    static let blockSize = 8192

    /// Creates `<path>.partial`, replacing a stale one.
    /// - Parameter hashing: keep a SHA-256 of the content (``sha256``).
    init(path: String, hashing: Bool = false) throws(RunError) {
        self.path = path
        if hashing { hasher = SHA256() }
        self.partialPath = path + Self.partialSuffix
        let fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.posix("cannot create", path: partialPath) }
        self.fd = fd
        PartialFiles.opened(partialPath)
    }

    deinit {
        if !done {  // abandoned: never leave a partial file behind
            close(fd)
            unlink(partialPath)
            PartialFiles.closed(partialPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(RunError) {
        bytesWritten += bytes.count
        hasher?.update(bufferPointer: bytes)
        if pending.count + bytes.count <= Self.blockSize {
            pending.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count < Self.blockSize {
            pending.append(contentsOf: bytes)
        } else {
            try writeOut(bytes)
        }
    }

    /// Writes what ``write(_:)`` gathered.
    private func flush() throws(RunError) {
        guard !pending.isEmpty else { return }
        let result = pending.withUnsafeBytes { raw in Result { () throws(RunError) in try writeOut(raw) } }
        pending.removeAll(keepingCapacity: true)
        try result.get()
    }

    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(RunError) {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw RunError.posix("cannot write", path: partialPath)
            }
            offset += n
        }
    }

    /// SHA-256 of what was written, lowercase hex (only for a file created with `hashing`).
    func sha256() -> String {
        (hasher?.finalize()).map { $0.hexLowercased } ?? ""
    }

    func write(_ bytes: [UInt8]) throws(RunError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(RunError) in try write(raw) } }
        try result.get()
    }

    func write(_ text: String) throws(RunError) { try write(Array(text.utf8)) }

    /// Appends exactly `size` bytes of the file at `path`, in 1 MiB chunks.
    /// - Returns: the SHA-256 of the bytes copied, lowercase hex, when `hashing` (else "").
    /// - Throws: when the file cannot be read or no longer has `size` bytes (changed during the run).
    @discardableResult
    func copy(from path: String, offset: Int = 0, size: Int, hashing: Bool = false) throws(RunError) -> String {
        var member: SHA256? = hashing ? SHA256() : nil
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw RunError.posix("cannot reopen upload", path: path) }
        defer { close(source) }
        if offset > 0, lseek(source, off_t(offset), SEEK_SET) < 0 { throw RunError.posix("cannot seek in", path: path) }
        var chunk = [UInt8](repeating: 0, count: min(size, 1 << 20))
        var remaining = size
        while remaining > 0 {
            let n = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress!, min(remaining, $0.count)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw n < 0
                    ? RunError.posix("cannot read upload", path: path)
                    : RunError(
                        .outputUnusable,
                        "'\(path)' shrank while voxgate was reading it; rerun when uploads are complete", path: path)
            }
            let written = chunk.withUnsafeBytes { raw in
                Result { () throws(RunError) in try write(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
            }
            try written.get()
            chunk.withUnsafeBytes { member?.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            remaining -= n
        }
        return (member?.finalize()).map { $0.hexLowercased } ?? ""
    }

    /// Flushes to disk and renames into place.
    func commit() throws(RunError) {
        try flush()
        guard fsync(fd) == 0 else { throw RunError.posix("cannot flush", path: partialPath) }
        close(fd)
        done = true
        PartialFiles.closed(partialPath)
        guard rename(partialPath, path) == 0 else {
            let error = RunError.posix("cannot rename into place", path: path)
            unlink(partialPath)
            throw error
        }
        Self.syncDirectory(of: path)
    }

    /// Flushes to disk and closes, leaving the file under its `.partial` name: its rename is owed by the
    /// run's ledger commit (``renameIntoPlace(_:)``), or it is removed if the run does not commit.
    func seal() throws(RunError) {
        try flush()
        guard fsync(fd) == 0 else { throw RunError.posix("cannot flush", path: partialPath) }
        close(fd)
        done = true
        PartialFiles.closed(partialPath)  // from now on its rename or removal is the ledger's business
    }

    /// Moves a sealed `<path>.partial` into place; true when it was there to move.
    @discardableResult
    static func renameIntoPlace(_ path: String) throws(RunError) -> Bool {
        let partial = path + partialSuffix
        guard FileManager.default.fileExists(atPath: partial) else { return false }
        guard rename(partial, path) == 0 else { throw RunError.posix("cannot rename into place", path: path) }
        syncDirectory(of: path)
        return true
    }

    /// Writes a whole file atomically, creating its folder first when it is missing.
    package static func write(_ bytes: [UInt8], creatingFolderOf path: String) throws(RunError) {
        try createFolder(of: path)
        let file = try AtomicFile(path: path)
        try file.write(bytes)
        try file.commit()
    }

    /// Creates the folder `path` is to be written in (and the folders above it), when missing.
    static func createFolder(of path: String) throws(RunError) {
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            // Another writer (a language's manifests beside another's) may have made it in between.
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(
                atPath: (path as NSString).deletingLastPathComponent, isDirectory: &isFolder), isFolder.boolValue
            {
                return
            }
            throw RunError(.outputUnusable, "cannot create the folder of '\(path)' (\(error))", path: path)
        }
    }

    /// Writes a whole small file atomically.
    package static func write(_ text: String, to path: String) throws(RunError) {
        let file = try AtomicFile(path: path)
        try file.write(text)
        try file.commit()
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

extension RunError {
    /// An output failure with the C library's reason for `errno`.
    package static func posix(_ what: String, path: String) -> RunError {
        let reason = String(cString: strerror(errno))
        return RunError(
            .outputUnusable,
            "\(what) '\(path)': \(reason); check free space and permissions of the output folder", path: path)
    }
}

/// The `.partial` files this process is writing (not yet renamed or sealed), so that a process that must exit at
/// once (the SIGTERM watchdog) leaves none behind. A sealed file is not listed: the ledger's commit may owe its
/// rename.
public enum PartialFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    static func opened(_ path: String) {
        lock.lock()
        paths.insert(path)
        lock.unlock()
    }

    static func closed(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Removes every `.partial` file still being written.
    public static func removeAll() {
        lock.lock()
        for path in paths { unlink(path) }
        paths.removeAll()
        lock.unlock()
    }
}
