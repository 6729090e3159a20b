import Foundation
import VoxgateCorpus

/// Removes samples from a released shard: the only change a sealed shard ever gets (a withdrawal, or a
/// clip re-decided as rejected). The shard is copied member by member, without the removed samples'
/// members, into `<shard>.partial`, sealed, and left for the run's ledger commit to rename into place.
/// Audio is never re-encoded: kept members are copied byte for byte, in their order.
enum ShardRewriter {
    struct Result {
        var samples: Int
        var bytes: Int
        var sha256: String
    }

    /// Rewrites `path` without the samples whose key is in `removing`.
    /// - Returns: the new shard's figures, or nil when no sample is left (the shard is to be deleted).
    static func rewrite(_ path: String, removing: Set<String>) throws(RunError) -> Result? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.posix("cannot open released shard", path: path) }
        defer { close(fd) }
        let out = try AtomicFile(path: path, hashing: true)
        var keys = Set<String>()
        var header = [UInt8](repeating: 0, count: Tar.blockSize)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            try readExactly(fd, into: &header, count: Tar.blockSize, path: path)
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            let sizeField = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 32 }, as: UTF8.self)
            guard let size = Int(sizeField, radix: 8) else {
                throw RunError(
                    .ledgerUnusable,
                    "released shard '\(path)' has a damaged member header (\(name)); restore it from a backup", path: path)
            }
            let key = String(name.prefix { $0 != "." })
            let keep = !removing.contains(key)
            if keep {
                try out.write(header)
                keys.insert(key)
            }
            var remaining = (size + Tar.blockSize - 1) / Tar.blockSize * Tar.blockSize
            while remaining > 0 {
                let n = min(remaining, chunk.count)
                try readExactly(fd, into: &chunk, count: n, path: path)
                if keep {
                    let written = chunk.withUnsafeBytes { raw in
                        Swift.Result { () throws(RunError) in try out.write(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
                    }
                    try written.get()
                }
                remaining -= n
            }
        }
        guard !keys.isEmpty else { return nil }  // `out` is abandoned: its partial file removes itself
        try out.write(Tar.trailer)
        try out.seal()
        return Result(samples: keys.count, bytes: out.bytesWritten, sha256: out.sha256())
    }

    private static func readExactly(_ fd: Int32, into buffer: inout [UInt8], count: Int, path: String) throws(RunError) {
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw n < 0
                    ? RunError.posix("cannot read released shard", path: path)
                    : RunError(
                        .ledgerUnusable,
                        "released shard '\(path)' ends early (truncated outside voxgate); restore it from a backup",
                        path: path)
            }
            got += n
        }
    }
}
