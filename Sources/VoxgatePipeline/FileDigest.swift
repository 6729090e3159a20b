import Crypto
import Foundation
import VoxgateAudio

/// SHA-256 of a file's bytes, read in 1 MiB chunks: how the ledger tells an unchanged upload from one
/// replaced with the same size and modification time (`--verify-hashes`).
public enum FileDigest {
    /// Lowercase hex, or nil when the file cannot be read.
    public static func sha256(path: String) -> String? {
        // Only a regular file: a named pipe or a device would block or never end.
        guard let fd = try? RegularFile.open(path) else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
