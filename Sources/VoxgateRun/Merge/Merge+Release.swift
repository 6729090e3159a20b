import Foundation
import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The release stage of a merge, streamed: the partitions' clips are read in path order (``MergedClips``), each
/// decided again from its stored analysis (nothing is decoded), handed to the one ``ReleaseWriter``, and
/// recorded in the output ledger as it goes, inside the merge's one ledger transaction. What stays resident is
/// one window of clips per partition, a few shard indexes, the duplicate index and the per-language totals:
/// memory does not grow with the clips' analyses.
///
/// It decides exactly as ``Ingest/release(_:progress:)`` does for a run over the same clips (the same analyzer,
/// duplicate index and writer, in the same order), so the merged release is byte-identical to a single run.
extension Merge {
    struct Release {
        var options: IngestOptions
        var tree: CorpusInput
        var ledger: Ledger
        var speaker: SpeakerPseudonym
        var speakerIDs: SpeakerIDs
        var withdrawals: Withdrawals
        var partitions: [PartitionClips]
        /// The partitions' withdrawal audit records.
        var carriedWithdrawals: [WithdrawalRecord]
        var reviews: [String: ReviewTally]
        var inputsHash: String
        var started: Date
    }

    static func release(_ job: Release, progress: @Sendable (IngestProgress) -> Void) async throws -> IngestSummary {
        let (options, tree, ledger, started) = (job.options, job.tree, job.ledger, job.started)
        let out = options.output
        var analyzer = ClipAnalyzer(
            config: options.config, withdrawals: job.withdrawals, communityTerms: tree.communityTerms)
        analyzer.reviews = job.reviews
        analyzer.speakerIDs = job.speakerIDs
        let writer = try ReleaseWriter(
            output: out, config: options.config, speaker: job.speaker, input: tree, released: [])
        var books = MergeBooks(speaker: job.speaker)
        var sealed: [ShardInfo] = []
        var termsFiles: [String] = []
        let placeholder = RunRecord(
            started: Timestamp.iso(started), ended: Timestamp.iso(started), version: VoxgateVersion.current,
            configHash: ConfigHash.of(options.config), inputsHash: job.inputsHash, root: options.root, clips: 0,
            decoded: 0, reused: 0, accepted: 0, rejected: 0, newShards: 0, rewrittenShards: 0, withdrawnClips: 0)
        let runID: Int64
        do {
            runID = try ledger.commit(run: placeholder) { _, insert in
                try decideAll(
                    job, analyzer: analyzer, writer: writer, books: &books, insert: insert, progress: progress)
                (sealed, termsFiles) = try writer.sealShards()
                var run = placeholder
                run.ended = Timestamp.iso(Date())
                run.newShards = sealed.count
                var change = books.change(
                    run: run, listed: job.withdrawals.clientIDs, earlier: job.withdrawals.speakerHashes,
                    carried: job.carriedWithdrawals)
                record(sealed, termsFiles: termsFiles, into: &change)
                return change
            }
        } catch {
            // Nothing of this merge is visible: its sealed shards go, the ledger transaction was rolled back.
            writer.discard()
            throw error
        }
        return try await publish(job, writer: writer, books: books, sealed: sealed, runID: runID)
    }

    /// Decides every clip of the partitions again, in path order, from its stored analysis (a clip whose record
    /// cannot be read is analysed), hands it to `writer` and records it with `insert`; then checks that the tree
    /// held no clip the partitions did not decide.
    static func decideAll(
        _ job: Release, analyzer: ClipAnalyzer, writer: ReleaseWriter, books: inout MergeBooks,
        insert: (ClipRecord) throws -> Void, progress: @Sendable (IngestProgress) -> Void
    ) throws {
        let (options, tree, started) = (job.options, job.tree, job.started)
        var clips = try MergedClips(job.partitions)
        var aligned = TreeAlignment(tree: tree, partitions: job.partitions.first?.marker.partitions ?? 1)
        var members = ShardMembers()
        var duplicates = DuplicateIndex(
            sameSpeakerSentence: options.config.dedupe.sameSpeakerSentence, expectedClips: tree.clips.count)
        while let (stored, source) = try clips.next() {
            if Task.isCancelled { throw CancellationError() }
            let partition = job.partitions[source]
            var clip = try Self.clip(
                stored, source: aligned.source(of: stored), root: tree.root, ids: job.speakerIDs)
            let audio = try shardAudio(of: stored, in: partition, members: &members)
            var outcome: ClipOutcome
            if let earlier = clip.earlier,
                let reassessed = analyzer.reassess(
                    clip.source, analysis: earlier, isReleased: false, audio: audio)
            {
                outcome = reassessed
            } else {
                outcome = analyzer.analyze(clip.source)  // only a record its ledger could not read
                clip.storedText = nil
            }
            analyzer.decideDuplicates(&outcome, in: &duplicates)
            let placement = try writer.consume(outcome)
            try insert(books.record(outcome, placement: placement, clip: clip, stored: stored))
            progress(
                IngestProgress(
                    done: books.done, total: tree.clips.count, accepted: books.accepted,
                    audioSeconds: books.audioSeconds, elapsed: Date().timeIntervalSince(started)))
        }
        try aligned.finish()
    }

    /// The audio member of the sample a partition released for this clip, if any: copied byte for byte.
    static func shardAudio(
        of stored: ClipRecord, in partition: PartitionClips, members: inout ShardMembers
    ) throws -> ShardAudio? {
        guard let shard = stored.shard, let key = stored.member, let sha256 = stored.audioSha256,
            let m = try members.member(key, shard: partition.folder + "/" + shard)
        else { return nil }
        var audio = ShardAudio(
            content: .fileRange(path: partition.folder + "/" + shard, offset: m.offset, size: m.size),
            fileExtension: m.ext, sha256: sha256)
        audio.format = m.format
        return audio
    }

    /// The merge's new shards in its ledger change, and their renames (and their `terms.json` files') journaled.
    static func record(_ sealed: [ShardInfo], termsFiles: [String], into change: inout LedgerChange) {
        for shard in sealed {
            change.shards.append(
                ShardRecord(
                    path: shard.path, language: shard.language, license: shard.license, terms: shard.terms,
                    samples: shard.samples, bytes: shard.bytes, sha256: shard.sha256, createdRun: 0,
                    updatedRun: 0))
            change.pending.append(PendingFile(path: shard.path, op: "rename"))
        }
        for path in termsFiles { change.pending.append(PendingFile(path: path, op: "rename")) }
    }

    /// After the commit: the renames applied, the release's files regenerated, and the summary.
    static func publish(
        _ job: Release, writer: ReleaseWriter, books: MergeBooks, sealed: [ShardInfo], runID: Int64
    ) async throws -> IngestSummary {
        let (options, tree, ledger, started) = (job.options, job.tree, job.ledger, job.started)
        let out = options.output
        let log = options.logger
        log.info(
            "committed",
            metadata: ["run": "\(runID)", "new_shards": "\(sealed.count)", "clips_recorded": "\(books.done)"])
        try OutputFolder.applyPending(ledger, output: out)
        let shardList = try ledger.shards().map(ShardInfo.init)
        try await writer.publish(shards: shardList) { shards in
            Ingest.manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started))
        }
        try await PublishedFiles.record(out, ledger: ledger)
        try ledger.markPublished(run: runID)
        var result = Ingest.summary(
            writer.totals, tree: tree, shards: shardList, options: options, elapsed: Date().timeIntervalSince(started))
        result.decoded = books.decoded
        result.reused = books.done - books.decoded
        result.newShards = sealed.count
        result.withdrawnClips = books.newlyWithdrawnClips
        result.run = runID
        Ingest.finish(&result, audit: writer.audit, log: log)
        return result
    }

    /// One clip as the merge decides it: its source (the tree's, or rebuilt from the record when the upload is
    /// gone), the analysis to reuse (nil: its record cannot be read), and the stat of its file and sidecar.
    struct Clip {
        var source: ClipSource
        var earlier: ClipAnalysis?
        var storedText: String?
        var file: FileStamp
        var sidecar: FileStamp?
    }

    /// What ``IncrementalPlan/load()`` makes of a stored record, for one clip: a changed sidecar (or release
    /// TSV row) is read again and kept as the pseudonym.
    static func clip(_ record: ClipRecord, source: ClipSource?, root: String, ids: SpeakerIDs) throws(RunError) -> Clip
    {
        guard let source else {  // the upload is gone: the clip keeps its record and its place
            guard let analysis = try? ClipAnalysis(record: record) else {
                throw RunError(
                    .inputDamaged,
                    "the partition ledger's record of '\(record.path)' cannot be read; rerun that partition",
                    path: record.path)
            }
            let name = (record.path as NSString).lastPathComponent
            return Clip(
                source: ClipSource(
                    clip: record.path, path: root + "/" + record.path, languageTag: record.language,
                    clipID: (name as NSString).deletingPathExtension, metadata: .parsed(analysis.sidecar),
                    byteSize: record.size),
                earlier: analysis, storedText: record.analysis,
                file: .init(size: record.size, mtimeNs: record.mtimeNs),
                sidecar: record.sidecarSize.map { .init(size: $0, mtimeNs: record.sidecarMtimeNs ?? 0) })
        }
        let (file, sidecar) = IncrementalPlan.stamps(of: source)
        guard var analysis = try? ClipAnalysis(record: record) else {
            return Clip(source: source, earlier: nil, storedText: nil, file: file, sidecar: sidecar)
        }
        var text: String? = record.analysis
        // An analysis without the current PCM identity gets it from the upload, as a run over it does
        // (``StoredAnalyses``); only a clip whose upload is gone keeps none (above).
        if analysis.lacksPCMIdentity, source.refusal == nil {
            guard let identified = analysis.identified(readingFile: source.path) else {
                return Clip(source: source, earlier: nil, storedText: nil, file: file, sidecar: sidecar)
            }
            (analysis, text) = (identified, nil)
        }
        let sidecarChanged = sidecar?.size != record.sidecarSize || sidecar?.mtimeNs != record.sidecarMtimeNs
        var reading: (reading: SidecarReading, withdrawnBefore: Bool)?
        if case .parsed(let read) = source.metadata, !record.withdrawn, ids.keep(read).reading != analysis.sidecar {
            reading = ids.keep(read)  // a release's TSV row changed
        } else if sidecarChanged && !record.withdrawn {
            reading = ids.keep(source.metadata.read())
        }
        if let reading {
            if reading.withdrawnBefore {
                return Clip(source: source, earlier: nil, storedText: nil, file: file, sidecar: sidecar)
            }
            analysis.sidecar = reading.reading
            analysis.languageFindings = nil
            text = nil
        }
        return Clip(source: source, earlier: analysis, storedText: text, file: file, sidecar: sidecar)
    }
}
