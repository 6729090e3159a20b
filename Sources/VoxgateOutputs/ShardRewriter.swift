import Foundation
package import VoxgateCorpus
import VoxgatePipeline

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

    /// Rewrites `path` without the samples whose key is in `removing`. The released shard is an input here:
    /// it is verified against the SHA-256 its ledger recorded (`sha256`) before a byte of it is copied, so a
    /// damaged member is never carried into the new shard.
    /// - Returns: the new shard's figures, or nil when no sample is left (the shard is to be deleted).
    package static func rewrite(_ path: String, removing: Set<String>, sha256: String?) throws(RunError) -> Result? {
        if let sha256, FileDigest.sha256(path: path) != sha256 {
            throw RunError(
                .ledgerUnusable,
                "the released shard '\(path)' was changed outside voxgate (its SHA-256 is not the one the ledger "
                    + "recorded); a withdrawal must rewrite it, and a damaged member is never copied: restore the shard "
                    + "from a backup, then rerun", path: path)
        }
        let members = try TarIndex.members(
            of: path, code: .ledgerUnusable,
            remedy: "the released shard was changed outside voxgate: restore it from a backup")
        let kept = members.filter { !removing.contains(TarIndex.key(of: $0.name)) }
        guard !kept.isEmpty else { return nil }
        let out = try AtomicFile(path: path, hashing: true)
        for m in kept {
            try out.copy(from: path, offset: m.offset - Tar.blockSize, size: Tar.memberSize(m.size))
        }
        try out.write(Tar.trailer)
        try out.seal()
        return Result(
            samples: Set(kept.map { TarIndex.key(of: $0.name) }).count, bytes: out.bytesWritten, sha256: out.sha256())
    }
}
