import Foundation
import Logging
import VoxgateAudio
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The release's files, regenerated after the commit from every clip and every released shard, and the summary.
extension Ingest {
    /// Writes the files regenerated every run (``ReleaseWriter/publish(shards:manifest:)``), records them as
    /// published, and summarises the run.
    static func publish(
        _ job: ReleaseJob, writer: ReleaseWriter, books: RunBooks, decided: Decided, runID: Int64
    ) async throws -> IngestSummary {
        let (options, tree, ledger, started) = (job.options, job.tree, job.ledger, job.started)
        let shardList = try await StageClock.measureProcess(.releaseFiles) {
            let shardList = try ledger.shards().map(ShardInfo.init)
            try await writer.publish(shards: shardList) { shards in
                manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started))
            }
            try await PublishedFiles.record(options.output, ledger: ledger)
            try ledger.markPublished(run: runID)
            return shardList
        }
        var result = summary(
            writer.totals, tree: tree, shards: shardList, options: options, elapsed: Date().timeIntervalSince(started))
        result.decoded = books.decoded
        result.reused = job.plan.sources.count - books.decoded
        result.newShards = decided.sealed.count
        result.rewrittenShards = decided.rewrites.count
        result.withdrawnClips = books.newlyWithdrawnClips
        result.reidentified = decided.reidentified
        if decided.reidentified > 0 {
            result.notes.append(
                "\(decided.reidentified) clip(s) analysed by an older voxgate were decoded again once for their PCM "
                    + "identity (pcm_xxh3_128)")
        }
        result.run = runID
        finish(&result, audit: writer.audit, log: options.logger)
        return result
    }

    static func manifest(_ o: IngestOptions, tree: CorpusInput, shards: [ShardInfo], elapsed: Double) -> JSONText {
        .object([
            ("tool", .string("voxgate")),
            ("root", .string(o.root)),
            ("root_absolute", .string(URL(fileURLWithPath: o.root).standardizedFileURL.path)),
            ("layout", .string(tree.layout)),
            ("pipeline", .optional(o.config.source)),
            ("jobs", .int(o.jobs)),
            ("clips", .int(tree.clips.count)),
            ("elapsed_s", .rounded(elapsed, places: 3)),
            (
                "decoders",
                .object([
                    ("sndfile", .string(CodecVersions.sndfile)),
                    ("flac", .string(CodecVersions.flac)),
                    ("opus", .string(CodecVersions.opus)),
                ])
            ),
            ("shard_audio", .string(o.config.shards.audio.rawValue)),
            (
                "shards",
                .array(
                    shards.map {
                        .object([
                            ("path", .string($0.path)), ("language", .string($0.language)),
                            ("license", .string($0.license)), ("terms", .string($0.terms)),
                            ("samples", .int($0.samples)), ("bytes", .int($0.bytes)),
                        ])
                    })
            ),
            ("warnings", .array(tree.warnings.map { .string($0) })),
        ])
    }

    static func summary(
        _ totals: CorpusTotals, tree: CorpusInput, shards: [ShardInfo], options: IngestOptions, elapsed: Double
    ) -> IngestSummary {
        let all = totals.overall
        return IngestSummary(
            clips: all.clips, accepted: all.accepted,
            rejectedByReason: ReasonCode.allCases.compactMap { r in all.rejectedByReason[r].map { (r, $0) } },
            languages: totals.sortedTags.map { tag in
                let t = totals.languages[tag]!
                return .init(
                    tag: tag, clips: t.clips, accepted: t.accepted, totalHours: t.totalSeconds / 3600,
                    acceptedHours: t.acceptedSeconds / 3600)
            },
            shards: shards.count, warnings: tree.warnings, outputFolder: options.output, elapsed: elapsed)
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
