import Foundation
import Logging
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
        /// What the run's decisions rest on besides the clips and the withdrawals (``RunRecord/basisHash``).
        var basisHash: String? = nil
        var started: Date
    }

    /// Decides every clip of `job` in path order, writes new shards and rewrites, commits the ledger, and
    /// regenerates the release's files: the one path every run takes.
    static func release(_ job: ReleaseJob, progress: @Sendable (IngestProgress) -> Void) async throws -> IngestSummary {
        logPlan(job)
        let pipeline = pipeline(for: job)
        let writer = try ReleaseWriter(
            output: job.options.output, config: job.options.config, speaker: job.speaker, input: job.tree,
            released: job.releasedShards.map(\.path))
        var duplicates = DuplicateIndex(
            sameSpeakerSentence: job.options.config.dedupe.sameSpeakerSentence, expectedClips: job.plan.sources.count)
        let identities = try await keepReleased(job, pipeline: pipeline, writer: writer, duplicates: &duplicates)
        var books = try books(for: job)
        let decided = try await decide(
            job, pipeline: pipeline, duplicates: consume duplicates, identities: identities, writer: writer,
            books: &books, progress: progress)
        let runID = try commit(job, books: &books, decided: decided)
        return try await publish(job, writer: writer, books: books, decided: decided, runID: runID)
    }

    /// Logs what the plan holds: clips to decode, unchanged, retained without an upload, shards, moved clips.
    static func logPlan(_ job: ReleaseJob) {
        let plan = job.plan
        let toDecode = plan.reuse.lazy.filter { !$0 }.count
        job.options.logger.info(
            "plan",
            metadata: [
                "to_decode": "\(toDecode)", "unchanged": "\(plan.sources.count - toDecode - plan.retained.count)",
                "retained_without_upload": "\(plan.retained.count)", "released_shards": "\(job.releasedShards.count)",
                "moved_to_other_partitions": "\(job.moved.count)",
            ])
    }
}
