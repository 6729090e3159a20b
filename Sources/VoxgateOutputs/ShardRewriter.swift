import Crypto
import Foundation
package import VoxgateCorpus

/// Removes samples from a released shard: the only change a sealed shard ever gets (a withdrawal, or a
/// clip re-decided as rejected). The shard is copied member by member, without the removed samples'
/// members, into `<shard>.partial`, sealed, and left for the run's ledger commit to rename into place.
/// Audio is never re-encoded: kept members (header and padded content) are copied byte for byte, in order.
package enum ShardRewriter {
    package struct Result {
        package var samples: Int
        package var bytes: Int
        package var sha256: String
    }

    /// Rewrites `path` without the samples whose key is in `removing`. The released shard is an input here: it is
    /// read once, front to back, every byte hashed and compared at the end with the SHA-256 its ledger recorded
    /// (`sha256`), while the kept members are copied as they pass. A damaged shard leaves no rewrite behind (the
    /// `.partial` goes), so a damaged member is never carried into a release.
    /// - Returns: the new shard's figures, or nil when no sample is left (the shard is to be deleted).
    package static func rewrite(_ path: String, removing: Set<String>, sha256: String?) throws(RunError) -> Result? {
        let members = try TarIndex.members(
            of: path, code: .ledgerUnusable,
            remedy: "the released shard was changed outside voxgate: restore it from a backup")
        let kept = members.filter { !removing.contains(TarIndex.key(of: $0.name)) }
        let out = kept.isEmpty ? nil : try AtomicFile(path: path, hashing: true)
        let ranges = kept.map { ($0.offset - Tar.blockSize, Tar.memberSize($0.size)) }.sorted { $0.0 < $1.0 }
        let digest = try copy(path, ranges: ranges, into: out, hashing: sha256 != nil)
        if let sha256, digest != sha256 {
            throw RunError(
                .ledgerUnusable,
                "the released shard '\(path)' was changed outside voxgate (its SHA-256 is not the one the ledger "
                    + "recorded); a withdrawal must rewrite it, and a damaged member is never copied: restore the shard "
                    + "from a backup, then rerun", path: path)
        }
        guard let out else { return nil }
        try out.write(Tar.trailer)
        try out.seal()
        return Result(
            samples: Set(kept.map { TarIndex.key(of: $0.name) }).count, bytes: out.bytesWritten, sha256: out.sha256())
    }

    /// Reads `path` whole, in 1 MiB chunks, writing the bytes of `ranges` (offset, size; in file order) to `out`.
    /// - Returns: the SHA-256 of the whole file, lowercase hex, when `hashing` (else "").
    private static func copy(
        _ path: String, ranges: [(offset: Int, size: Int)], into out: AtomicFile?, hashing: Bool
    ) throws(RunError) -> String {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw RunError.posix("cannot open the released shard", path: path) }
        defer { close(source) }
        var hasher: SHA256? = hashing ? SHA256() : nil
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var (position, r) = (0, 0)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw RunError.posix("cannot read the released shard", path: path) }
            if n == 0 { break }
            let end = position + n
            let copied = chunk.withUnsafeBytes { bytes in
                Swift.Result { () throws(RunError) in
                    let got = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
                    hasher?.update(bufferPointer: got)
                    guard let out else { return }
                    // Every kept range that overlaps [position, end), in order; a range may span chunks.
                    var k = r
                    while k < ranges.count, ranges[k].offset < end {
                        let from = max(ranges[k].offset, position)
                        let to = min(ranges[k].offset + ranges[k].size, end)
                        if from < to {
                            try out.write(UnsafeRawBufferPointer(rebasing: got[(from - position)..<(to - position)]))
                        }
                        if ranges[k].offset + ranges[k].size <= end { r = k + 1 }
                        k += 1
                    }
                }
            }
            try copied.get()
            position = end
        }
        if let last = ranges.last, last.offset + last.size > position {
            throw RunError(
                .ledgerUnusable,
                "the released shard '\(path)' is shorter than its members say (changed outside "
                    + "voxgate); restore it from a backup, then rerun", path: path)
        }
        return (hasher?.finalize()).map { $0.hexLowercased } ?? ""
    }
}
