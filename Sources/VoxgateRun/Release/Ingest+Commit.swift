import Foundation
import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The commit: from here on the run counts, and what it owes the folder is journaled.
extension Ingest {
    /// Commits the run's one ledger transaction (its records, staged by the books, the withdrawals to audit, the
    /// shards it sealed and rewrote, and the renames and deletions it owes the folder), then applies those.
    /// - Returns: the run's id in the ledger.
    static func commit(_ job: ReleaseJob, books: inout RunBooks, decided: Decided) throws -> Int64 {
        let (options, plan, ledger, log) = (job.options, job.plan, job.ledger, job.options.logger)
        var change = try books.change(
            run: RunRecord(
                started: Timestamp.iso(job.started), ended: Timestamp.iso(Date()), version: VoxgateVersion.current,
                configHash: ConfigHash.of(options.config), inputsHash: job.inputsHash, root: options.root,
                clips: plan.sources.count,
                decoded: books.decoded, reused: plan.sources.count - books.decoded, accepted: decided.accepted,
                rejected: plan.sources.count - decided.accepted, newShards: decided.sealed.count,
                rewrittenShards: decided.rewrites.count, withdrawnClips: books.newlyWithdrawnClips,
                basisHash: job.basisHash),
            listedWithdrawals: job.withdrawals.clientIDs, earlierWithdrawn: job.withdrawals.speakerHashes)
        carry(job, books: books, into: &change)
        record(decided, released: job.releasedShards, into: &change)
        let runID = try StageClock.measure(.ledger) { () throws(RunError) in try ledger.commit(change) }
        for w in change.withdrawals {
            log.notice(
                "withdrawal recorded", metadata: ["clips": "\(w.clips)", "shards": "\(w.shards)", "run": "\(runID)"])
        }
        log.info(
            "committed",
            metadata: [
                "run": "\(runID)", "new_shards": "\(decided.sealed.count)",
                "rewritten_shards": "\(decided.rewrites.count)",
                "clips_recorded": "\(books.recorded + change.clips.count)",
            ])
        try OutputFolder.applyPending(ledger, output: options.output)
        return runID
    }

    /// What the change carries besides the books' records: the rows of moved clips and legacy paths deleted,
    /// legacy records carried to their clip paths that nothing else rewrote, and the withdrawal audits carried over.
    static func carry(_ job: ReleaseJob, books: RunBooks, into change: inout LedgerChange) {
        change.deletedClips = job.moved.map(\.path) + job.legacy.deleted
        for path in job.legacy.carried where !books.writtenWatched.contains(path) {
            if let record = job.plan.records?[path] { change.clips.append(record) }
        }
        for w in job.carriedWithdrawals where !change.withdrawals.contains(where: { $0.speakerHash == w.speakerHash }) {
            change.withdrawals.append(w)
        }
    }

    /// The shards of the change and the file operations the commit journals: new shards and their `terms.json`
    /// renamed into place, rewritten shards renamed over the released ones, emptied shards deleted.
    static func record(_ decided: Decided, released: [ShardRecord], into change: inout LedgerChange) {
        let byPath = Dictionary(uniqueKeysWithValues: released.map { ($0.path, $0) })
        for shard in decided.sealed {
            change.shards.append(
                ShardRecord(
                    path: shard.path, language: shard.language, license: shard.license, terms: shard.terms,
                    samples: shard.samples, bytes: shard.bytes, sha256: shard.sha256, createdRun: 0, updatedRun: 0))
            change.pending.append(PendingFile(path: shard.path, op: "rename"))
        }
        for path in decided.termsFiles { change.pending.append(PendingFile(path: path, op: "rename")) }
        for (path, result) in decided.rewrites {
            if let result, var record = byPath[path] {
                record.samples = result.samples
                record.bytes = result.bytes
                record.sha256 = result.sha256
                change.shards.append(record)
                change.pending.append(PendingFile(path: path, op: "rename"))
            } else {
                change.removedShards.append(path)
                change.pending.append(PendingFile(path: path, op: "delete"))
            }
        }
    }
}
