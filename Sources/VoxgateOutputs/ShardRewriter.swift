import Foundation
import VoxgateCorpus

/// Removes samples from a released shard: the only change a sealed shard ever gets (a withdrawal, or a
/// clip re-decided as rejected). The shard is copied member by member, without the removed samples'
/// members, into `<shard>.partial`, sealed, and left for the run's ledger commit to rename into place.
/// Audio is never re-encoded: kept members (header and padded content) are copied byte for byte, in order.
enum ShardRewriter {
    struct Result {
        var samples: Int
        var bytes: Int
        var sha256: String
    }

    /// Rewrites `path` without the samples whose key is in `removing`.
    /// - Returns: the new shard's figures, or nil when no sample is left (the shard is to be deleted).
    static func rewrite(_ path: String, removing: Set<String>) throws(RunError) -> Result? {
        let members = try TarIndex.members(
            of: path, code: .ledgerUnusable, remedy: "the released shard was changed outside voxgate: restore it from a backup")
        let kept = members.filter { !removing.contains(TarIndex.key(of: $0.name)) }
        guard !kept.isEmpty else { return nil }
        let out = try AtomicFile(path: path, hashing: true)
        for m in kept {
            try out.copy(from: path, offset: m.offset - Tar.blockSize, size: Tar.memberSize(m.size))
        }
        try out.write(Tar.trailer)
        try out.seal()
        return Result(samples: Set(kept.map { TarIndex.key(of: $0.name) }).count, bytes: out.bytesWritten, sha256: out.sha256())
    }
}
