import Crypto
import Foundation
public import Logging
import VoxgateAudio
import VoxgateLedger
public import VoxgateCorpus
import VoxgatePipeline

/// What `voxgate ingest` was asked to do: a plain value the CLI builds and tests build too.
public struct IngestOptions: Sendable {
    public var root: String
    public var output: String
    public var config: PipelineConfig
    /// Decode workers.
    public var jobs: Int
    /// The HMAC key for speaker pseudonyms; default `<output>/speaker.key`, created when missing.
    public var speakerKeyPath: String?
    /// Replace the outputs of an earlier run in `output`.
    public var force: Bool
    /// Layout-specific input choices (Common Voice buckets).
    public var input: InputOptions
    /// Client ids withdrawn by the operator (`--withdraw`), besides the root's `withdrawals.txt`.
    public var withdraw: Set<String> = []
    /// Re-read every unchanged file and compare its SHA-256 with the ledger's (decodes none).
    public var verifyHashes = false
    /// Decide only this partition's clips (a cluster job array's task); nil: the whole tree.
    public var partition: Partition?
    /// Where the run's log goes (nothing by default; the CLI passes its `--log-format`/`--log-file` logger).
    public var logger = Logger(label: "voxgate", factory: { _ in SwiftLogNoOpLogHandler() })

    public init(
        root: String, output: String, config: PipelineConfig, jobs: Int, speakerKeyPath: String? = nil,
        force: Bool = false, input: InputOptions = InputOptions()
    ) {
        self.input = input
        self.root = root
        self.output = output
        self.config = config
        self.jobs = jobs
        self.speakerKeyPath = speakerKeyPath
        self.force = force
    }
}

/// Where a run is, for a progress display.
public struct IngestProgress: Sendable {
    public var done: Int
    public var total: Int
    public var accepted: Int
    /// Seconds of decoded audio so far.
    public var audioSeconds: Double
    /// Wall-clock seconds since the run started.
    public var elapsed: Double
}

/// What a finished run did, for the summary the CLI prints.
public struct IngestSummary: Sendable {
    public struct Language: Sendable {
        public var tag: String
        public var clips: Int
        public var accepted: Int
        public var totalHours: Double
        public var acceptedHours: Double
    }
    public var clips: Int
    public var accepted: Int
    public var rejectedByReason: [(ReasonCode, Int)]
    public var languages: [Language]
    public var shards: Int
    public var warnings: [String]
    /// Further findings about the input as a whole (e.g. a release audit), one sentence each.
    public var notes: [String] = []
    public var outputFolder: String
    public var elapsed: Double
    /// Clips decoded by this run, and clips re-decided from the ledger without decoding.
    public var decoded = 0
    public var reused = 0
    /// Shards written by this run, and released shards rewritten to remove clips.
    public var newShards = 0
    public var rewrittenShards = 0
    /// Clips newly withdrawn by this run.
    public var withdrawnClips = 0
    /// The run's id in the ledger.
    public var run: Int64 = 0
    /// The partition this run decided, if any.
    public var partition: Partition?
    /// Nothing changed since the last run: the release files were left as they were.
    public var upToDate = false
}

/// `voxgate ingest`: scans an upload tree, decides every new or changed clip, and brings the output
/// folder's release up to date: new shards for newly accepted clips, sealed shards rewritten only to
/// remove clips, and `decisions.jsonl`, totals, splits and datasheets regenerated for every clip the
/// ledger holds.
///
/// A run commits in one ledger transaction. Before it, nothing visible changes (new and rewritten shards
/// wait as `.partial` files); after it, the renames it owes are journaled in the ledger and replayed by
/// the next run if this one is killed. The regenerated files are written last.
public enum Ingest {
    static let decisionsFile = "decisions.jsonl"

    /// Runs one ingest. Rejected clips are not errors.
    /// - Throws: ``RunError``: `.inputUnusable` (root), `.outputUnusable` (output folder unusable or a write
    ///   failed), `.ledgerUnusable` (corrupt or newer ledger, not a voxgate folder), `.busy` (lock held).
    public static func run(
        _ options: IngestOptions, progress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let started = Date()
        let log = options.logger
        var tree = try InputLayouts.scan(root: options.root, options: options.input)
        let out = options.output
        log.notice(
            "run started",
            metadata: [
                "root": "\(options.root)", "out": "\(options.output)", "layout": "\(tree.layout)",
                "clips": "\(tree.clips.count)", "jobs": "\(options.jobs)", "config": "\(ConfigHash.of(options.config).prefix(12))",
                "partition": "\(options.partition?.description ?? "all")",
            ])
        for warning in tree.warnings { log.warning("\(warning)") }
        try OutputFolder.create(out)
        let lock = try RunLock(output: out)
        defer { withExtendedLifetime(lock) {} }
        try OutputFolder.prepare(out, force: options.force)
        let ledger = try Ledger(output: out)
        try OutputFolder.recover(ledger, output: out)
        let releasedShards = try ledger.shards()
        try OutputFolder.verify(releasedShards, output: out)
        var known = try ledger.clips(light: true)  // all of each record only when something changed
        let speaker = try SpeakerPseudonym(keyPath: options.speakerKeyPath ?? out + "/speaker.key")

        // A partition run decides its share of the tree; clips its ledger holds that now belong to another
        // partition (N changed) leave this partition's release.
        var moved: [ClipRecord] = []
        if let partition = options.partition {
            unlink(out + "/" + PartitionMarker.fileName)  // not complete until this run is
            tree.clips = tree.clips.filter { partition.contains($0.clip) }
            moved = known.values.filter { !partition.contains($0.path) }.sorted { $0.path < $1.path }
            for record in moved { known.removeValue(forKey: record.path) }
        }
        let listed = tree.withdrawals.union(options.withdraw)
        let earlierWithdrawn = try ledger.withdrawnSpeakers()
        let withdrawals = Withdrawals(
            clientIDs: listed, speakerHashes: earlierWithdrawn, hash: { speaker.withdrawalHash($0) },
            erasedClips: Set(known.values.filter(\.withdrawn).map(\.path)))
        var plan = IncrementalPlan(tree: tree, known: known, verifyHashes: options.verifyHashes)
        let inputs = InputsHash.of(
            config: options.config, tree: tree, input: options.input, partition: options.partition, listed: listed,
            speaker: speaker)
        var result: IngestSummary
        if moved.isEmpty, try isUpToDate(out, ledger: ledger, plan: plan, inputsHash: inputs) {
            result = try recordUnchangedRun(
                options, tree: tree, ledger: ledger, known: known, inputsHash: inputs, started: started)
        } else {
            let movedPaths = Set(moved.map(\.path))
            known = try ledger.clips().filter { !movedPaths.contains($0.key) }
            plan = IncrementalPlan(tree: tree, known: known, verifyHashes: options.verifyHashes)
            try plan.load()
            result = try await release(
                ReleaseJob(
                    options: options, tree: tree, ledger: ledger, releasedShards: releasedShards, known: known,
                    moved: moved, speaker: speaker, withdrawals: withdrawals, plan: plan, inputsHash: inputs,
                    started: started),
                progress: progress)
        }
        if let partition = options.partition {
            try PartitionMarker(
                partition: partition, config: options.config, speakerKeyID: speaker.keyID, root: options.root,
                input: options.input, clips: result.clips, run: result.run
            ).write(to: out)
        }
        result.partition = options.partition
        return result
    }

    /// What the release stage works from: a run's clips with their earlier analyses, and the folder's state.
    struct ReleaseJob {
        var options: IngestOptions
        var tree: CorpusInput
        var ledger: Ledger
        var releasedShards: [ShardRecord]
        /// The output ledger's clips.
        var known: [String: ClipRecord]
        /// Clips to remove from the release and the ledger (they belong to another partition now).
        var moved: [ClipRecord] = []
        var speaker: SpeakerPseudonym
        var withdrawals: Withdrawals
        var plan: IncrementalPlan
        /// Shard audio already at hand, by clip path (a merge's partition shard members).
        var audio: [String: ShardAudio] = [:]
        /// Withdrawal audit records to carry over (a merge's partitions').
        var carriedWithdrawals: [WithdrawalRecord] = []
        var inputsHash: String
        var started: Date
    }

    /// Decides every clip of `job` in path order, writes new shards and rewrites, commits the ledger, and
    /// regenerates the release's files: the one path every run and every merge takes.
    static func release(_ job: ReleaseJob, progress: @Sendable (IngestProgress) -> Void) async throws -> IngestSummary {
        let (options, tree, ledger, plan, known, speaker) = (job.options, job.tree, job.ledger, job.plan, job.known, job.speaker)
        let (out, log, started, releasedShards) = (options.output, options.logger, job.started, job.releasedShards)
        log.info(
            "plan",
            metadata: [
                "to_decode": "\(plan.earlier.lazy.filter { $0 == nil }.count)",
                "unchanged": "\(plan.earlier.lazy.filter { $0 != nil }.count - plan.retained.count)",
                "retained_without_upload": "\(plan.retained.count)", "released_shards": "\(releasedShards.count)",
                "moved_to_other_partitions": "\(job.moved.count)",
            ])
        var pipeline = IngestPipeline(
            clips: plan.sources, earlier: plan.earlier, config: options.config, withdrawals: job.withdrawals,
            communityTerms: tree.communityTerms, jobs: options.jobs)
        for (i, source) in plan.sources.enumerated() {
            if let audio = job.audio[source.clip] { pipeline.audio[i] = audio }
        }
        let writer = try ReleaseWriter(
            output: out, config: options.config, speaker: speaker, input: tree, released: releasedShards.map(\.path))

        // Clips earlier runs released, and still may: they are the kept ones, and their sentences' splits stay.
        var duplicates = DuplicateIndex(sameSpeakerSentence: options.config.dedupe.sameSpeakerSentence)
        for (i, source) in plan.sources.enumerated() {
            guard let analysis = plan.earlier[i], let record = known[source.clip], record.shard != nil,
                !record.withdrawn
            else { continue }
            pipeline.released.insert(i)
            let kept = ClipOutcome(source: source, earlier: analysis)
            duplicates.register(released: kept)
            if let meta = kept.metadata {
                writer.released(language: source.languageTag, sentence: meta.sentence, split: record.split)
            }
        }

        var books = RunBooks(plan: plan, known: known, speaker: speaker)
        books.remove(job.moved)
        var accepted = 0
        var audioSeconds = 0.0
        var sealed: [ShardInfo] = []
        var termsFiles: [String] = []
        var rewrites: [(path: String, result: ShardRewriter.Result?)] = []
        do {
            try await pipeline.run(duplicates: duplicates) { outcome in
                let released = books.releasedPlace(of: outcome)
                let placement = try writer.consume(outcome, released: released)
                books.record(outcome, placement: placement)
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
                rewrites.append((shard, try ShardRewriter.rewrite(out + "/" + shard, removing: keys)))
            }
            try Task.checkCancellation()
        } catch {
            // Nothing of this run is visible yet: remove its sealed shards and rewrites; the ledger is untouched.
            writer.discard()
            for (shard, _) in rewrites { unlink(out + "/" + shard + AtomicFile.partialSuffix) }
            throw error
        }

        // The commit: from here on the run counts, and what it owes the folder is journaled.
        var change = books.change(
            run: RunRecord(
                started: Timestamp.iso(started), ended: Timestamp.iso(Date()), version: VoxgateVersion.current,
                configHash: ConfigHash.of(options.config), inputsHash: job.inputsHash, root: options.root,
                clips: plan.sources.count,
                decoded: books.decoded, reused: plan.sources.count - books.decoded, accepted: accepted,
                rejected: plan.sources.count - accepted, newShards: sealed.count,
                rewrittenShards: rewrites.count, withdrawnClips: books.newlyWithdrawnClips),
            listedWithdrawals: job.withdrawals.clientIDs, earlierWithdrawn: job.withdrawals.speakerHashes)
        change.deletedClips = job.moved.map(\.path)
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
        let runID = try ledger.commit(change)
        for w in change.withdrawals {
            log.notice(
                "withdrawal recorded", metadata: ["clips": "\(w.clips)", "shards": "\(w.shards)", "run": "\(runID)"])
        }
        log.info(
            "committed",
            metadata: [
                "run": "\(runID)", "new_shards": "\(sealed.count)", "rewritten_shards": "\(rewrites.count)",
                "clips_recorded": "\(change.clips.count)",
            ])
        try OutputFolder.applyPending(ledger, output: out)

        let shardList = try ledger.shards().map(ShardInfo.init)
        try writer.publish(shards: shardList) { shards in
            manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started))
        }
        try ledger.markPublished(run: runID)
        var result = summary(
            writer.totals, tree: tree, shards: shardList, options: options, elapsed: Date().timeIntervalSince(started))
        result.decoded = books.decoded
        result.reused = plan.sources.count - books.decoded
        result.newShards = sealed.count
        result.rewrittenShards = rewrites.count
        result.withdrawnClips = books.newlyWithdrawnClips
        result.run = runID
        if writer.audit.isApplicable { result.notes.append(writer.audit.summaryLine + " (audit.json)") }
        log.notice(
            "run finished",
            metadata: [
                "run": "\(runID)", "clips": "\(result.clips)", "accepted": "\(result.accepted)",
                "rejected": "\(result.clips - result.accepted)", "decoded": "\(result.decoded)",
                "reused": "\(result.reused)", "new_shards": "\(result.newShards)",
                "rewritten_shards": "\(result.rewrittenShards)", "withdrawn_clips": "\(result.withdrawnClips)",
                "elapsed_s": "\(String(format: "%.3f", result.elapsed))",
            ])
        return result
    }

    /// Whether the last run already decided exactly these clips under exactly these inputs, and its release
    /// is in place: then this run has nothing to decode, decide or write (the files it would regenerate would
    /// be byte for byte the same), as `make` skips an up-to-date target.
    static func isUpToDate(
        _ out: String, ledger: Ledger, plan: IncrementalPlan, inputsHash: String
    ) throws(RunError) -> Bool {
        guard plan.isUnchanged, let last = try ledger.runs().last, last.published, last.inputsHash == inputsHash,
            try ledger.pendingFiles().isEmpty
        else { return false }
        let fm = FileManager.default
        return [decisionsFile, "totals.json", "totals.csv"].allSatisfy { fm.fileExists(atPath: out + "/" + $0) }
    }

    /// Records a run that found nothing to do, and summarises the release from the ledger.
    static func recordUnchangedRun(
        _ options: IngestOptions, tree: CorpusInput, ledger: Ledger, known: [String: ClipRecord], inputsHash: String,
        started: Date
    ) throws(RunError) -> IngestSummary {
        let accepted = known.values.lazy.filter { $0.status == "accepted" }.count
        let runID = try ledger.commit(
            LedgerChange(
                run: RunRecord(
                    started: Timestamp.iso(started), ended: Timestamp.iso(Date()), version: VoxgateVersion.current,
                    configHash: ConfigHash.of(options.config), inputsHash: inputsHash, root: options.root,
                    clips: known.count, decoded: 0, reused: known.count, accepted: accepted,
                    rejected: known.count - accepted, newShards: 0, rewrittenShards: 0, withdrawnClips: 0)))
        let shards = try ledger.shards().map(ShardInfo.init)
        try AtomicFile.write(
            manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started)).pretty,
            to: options.output + "/run.json")
        try ledger.markPublished(run: runID)
        var languages: [String: IngestSummary.Language] = [:]
        var reasons: [ReasonCode: Int] = [:]
        for record in known.values {
            var l = languages[record.language] ?? .init(tag: record.language, clips: 0, accepted: 0, totalHours: 0, acceptedHours: 0)
            l.clips += 1
            l.totalHours += (record.durationS ?? 0) / 3600
            if record.status == "accepted" {
                l.accepted += 1
                l.acceptedHours += (record.durationS ?? 0) / 3600
            }
            languages[record.language] = l
            for code in record.reasons.split(separator: ",") {
                if let reason = ReasonCode(rawValue: String(code)) { reasons[reason, default: 0] += 1 }
            }
        }
        var summary = IngestSummary(
            clips: known.count, accepted: accepted,
            rejectedByReason: ReasonCode.allCases.compactMap { r in reasons[r].map { (r, $0) } },
            languages: languages.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { languages[$0]! },
            shards: shards.count, warnings: tree.warnings, outputFolder: options.output,
            elapsed: Date().timeIntervalSince(started))
        summary.reused = known.count
        summary.run = runID
        summary.notes.append("nothing changed since the last run: the release is up to date")
        summary.upToDate = true
        options.logger.notice(
            "run finished",
            metadata: [
                "run": "\(runID)", "clips": "\(summary.clips)", "accepted": "\(accepted)", "decoded": "0",
                "reused": "\(known.count)", "up_to_date": "true",
                "elapsed_s": "\(String(format: "%.3f", summary.elapsed))",
            ])
        return summary
    }

    private static func manifest(_ o: IngestOptions, tree: CorpusInput, shards: [ShardInfo], elapsed: Double) -> JSONText
    {
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

    private static func summary(
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
}
