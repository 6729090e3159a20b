import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

extension Merge {
    /// One partition shard member to verify before the merge copies it.
    struct MemberCheck: Sendable {
        var clip, partition, folder, shard, name: String
        var offset, size: Int
        var sha256: String?
    }

    /// Checks every member `partition` released against the SHA-256 its ledger recorded when it was written,
    /// one shard at a time (the shard's members hashed on every core): a missing or damaged member refuses the
    /// whole merge, before anything is written.
    static func verifyMembers(of partition: PartitionClips) async throws(RunError) {
        let dir = partition.folder
        for shard in try partition.ledger.shards() {
            let placed = try partition.ledger.clips(inShard: shard.path).filter {
                partition.partition.contains($0.path)
            }
            guard !placed.isEmpty else { continue }
            let index = try TarIndex.audio(of: dir + "/" + shard.path)
            var members: [MemberCheck] = []
            for record in placed {
                guard let key = record.member, let m = index[key] else {
                    throw RunError(
                        .inputDamaged,
                        "partition \(partition.name) ('\(dir)'): shard '\(shard.path)' lacks the member "
                            + "'\(record.member ?? "?")' its ledger records for '\(record.path)'; nothing was published: "
                            + "copy that partition folder again, or rerun that partition", path: dir + "/" + shard.path)
                }
                members.append(
                    MemberCheck(
                        clip: record.path, partition: partition.name, folder: dir, shard: shard.path, name: m.name,
                        offset: m.offset, size: m.size, sha256: record.audioSha256))
            }
            let verdicts = await Concurrent.map(members) { m in
                FileDigest.sha256(path: m.folder + "/" + m.shard, offset: m.offset, size: m.size)
            }
            // Members with no hash of their own (released before member hashes were recorded) stand when their
            // whole shard matches the SHA-256 its partition's ledger recorded for it.
            var shardIntact = false
            if members.contains(where: { $0.sha256 == nil }) {
                let whole = await Concurrent.map([dir + "/" + shard.path]) {
                    FileDigest.sha256(path: $0)
                }
                shardIntact = whole.first.flatMap { $0 } == shard.sha256
            }
            for (m, got) in zip(members, verdicts) {
                guard let want = m.sha256 ?? (shardIntact ? got : nil), got == want else {
                    throw RunError(
                        .inputDamaged,
                        "partition \(m.partition) ('\(m.folder)'): shard '\(m.shard)' member '\(m.name)' "
                            + (m.sha256 == nil
                                ? "has no SHA-256 of its own (released by an older voxgate) and its shard does not match "
                                    + "the SHA-256 recorded for the whole shard; nothing was published: copy that partition "
                                    + "folder again from its source, or rerun that partition with --force"
                                : "does not match the SHA-256 recorded when it was written (recorded \(m.sha256!), now "
                                    + "\(got ?? "unreadable")); nothing was published: copy that partition folder "
                                    + "again from its source, or rerun that partition"),
                        path: m.folder + "/" + m.shard)
                }
            }
        }
    }
}

/// Walks the upload tree beside the partitions' clips, both in path order: every clip of the tree must be one
/// a partition decided, unchanged since (a merge decodes nothing, so it decides what the partitions saw).
struct TreeAlignment {
    let tree: CorpusInput
    /// The partition count (for messages).
    let partitions: Int
    private var index = 0

    init(tree: CorpusInput, partitions: Int) {
        self.tree = tree
        self.partitions = partitions
    }

    /// The tree's clip at `record`'s path, or nil when its upload is gone (a clip only the ledger knows).
    mutating func source(of record: ClipRecord) throws(RunError) -> ClipSource? {
        if index < tree.clips.count, tree.clips[index].clip.utf8.lexicographicallyPrecedes(record.path.utf8) {
            throw undecided(tree.clips[index])
        }
        guard index < tree.clips.count, tree.clips[index].clip.utf8.elementsEqual(record.path.utf8) else { return nil }
        let clip = tree.clips[index]
        index += 1
        let stat = IncrementalPlan.stamps(of: clip).file  // as the merge's listing found it
        guard stat.size == record.size, stat.mtimeNs == record.mtimeNs else {
            throw RunError(
                .inputUnusable,
                "'\(clip.clip)' changed after partition \(Partition.of(clip.clip, count: partitions))/\(partitions) decided "
                    + "it; rerun that partition, then merge", path: clip.path)
        }
        return clip
    }

    /// After the partitions' last clip: a clip of the tree left over was decided by no partition.
    func finish() throws(RunError) {
        if index < tree.clips.count { throw undecided(tree.clips[index]) }
    }

    private func undecided(_ clip: ClipSource) -> RunError {
        let expected = Partition.of(clip.clip, count: partitions)
        return RunError(
            .inputUnusable,
            "'\(clip.clip)' was decided by no partition (it belongs to partition \(expected)/\(partitions), "
                + "which ran before it was uploaded); rerun that partition, then merge", path: clip.path)
    }
}
