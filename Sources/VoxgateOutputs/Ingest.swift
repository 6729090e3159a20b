import Crypto
import Foundation
import VoxgateAudio
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
}

/// `voxgate ingest`: scans an upload tree, runs the pipeline, writes `decisions.jsonl`, shards and totals.
public enum Ingest {
    /// The files a run owns in its output folder.
    static let decisionsFile = "decisions.jsonl"
    static let ownedOutputs = [
        "decisions.jsonl", "totals.json", "totals.csv", "run.json", "audit.json", "shards", "splits", "datasheets",
        "report",
    ]

    /// Runs one ingest. Rejected clips are not errors.
    /// - Throws: ``RunError``: `.inputUnusable` (root), `.outputUnusable` (output folder unusable or a write failed).
    public static func run(
        _ options: IngestOptions, progress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let started = Date()
        let tree = try InputLayouts.scan(root: options.root, options: options.input)
        try createOutputFolder(options.output)
        let lock = try RunLock(output: options.output)
        defer { withExtendedLifetime(lock) {} }
        try prepareOutput(options)
        let speaker = try SpeakerPseudonym(keyPath: options.speakerKeyPath ?? options.output + "/speaker.key")
        let pipeline = IngestPipeline(
            clips: tree.clips, config: options.config, withdrawals: tree.withdrawals,
            communityTerms: tree.communityTerms, jobs: options.jobs)

        let writer = try ReleaseWriter(output: options.output, config: options.config, speaker: speaker, input: tree)
        var done = 0
        var accepted = 0
        var audioSeconds = 0.0
        let shardList: [ShardInfo]
        do {
            try await pipeline.run { outcome in
                try writer.consume(outcome)
                done += 1
                if outcome.isAccepted { accepted += 1 }
                audioSeconds += outcome.measurement?.durationSeconds ?? 0
                progress(
                    IngestProgress(
                        done: done, total: tree.clips.count, accepted: accepted,
                        audioSeconds: audioSeconds, elapsed: Date().timeIntervalSince(started)))
            }
            shardList = try writer.finish { shards in
                manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started))
            }
        } catch {
            // Leave no half-run behind. Open files also remove themselves when abandoned.
            writer.discard()
            throw error
        }
        var result = summary(
            writer.totals, tree: tree, shards: shardList, options: options, elapsed: Date().timeIntervalSince(started))
        if writer.audit.isApplicable { result.notes.append(writer.audit.summaryLine + " (audit.json)") }
        return result
    }

    /// Refuses to mix two runs' outputs. A folder holding a complete run (its `decisions.jsonl`, written
    /// last) needs `--force`, which removes that run's files (and only those). Without `decisions.jsonl`,
    /// any shards, totals and `.partial` files are the leftovers of a killed run and are removed.
    static func prepareOutput(_ options: IngestOptions) throws(RunError) {
        let fm = FileManager.default
        let out = options.output
        try createOutputFolder(out)
        if fm.fileExists(atPath: out + "/" + decisionsFile) && !options.force {
            throw RunError(
                .outputUnusable,
                "'\(out)' already holds a voxgate run (decisions.jsonl); choose another --out, or pass --force "
                    + "to replace that run's outputs", path: out)
        }
        for name in ownedOutputs { try? fm.removeItem(atPath: out + "/" + name) }
        if let walker = fm.enumerator(atPath: out) {
            for case let relative as String in walker where relative.hasSuffix(AtomicFile.partialSuffix) {
                try? fm.removeItem(atPath: out + "/" + relative)
            }
        }
    }

    static func createOutputFolder(_ out: String) throws(RunError) {
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw RunError(
                .outputUnusable, "cannot create output folder '\(out)' (\(error.localizedDescription))", path: out)
        }
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
