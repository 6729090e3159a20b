import Foundation
import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The decide stage: each outcome, in path order, placed in the release (kept where an earlier run released it,
/// or written into a new shard) and recorded in the run's books; then the new shards sealed and the released
/// ones that lose clips rewritten, all still `.partial` until the commit.
extension Ingest {
    /// What the decide stage leaves for the commit and the summary.
    struct Decided {
        var accepted = 0
        /// Clips an older voxgate analysed, whose PCM identity this run read again.
        var reidentified = 0
        var audioSeconds = 0.0
        /// This run's new shards, and the `terms.json` files beside them.
        var sealed: [ShardInfo] = []
        var termsFiles: [String] = []
        /// Released shards rewritten without some samples (nil: no sample left, the shard goes).
        var rewrites: [(path: String, result: ShardRewriter.Result?)] = []
    }

    /// The run's books, with the clips that leave the release before any outcome arrives: those moved to another
    /// partition and legacy samples no record points to. Whatever an earlier run staged and did not commit goes.
    static func books(for job: ReleaseJob) throws -> RunBooks {
        try job.ledger.discardStage()
        var books = RunBooks(plan: job.plan, speaker: job.speaker, ledger: job.ledger)
        books.watch(job.legacy.carried)
        books.remove(job.moved)
        for (shard, keys) in try job.legacy.staleMembers(in: job.releasedShards, output: job.options.output) {
            books.remove(keys, from: shard)
        }
        return books
    }

    /// Runs the pipeline over every clip, decides each outcome, seals the new shards and rewrites the released
    /// ones that lose samples. Nothing of this is visible yet: on any error (or cancellation) the sealed shards
    /// and rewrites are removed, and the ledger is untouched.
    /// - Parameter identities: PCM identities an earlier pass read again from files (``keepReleased``).
    static func decide(
        _ job: ReleaseJob, pipeline: IngestPipeline, duplicates: consuming DuplicateIndex, identities: [String: String],
        writer: ReleaseWriter, books: inout RunBooks, progress: @Sendable (IngestProgress) -> Void
    ) async throws -> Decided {
        let out = job.options.output
        var decided = Decided()
        do {
            try await decideEach(
                job, pipeline: pipeline, duplicates: consume duplicates, identities: identities, writer: writer,
                books: &books, decided: &decided, progress: progress)
            (decided.sealed, decided.termsFiles) = try writer.sealShards()
            try await rewrite(job, removals: books.removals, into: &decided)
            try Task.checkCancellation()
        } catch {
            // Nothing of this run is visible yet: remove its sealed shards and rewrites; the ledger is untouched.
            writer.discard()
            for (shard, _) in decided.rewrites { unlink(out + "/" + shard + AtomicFile.partialSuffix) }
            throw error
        }
        return decided
    }

    /// Rewrites the released shards that lose samples (``ShardRewriter``), on every core: each reads, hashes and
    /// copies one shard of up to `shards.max_bytes` (a withdrawal's contributor has clips in many). The rewrites are
    /// added to `decided` in shard order, every one that was written (so that a failure removes them all), and then
    /// the first failure in that order is thrown.
    static func rewrite(
        _ job: ReleaseJob, removals: [String: Set<String>], into decided: inout Decided
    ) async throws(RunError) {
        let out = job.options.output
        let recorded = Dictionary(job.releasedShards.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let work = removals.sorted { $0.key < $1.key }.map { (shard: $0.key, keys: $0.value, sha256: recorded[$0.key]) }
        let results = await Concurrent.map(work, chunk: 1) { item throws(RunError) in
            try ShardRewriter.rewrite(out + "/" + item.shard, removing: item.keys, sha256: item.sha256)
        }
        var failure: RunError?
        for (item, result) in zip(work, results) {
            switch result {
            case .success(let rewritten): decided.rewrites.append((item.shard, rewritten))
            case .failure(let error): failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// The pipeline's run: the analyses it asks for are read in path order (``StoredAnalyses``) and held until the
    /// books record their clips (the work in flight); each outcome is placed and recorded as it arrives.
    static func decideEach(
        _ job: ReleaseJob, pipeline: IngestPipeline, duplicates: consuming DuplicateIndex, identities: [String: String],
        writer: ReleaseWriter, books: inout RunBooks, decided: inout Decided,
        progress: @Sendable (IngestProgress) -> Void
    ) async throws {
        let (plan, started, log) = (job.plan, job.started, job.options.logger)
        let isReleased = isReleased(in: plan)
        // Identities the first pass read again from files are not read twice.
        let (analyzer, sources, audio) = (pipeline.analyzer, plan.sources, pipeline.audio)
        let stored = StoredAnalyses(
            plan: plan, ledger: job.ledger, identities: identities,
            reassess: { i, analysis in
                analyzer.reassess(sources[i], analysis: analysis, isReleased: isReleased(i), audio: audio[i])
            })
        let decisionsStand = try nearDuplicatesStand(job)
        var inFlight: [Int: StoredAnalyses.Earlier] = [:]
        var reidentified = 0
        let provide: (Int) async throws -> IngestPipeline.Earlier? = { i in
            guard let earlier = try await stored.earlier(i) else { return nil }
            inFlight[i] = earlier
            if earlier.reidentified { reidentified += 1 }
            let standing =
                decisionsStand
                ? StandingNearDuplicate(duplicateOf: earlier.before.duplicateOf, detail: earlier.before.detail) : nil
            return (earlier.analysis, isReleased(i), standing, earlier.reassessed)
        }
        try await pipeline.run(duplicates: consume duplicates, earlier: provide) { outcome in
            let earlier = inFlight.removeValue(forKey: books.done)
            try place(outcome, earlier: earlier, writer: writer, books: &books, log: log)
            if outcome.isAccepted { decided.accepted += 1 }
            decided.audioSeconds += outcome.measurement?.durationSeconds ?? 0
            progress(
                IngestProgress(
                    done: books.done, total: plan.sources.count, accepted: decided.accepted,
                    audioSeconds: decided.audioSeconds, elapsed: Date().timeIntervalSince(started)))
        }
        decided.reidentified = reidentified
    }

    /// Whether the ledger's near-duplicate decisions of unchanged clips stand (``StandingNearDuplicate``): the last
    /// run, which decided every clip the ledger holds, ran this voxgate version with these decision settings.
    static func nearDuplicatesStand(_ job: ReleaseJob) throws(RunError) -> Bool {
        guard let last = try job.ledger.runs().last else { return false }
        return last.version == VoxgateVersion.current && last.configHash == ConfigHash.of(job.options.config)
    }

    /// Places one outcome in the release (where an earlier run released it, if it is unchanged and still
    /// accepted; else a new shard, if accepted), and records it in the books.
    static func place(
        _ outcome: ClipOutcome, earlier: StoredAnalyses.Earlier?, writer: ReleaseWriter, books: inout RunBooks,
        log: Logger
    ) throws {
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
    }
}
