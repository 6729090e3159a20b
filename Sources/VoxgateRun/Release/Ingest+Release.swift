import Crypto
import Foundation
import Logging
import VoxgateAudio
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The release stage every run goes through (a merge takes the same steps, streamed: `Merge+Release.swift`).
extension Ingest {
    /// What the release stage works from: a run's clips with their earlier analyses, and the folder's state.
    struct ReleaseJob {
        var options: IngestOptions
        var tree: CorpusInput
        var ledger: Ledger
        var releasedShards: [ShardRecord]
        /// Clips to remove from the release and the ledger (they belong to another partition now).
        var moved: [ClipRecord] = []
        /// Records of legacy clip paths carried over or dropped (``LegacyClipPaths``).
        var legacy = LegacyClipPaths()
        var speaker: SpeakerPseudonym
        var withdrawals: Withdrawals
        /// The run's clips, and what the ledger knows of them (``IncrementalPlan/ledgered``, ``IncrementalPlan/records``).
        var plan: IncrementalPlan
        /// Shard audio already at hand, by clip path (a merge's partition shard members).
        var audio: [String: ShardAudio] = [:]
        /// Withdrawal audit records to carry over (a merge's partitions').
        var carriedWithdrawals: [WithdrawalRecord] = []
        /// Reviewers' vote counts by clip (``ReviewPolicy``).
        var reviews: [String: ReviewTally] = [:]
        var inputsHash: String
        var started: Date
    }

    /// Decides every clip of `job` in path order, writes new shards and rewrites, commits the ledger, and
    /// regenerates the release's files: the one path every run takes.
    static func release(_ job: ReleaseJob, progress: @Sendable (IngestProgress) -> Void) async throws -> IngestSummary {
        let (options, tree, ledger, plan, speaker) = (job.options, job.tree, job.ledger, job.plan, job.speaker)
        let (out, log, started, releasedShards) = (options.output, options.logger, job.started, job.releasedShards)
        let toDecode = plan.reuse.lazy.filter { !$0 }.count
        log.info(
            "plan",
            metadata: [
                "to_decode": "\(toDecode)", "unchanged": "\(plan.sources.count - toDecode - plan.retained.count)",
                "retained_without_upload": "\(plan.retained.count)", "released_shards": "\(releasedShards.count)",
                "moved_to_other_partitions": "\(job.moved.count)",
            ])
        var pipeline = IngestPipeline(
            clips: plan.sources, config: options.config, withdrawals: job.withdrawals,
            communityTerms: tree.communityTerms, reviews: job.reviews, speakerIDs: plan.speakerIDs, jobs: options.jobs)
        for (i, source) in plan.sources.enumerated() {
            if let audio = job.audio[source.clip] { pipeline.audio[i] = audio }
        }
        let writer = try ReleaseWriter(
            output: out, config: options.config, speaker: speaker, input: tree, released: releasedShards.map(\.path))

        // Clips earlier runs released, and still may: they are the kept ones, and their sentences' splits stay.
        // One this run rejects (withdrawn now, say) is not kept: a copy of it is decided as in every later run.
        // Their analyses are read from the ledger in path order as this pass reaches them, and read again by the
        // pipeline: no analysis of every clip is held.
        let (sources, ledgered) = (plan.sources, plan.ledgered)
        func isReleased(_ i: Int) -> Bool { ledgered[i].contains(.released) }
        var duplicates = DuplicateIndex(sameSpeakerSentence: options.config.dedupe.sameSpeakerSentence)
        let releasedAnalyses = StoredAnalyses(plan: plan, ledger: ledger, wanted: isReleased)
        for (i, source) in sources.enumerated() where plan.reuse[i] && isReleased(i) {
            guard let earlier = try await releasedAnalyses.earlier(i), source.refusal == nil,
                pipeline.analyzer.reassess(source, analysis: earlier.analysis, isReleased: true)?.isAccepted == true
            else { continue }
            let kept = ClipOutcome(source: source, earlier: earlier.analysis)
            duplicates.register(released: kept)
            if let meta = kept.metadata {
                writer.released(language: source.languageTag, sentence: meta.sentence, split: earlier.before.split)
            }
        }

        try ledger.discardStage()
        var books = RunBooks(plan: plan, speaker: speaker, ledger: ledger)
        books.watch(job.legacy.carried)
        books.remove(job.moved)
        for (shard, keys) in try job.legacy.staleMembers(in: releasedShards, output: out) {
            books.remove(keys, from: shard)
        }
        var accepted = 0
        var reidentified = 0  // clips an older voxgate analysed, whose PCM identity this run read again
        var audioSeconds = 0.0
        var sealed: [ShardInfo] = []
        var termsFiles: [String] = []
        var rewrites: [(path: String, result: ShardRewriter.Result?)] = []
        do {
            // The analyses the pipeline asks for, in path order, until the books record their clips: the work in flight.
            // Identities the first pass read again from files are not read twice.
            let stored = StoredAnalyses(plan: plan, ledger: ledger, identities: releasedAnalyses.reidentified)
            var inFlight: [Int: StoredAnalyses.Earlier] = [:]
            let provide: (Int) async throws -> IngestPipeline.Earlier? = { i in
                guard let earlier = try await stored.earlier(i) else { return nil }
                inFlight[i] = earlier
                if earlier.reidentified { reidentified += 1 }
                return (earlier.analysis, isReleased(i))
            }
            try await pipeline.run(duplicates: consume duplicates, earlier: provide) { outcome in
                let earlier = inFlight.removeValue(forKey: books.done)
                let before = try books.before(outcome.source.clip, earlier: earlier)
                let released = books.releasedPlace(of: outcome, before: before)
                let placement = try StageClock.measure(.shardWrite) { () throws(RunError) in
                    try writer.consume(outcome, released: released)
                }
                try StageClock.measure(.ledger) { () throws(RunError) in
                    try books.record(outcome, earlier: earlier, before: before, placement: placement)
                }
                log.debug(
                    "clip",
                    metadata: [
                        "clip": "\(outcome.source.clip)", "status": outcome.isAccepted ? "accepted" : "rejected",
                        "reasons": "\(outcome.reasons.map(\.rawValue).joined(separator: ","))",
                        "decoded": "\(outcome.decoded)", "shard": "\(placement?.shard ?? "")",
                    ])
                if outcome.isAccepted { accepted += 1 }
                audioSeconds += outcome.measurement?.durationSeconds ?? 0
                progress(
                    IngestProgress(
                        done: books.done, total: plan.sources.count, accepted: accepted,
                        audioSeconds: audioSeconds, elapsed: Date().timeIntervalSince(started)))
            }
            (sealed, termsFiles) = try writer.sealShards()
            for (shard, keys) in books.removals.sorted(by: { $0.key < $1.key }) {
                let recorded = releasedShards.first { $0.path == shard }?.sha256
                rewrites.append((shard, try ShardRewriter.rewrite(out + "/" + shard, removing: keys, sha256: recorded)))
            }
            try Task.checkCancellation()
        } catch {
            // Nothing of this run is visible yet: remove its sealed shards and rewrites; the ledger is untouched.
            writer.discard()
            for (shard, _) in rewrites { unlink(out + "/" + shard + AtomicFile.partialSuffix) }
            throw error
        }

        // The commit: from here on the run counts, and what it owes the folder is journaled.
        var change = try books.change(
            run: RunRecord(
                started: Timestamp.iso(started), ended: Timestamp.iso(Date()), version: VoxgateVersion.current,
                configHash: ConfigHash.of(options.config), inputsHash: job.inputsHash, root: options.root,
                clips: plan.sources.count,
                decoded: books.decoded, reused: plan.sources.count - books.decoded, accepted: accepted,
                rejected: plan.sources.count - accepted, newShards: sealed.count,
                rewrittenShards: rewrites.count, withdrawnClips: books.newlyWithdrawnClips),
            listedWithdrawals: job.withdrawals.clientIDs, earlierWithdrawn: job.withdrawals.speakerHashes)
        change.deletedClips = job.moved.map(\.path) + job.legacy.deleted
        for path in job.legacy.carried where !books.writtenWatched.contains(path) {
            if let record = plan.records?[path] { change.clips.append(record) }
        }
        for w in job.carriedWithdrawals where !change.withdrawals.contains(where: { $0.speakerHash == w.speakerHash }) {
            change.withdrawals.append(w)
        }
        let byPath = Dictionary(uniqueKeysWithValues: releasedShards.map { ($0.path, $0) })
        for shard in sealed {
            change.shards.append(
                ShardRecord(
                    path: shard.path, language: shard.language, license: shard.license, terms: shard.terms,
                    samples: shard.samples, bytes: shard.bytes, sha256: shard.sha256, createdRun: 0, updatedRun: 0))
            change.pending.append(PendingFile(path: shard.path, op: "rename"))
        }
        for path in termsFiles { change.pending.append(PendingFile(path: path, op: "rename")) }
        for (path, result) in rewrites {
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
        let runID = try StageClock.measure(.ledger) { () throws(RunError) in try ledger.commit(change) }
        for w in change.withdrawals {
            log.notice(
                "withdrawal recorded", metadata: ["clips": "\(w.clips)", "shards": "\(w.shards)", "run": "\(runID)"])
        }
        log.info(
            "committed",
            metadata: [
                "run": "\(runID)", "new_shards": "\(sealed.count)", "rewritten_shards": "\(rewrites.count)",
                "clips_recorded": "\(books.recorded + change.clips.count)",
            ])
        try OutputFolder.applyPending(ledger, output: out)

        let shardList = try await StageClock.measureProcess(.releaseFiles) {
            let shardList = try ledger.shards().map(ShardInfo.init)
            try writer.publish(shards: shardList) { shards in
                manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started))
            }
            try await PublishedFiles.record(out, ledger: ledger)
            try ledger.markPublished(run: runID)
            return shardList
        }
        var result = summary(
            writer.totals, tree: tree, shards: shardList, options: options, elapsed: Date().timeIntervalSince(started))
        result.decoded = books.decoded
        result.reused = plan.sources.count - books.decoded
        result.newShards = sealed.count
        result.rewrittenShards = rewrites.count
        result.withdrawnClips = books.newlyWithdrawnClips
        result.reidentified = reidentified
        if reidentified > 0 {
            result.notes.append(
                "\(reidentified) clip(s) analysed by an older voxgate were decoded again once for their PCM identity "
                    + "(pcm_xxh3_128)")
        }
        result.run = runID
        finish(&result, audit: writer.audit, log: log)
        return result
    }

    /// A run's (or a merge's) last words: the audit's summary among the notes, and the "run finished" record.
    static func finish(_ result: inout IngestSummary, audit: ReleaseAudit, log: Logger) {
        if audit.isApplicable { result.notes.append(audit.summaryLine + " (audit.json)") }
        log.notice(
            "run finished",
            metadata: [
                "run": "\(result.run)", "clips": "\(result.clips)", "accepted": "\(result.accepted)",
                "rejected": "\(result.clips - result.accepted)", "decoded": "\(result.decoded)",
                "reused": "\(result.reused)", "new_shards": "\(result.newShards)",
                "rewritten_shards": "\(result.rewrittenShards)", "withdrawn_clips": "\(result.withdrawnClips)",
                "elapsed_s": "\(String(format: "%.3f", result.elapsed))",
            ])
    }
}
