public import Foundation
public import GRDB
public import VoxgatePipeline

/// One clip the output folder has seen: where it was, what it was (size, time, hash), what was found
/// (the ``ClipAnalysis``, with every metric and the fingerprint) and what was decided, and where it went.
public struct ClipRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "clip"

    /// The clip's path relative to the upload root (NFC): its identity.
    public var path: String
    public var language: String
    /// The file's size in bytes and modification time (ns since 1970) when it was analysed.
    public var size: Int
    public var mtimeNs: Int64
    /// The same for the clip's sidecar; nil when it had none (or its metadata came from a release TSV).
    public var sidecarSize: Int?
    public var sidecarMtimeNs: Int64?
    /// SHA-256 of the file's bytes when it was analysed.
    public var fileSha256: String
    /// The analysis, as JSON (``ClipAnalysis``): what later runs re-decide the clip from.
    public var analysis: String
    /// The acoustic fingerprint (``ClipMeasurement/fingerprintBytes``), kept as binary.
    public var fingerprint: Data?
    /// `accepted` or `rejected`; the reason codes, comma-separated; the detail; the kept clip it duplicates.
    public var status: String
    public var reasons: String
    public var detail: String?
    public var duplicateOf: String?
    public var durationS: Double?
    /// Where the clip was released: shard path (relative to the output folder), member key and split.
    public var shard: String?
    public var member: String?
    /// SHA-256 of the released audio member's content, recorded when the shard was written: what `merge`,
    /// a shard rewrite and `voxgate verify` check a member against (also in the sample's JSON).
    public var audioSha256: String?
    public var split: String?
    /// The contributor withdrew consent: the analysis no longer holds their metadata.
    public var withdrawn: Bool
    /// The run that first saw the clip, and the last run that decoded it.
    public var firstRun: Int64
    public var analysedRun: Int64
    /// A released clip's registration in the duplicate index and the splits, as JSON `[identity, client_id,
    /// sentence]` (the PCM identity or null, the contributor's pseudonym, the sentence): what a later run needs of
    /// it when nothing it was accepted under changed, so its analysis is not decoded for that. Nil for clips not
    /// released, and for records made before it was kept.
    public var kept: String?

    public enum Columns {
        public static let path = Column(CodingKeys.path)
        public static let shard = Column(CodingKeys.shard)
    }

    /// Reads a row by column name (several times faster than the Codable decoder, and the ledger reads
    /// every clip each run). `analysis` and `fingerprint` may be left out of the query (``Ledger/clips(light:)``).
    public init(row: Row) throws {
        path = row["path"]
        language = row["language"]
        size = row["size"]
        mtimeNs = row["mtime_ns"]
        sidecarSize = row["sidecar_size"]
        sidecarMtimeNs = row["sidecar_mtime_ns"]
        fileSha256 = row["file_sha256"]
        analysis = row["analysis"] ?? ""
        fingerprint = row["fingerprint"]
        status = row["status"]
        reasons = row["reasons"]
        detail = row["detail"]
        duplicateOf = row["duplicate_of"]
        durationS = row["duration_s"]
        shard = row["shard"]
        member = row["member"]
        audioSha256 = row["audio_sha256"]
        split = row["split"]
        withdrawn = row["withdrawn"]
        firstRun = row["first_run"]
        analysedRun = row["analysed_run"]
        kept = row["kept"]
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public init(
        path: String, language: String, size: Int, mtimeNs: Int64, sidecarSize: Int?, sidecarMtimeNs: Int64?,
        fileSha256: String, analysis: String, fingerprint: Data?, status: String, reasons: String, detail: String?,
        duplicateOf: String?,
        durationS: Double?, shard: String?, member: String?, audioSha256: String? = nil, split: String?,
        withdrawn: Bool,
        firstRun: Int64, analysedRun: Int64, kept: String? = nil
    ) {
        self.kept = kept
        self.path = path
        self.language = language
        self.size = size
        self.mtimeNs = mtimeNs
        self.sidecarSize = sidecarSize
        self.sidecarMtimeNs = sidecarMtimeNs
        self.fileSha256 = fileSha256
        self.analysis = analysis
        self.fingerprint = fingerprint
        self.status = status
        self.reasons = reasons
        self.detail = detail
        self.duplicateOf = duplicateOf
        self.durationS = durationS
        self.shard = shard
        self.member = member
        self.audioSha256 = audioSha256
        self.split = split
        self.withdrawn = withdrawn
        self.firstRun = firstRun
        self.analysedRun = analysedRun
    }
}

/// One released shard: its content is sealed; only removing clips (withdrawals, re-decisions) rewrites it.
public struct ShardRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "shard"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// Relative to the output folder, e.g. `shards/en/en-CC0-1.0-000000.tar`.
    public var path: String
    public var language: String
    public var license: String
    public var terms: String
    public var samples: Int
    public var bytes: Int
    public var sha256: String
    public var createdRun: Int64
    public var updatedRun: Int64

    public init(
        path: String, language: String, license: String, terms: String, samples: Int, bytes: Int, sha256: String,
        createdRun: Int64, updatedRun: Int64
    ) {
        self.path = path
        self.language = language
        self.license = license
        self.terms = terms
        self.samples = samples
        self.bytes = bytes
        self.sha256 = sha256
        self.createdRun = createdRun
        self.updatedRun = updatedRun
    }
}

/// One run that committed: when, with what, and what it did.
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    /// ISO 8601, UTC.
    public var started: String
    public var ended: String
    public var version: String
    /// SHA-256 of the pipeline configuration's canonical text.
    public var configHash: String
    /// SHA-256 of everything besides the clips that decides the outputs (version, configuration, language
    /// revision, withdrawals listed, community terms, partition, speaker key id): equal between two runs over
    /// unchanged clips, the second has nothing to do.
    public var inputsHash: String
    /// Whether the run's release files were all written (set after its commit, once they are).
    public var published = false
    public var root: String
    public var clips: Int
    public var decoded: Int
    public var reused: Int
    public var accepted: Int
    public var rejected: Int
    public var newShards: Int
    public var rewrittenShards: Int
    public var withdrawnClips: Int
    /// SHA-256 of what the run's decisions rest on besides each clip's own analysis and its contributor's consent
    /// (voxgate version, language revision, decision settings, community terms, votes, speaker key, partition);
    /// nil for runs made before it was recorded. Equal in the next run: a released clip whose analysis did not
    /// change is still accepted unless its contributor withdrew (``ClipRecord/kept``).
    public var basisHash: String?

    public init(
        started: String, ended: String, version: String, configHash: String, inputsHash: String, root: String,
        clips: Int, decoded: Int,
        reused: Int, accepted: Int, rejected: Int, newShards: Int, rewrittenShards: Int, withdrawnClips: Int,
        basisHash: String? = nil
    ) {
        self.basisHash = basisHash
        self.started = started
        self.ended = ended
        self.version = version
        self.configHash = configHash
        self.inputsHash = inputsHash
        self.root = root
        self.clips = clips
        self.decoded = decoded
        self.reused = reused
        self.accepted = accepted
        self.rejected = rejected
        self.newShards = newShards
        self.rewrittenShards = rewrittenShards
        self.withdrawnClips = withdrawnClips
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The audit record of one contributor's withdrawal: when, how many clips, which shards were rewritten.
/// It keeps a keyed hash of the contributor's pseudonym (HMAC under the corpus's speaker key), never the id nor
/// the pseudonym itself.
public struct WithdrawalRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "withdrawal"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// What `speakerHash` is a keyed hash of.
    public enum Hashed: String, Codable, Sendable {
        /// The contributor's pseudonym (``SpeakerPseudonym``): every record since the ledger keeps pseudonyms.
        case pseudonym
        /// The raw client_id: records made before (matched only against ids as read from sidecars).
        case clientID = "client_id"
    }

    public var speakerHash: String
    public var hashed: Hashed = .pseudonym
    public var run: Int64
    /// ISO 8601, UTC.
    public var at: String
    public var clips: Int
    /// The shards rewritten without their clips, as a JSON array of paths.
    public var shards: String

    public init(speakerHash: String, hashed: Hashed = .pseudonym, run: Int64, at: String, clips: Int, shards: String) {
        self.speakerHash = speakerHash
        self.hashed = hashed
        self.run = run
        self.at = at
        self.clips = clips
        self.shards = shards
    }
}

/// A file operation a committed run still owes the output folder (the journal that makes a run atomic):
/// `rename` moves `<path>.partial` into place, `delete` removes `<path>`. Replayed after a crash.
public struct PendingFile: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "pending_file"
    public var path: String
    public var op: String

    public init(path: String, op: String) {
        self.path = path
        self.op = op
    }
}

extension ClipAnalysis {
    /// An analysis from the ledger's JSON alone (no fingerprint).
    init(ledgerJSON text: String) throws {
        if let analysis = ClipAnalysis(storedJSON: text) {  // the text this voxgate writes, read without JSONDecoder
            self = analysis
            return
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(ClipAnalysis.self, from: Data(text.utf8))
    }

    /// The ledger's JSON of an analysis (non-finite levels, such as the −∞ dBFS of digital silence, as strings).
    public func ledgerJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The analysis of a ledger record: its JSON, with the fingerprint from its binary column.
    public init(record: ClipRecord) throws {
        try self.init(ledgerJSON: record.analysis)
        if let bytes = record.fingerprint, measurement != nil {
            measurement!.fingerprint = bytes.withUnsafeBytes { ClipMeasurement.fingerprint(bytes: $0) }
        }
    }
}
