import Crypto
import Foundation
import VoxgateAudio
import VoxgateCorpus

/// SHA-256 of a file's bytes, read in 1 MiB chunks: how the ledger tells an unchanged upload from one
/// replaced with the same size and modification time (`--verify-hashes`).
public enum FileDigest {
    /// Lowercase hex, or nil when the file cannot be read.
    public static func sha256(path: String) -> String? {
        // Only a regular file: a named pipe or a device would block or never end.
        guard let fd = try? RegularFile.open(path) else { return nil }
        defer { close(fd) }
        // An uninitialised 256 kB buffer per call: uploads are mostly tens of kB, and zeroing (or allocating) a
        // MiB for each was a measurable share of a run (issue 18).
        return withUnsafeTemporaryAllocation(byteCount: 1 << 18, alignment: 64) { chunk -> String? in
            var hasher = SHA256()
            while true {
                let n = read(fd, chunk.baseAddress!, chunk.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                if n == 0 { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            }
            return hasher.finalize().hexLowercased
        }
    }

    /// SHA-256 of `size` bytes at `offset` of the file (a shard member's content), lowercase hex; nil when the
    /// file cannot be read or holds fewer bytes.
    public static func sha256(path: String, offset: Int, size: Int) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else { return nil }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: min(max(size, 1), 1 << 20))
        var remaining = size
        while remaining > 0 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, min(remaining, $0.count)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            remaining -= n
        }
        return hasher.finalize().hexLowercased
    }

    /// SHA-256 of bytes in memory, lowercase hex.
    public static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexLowercased }

    /// SHA-256 of a file read whole (``FileImage``), lowercase hex.
    static func sha256(_ image: FileImage) -> String { SHA256.hash(data: image.bytes).hexLowercased }
}
