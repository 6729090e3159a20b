import Crypto
import Foundation
public import Logging
import VoxgateAudio
public import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
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
    /// Of the reused clips, those an older voxgate analysed whose PCM identity this run read again from their files.
    public var reidentified = 0
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
    static let decisionsFile = ReleaseWriter.decisionsFile

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
                "clips": "\(tree.clips.count)", "jobs": "\(options.jobs)",
                "config": "\(ConfigHash.of(options.config).prefix(12))",
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
        try await OutputFolder.verify(releasedShards, output: out, ledger: ledger, hashes: options.verifyHashes)
        // What the run compares the tree with: the ledger's clips, read with a cursor in path order (IncrementalPlan).
        // Whole records only in a folder that may hold legacy clip paths (rare: made before 0.2): re-keyed.
        let mayHoldLegacyPaths = LegacyClipPaths.mayHoldLegacyPaths(output: out, runs: try ledger.runs().count)
        var records: [String: ClipRecord]?
        var legacy = LegacyClipPaths()
        if mayHoldLegacyPaths {
            var light = try ledger.clips(light: true)
            legacy = LegacyClipPaths(tree: tree, known: &light)
            records = light
        }
        let speaker = try SpeakerPseudonym(keyPath: options.speakerKeyPath ?? out + "/speaker.key")
        try SpeakerPseudonym.check(speaker, against: ledger, keyPath: options.speakerKeyPath ?? out + "/speaker.key")
        try ledger.keepPseudonyms(speaker.ids())  // a ledger made before pseudonyms: its raw ids replaced, once
        for warning in SpeakerPseudonym.warnings(keyPath: options.speakerKeyPath ?? out + "/speaker.key") {
            log.warning("\(warning)")
            tree.warnings.append(warning)
        }

        // A partition run decides its share of the tree; clips its ledger holds that now belong to another
        // partition (N changed) leave this partition's release.
        if let partition = options.partition {
            unlink(out + "/" + PartitionMarker.fileName)  // not complete until this run is
            tree.clips = tree.clips.filter { partition.contains($0.clip) }
        }
        let listed = Set(tree.withdrawals.union(options.withdraw).map { speaker($0) })
        let earlierWithdrawn = try ledger.withdrawnSpeakers()
        let ids = speaker.ids(legacyWithdrawals: try ledger.withdrawnSpeakers(hashed: .clientID))
        // The tree merge-joined with the ledger's clips in path order (a cursor): a few bytes per clip, no record.
        var plan = try IncrementalPlan(
            tree: tree, ledger: ledger, records: records, partition: options.partition,
            verifyHashes: options.verifyHashes, speakerIDs: ids)
        let moved = plan.moved.sorted { $0.path < $1.path }
        let withdrawals = Withdrawals(
            clientIDs: listed, speakerHashes: earlierWithdrawn, hash: { speaker.withdrawalHash(pseudonym: $0) },
            erasedClips: plan.withdrawnClips)
        let reviews = try ReviewVotes.load(output: out)
        let inputs = ReviewVotes.inputsHash(
            InputsHash.of(
                config: options.config, tree: tree, input: options.input, partition: options.partition, listed: listed,
                speaker: speaker), votes: reviews, config: options.config.review)
        var result: IngestSummary
        if moved.isEmpty, legacy.isEmpty, try await isUpToDate(out, ledger: ledger, plan: plan, inputsHash: inputs) {
            result = try await recordUnchangedRun(
                options, tree: tree, ledger: ledger, inputsHash: inputs, started: started)
        } else {
            // The run reads each clip's record and analysis from the ledger in path order as it reaches it
            // (StoredAnalyses). A folder that may hold legacy clip paths re-keys whole records (rare: made before 0.2).
            if mayHoldLegacyPaths {
                let movedPaths = Set(moved.map(\.path))
                var full = try ledger.clips()
                legacy = LegacyClipPaths(tree: tree, known: &full)
                full = full.filter { !movedPaths.contains($0.key) }
                plan = try IncrementalPlan(
                    tree: tree, ledger: ledger, records: full, partition: options.partition,
                    verifyHashes: options.verifyHashes, speakerIDs: ids)
            }
            try await plan.load(from: ledger)
            result = try await release(
                ReleaseJob(
                    options: options, tree: tree, ledger: ledger, releasedShards: releasedShards, moved: moved,
                    legacy: legacy, speaker: speaker, withdrawals: withdrawals, plan: plan, reviews: reviews,
                    inputsHash: inputs, started: started),
                progress: progress)
        }
        LegacyClipPaths.mark(output: out)
        if let partition = options.partition {
            try PartitionMarker(
                partition: partition, config: options.config, speakerKeyID: speaker.keyID, root: options.root,
                input: options.input, clips: result.clips, run: result.run
            ).write(to: out)
        }
        result.partition = options.partition
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
}
