public import Logging
public import VoxgateCorpus

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
