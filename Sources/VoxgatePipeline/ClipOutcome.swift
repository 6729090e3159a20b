public import VoxgateCorpus

/// What decoding and measuring one clip found. Every figure comes from decoded frames, never a header.
public struct ClipMeasurement: Sendable, Hashable, Codable {
    /// Decoded frames (per channel).
    public var frames: Int
    /// Source sample rate, never resampled.
    public var sampleRate: Int
    /// Source channel count.
    public var channels: Int
    /// Container recognised from the content, e.g. `ogg-opus`.
    public var container: String
    /// The extension that names the content (`flac` for FLAC named `.wav`; `opus` for Ogg Opus).
    public var contentExtension: String
    /// Sample coding, e.g. `pcm_16`, `mp3`.
    public var encoding: String
    /// RMS of the mono mix, dBFS.
    public var rmsDBFS: Double
    /// Sample peak over all channels, dBFS.
    public var samplePeakDBFS: Double
    /// Loudness, true peak, clipping, speech activity and SNR.
    public var signal: SignalMetrics
    /// The PCM identity, version 2: XXH3-128 of the decoded samples (see ``PCMDigest``), 32 lowercase hex digits.
    /// Nil in an analysis stored by a voxgate before it (which kept a SHA-256, identity version 1, that no
    /// version-2 value can equal): a run re-identifies such a clip from its file (``PCMDigest/identity(path:expecting:)``)
    /// before comparing it with any other, and only a clip whose upload is gone keeps none.
    public var pcmXXH3: String?
    /// Acoustic fingerprint of the mono mix (see ``AudioFingerprint``): one 32-bit sub-fingerprint per 8 ms;
    /// empty when the clip is too short to have one.
    public var fingerprint: [UInt32]

    /// Exact duration in seconds: frames ÷ sample rate.
    public var durationSeconds: Double { Double(frames) / Double(sampleRate) }

    /// Every field but the fingerprint, which the ledger keeps as binary beside the rest (``fingerprintBytes``).
    enum CodingKeys: String, CodingKey {
        case frames, sampleRate, channels, container, contentExtension, encoding, rmsDBFS, samplePeakDBFS, signal,
            pcmXXH3
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        sampleRate = try c.decode(Int.self, forKey: .sampleRate)
        channels = try c.decode(Int.self, forKey: .channels)
        container = try c.decode(String.self, forKey: .container)
        contentExtension = try c.decode(String.self, forKey: .contentExtension)
        encoding = try c.decode(String.self, forKey: .encoding)
        rmsDBFS = try c.decode(Double.self, forKey: .rmsDBFS)
        samplePeakDBFS = try c.decode(Double.self, forKey: .samplePeakDBFS)
        signal = try c.decode(SignalMetrics.self, forKey: .signal)
        pcmXXH3 = try c.decodeIfPresent(String.self, forKey: .pcmXXH3)  // absent: stored with identity version 1
        fingerprint = []
    }

    public init(
        frames: Int, sampleRate: Int, channels: Int, container: String, contentExtension: String, encoding: String,
        rmsDBFS: Double, samplePeakDBFS: Double, signal: SignalMetrics, pcmXXH3: String?, fingerprint: [UInt32]
    ) {
        self.frames = frames
        self.sampleRate = sampleRate
        self.channels = channels
        self.container = container
        self.contentExtension = contentExtension
        self.encoding = encoding
        self.rmsDBFS = rmsDBFS
        self.samplePeakDBFS = samplePeakDBFS
        self.signal = signal
        self.pcmXXH3 = pcmXXH3
        self.fingerprint = fingerprint
    }

    /// The fingerprint as little-endian bytes (4 per sub-fingerprint), as the ledger stores it.
    public var fingerprintBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(fingerprint.count * 4)
        for v in fingerprint { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The fingerprint from ``fingerprintBytes``.
    public static func fingerprint(bytes: UnsafeRawBufferPointer) -> [UInt32] {
        (0..<bytes.count / 4).map { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
}

/// The audio member a shard stores for an accepted clip.
public struct ShardAudio: Sendable, Hashable {
    /// Where the member's bytes come from.
    public enum Content: Sendable, Hashable {
        /// Bytes made by the pipeline (FLAC re-encodes), at most `checks.max_duration_s` of audio.
        case bytes([UInt8])
        /// The uploaded file itself, streamed into the shard in chunks: memory does not grow with it. Hashed as it
        /// is copied: a file changed since it was analysed is refused.
        case file(path: String, size: Int)
        /// The uploaded file's bytes as analysed, held since they were read whole (at most
        /// ``FileImage/inMemoryLimit``): written as they are, their SHA-256 being the one taken over them.
        case upload(UploadBytes)
        /// A member of a shard already written (a partition's, for `merge`): `size` bytes at `offset`.
        case fileRange(path: String, offset: Int, size: Int)

        public var size: Int {
            switch self {
            case .bytes(let b): b.count
            case .file(_, let size): size
            case .upload(let upload): upload.count
            case .fileRange(_, _, let size): size
            }
        }
    }
    public var content: Content
    /// The extension that names the content (`flac`, `mp3`, `opus`, …).
    public var fileExtension: String
    /// SHA-256 of the content, lowercase hex: what its bytes must hash to when copied into a shard (the
    /// upload's hash when it was analysed, the FLAC's, or the hash a partition recorded for its member).
    public var sha256: String
    /// The rate and channels of uniform audio (`shards.sample_rate`, `shards.channels`); nil when the
    /// member has the clip's own rate and channels.
    public var format: Format?

    /// A resampled or downmixed member's format.
    public struct Format: Sendable, Hashable {
        public var sampleRate: Int
        public var channels: Int
        /// Frames at `sampleRate` (resampling changes the count).
        public var frames: Int
        public init(sampleRate: Int, channels: Int, frames: Int) {
            self.sampleRate = sampleRate
            self.channels = channels
            self.frames = frames
        }
    }

    public init(content: Content, fileExtension: String, sha256: String) {
        self.content = content
        self.fileExtension = fileExtension
        self.sha256 = sha256
    }
}

/// What reading and decoding one clip found, before any threshold is applied: what the ledger keeps so
/// that later runs re-decide the clip (new thresholds, new withdrawals) without decoding it again.
public struct ClipAnalysis: Sendable, Hashable, Codable {
    /// The clip's metadata as read (or why it could not be).
    public var sidecar: SidecarReading
    /// nil when the clip could not be decoded.
    public var measurement: ClipMeasurement?
    /// Why decoding failed (the `decode_error` detail).
    public var decodeFailure: String?
    /// SHA-256 of the file's bytes as analysed, lowercase hex (nil when unreadable).
    public var fileSHA256: String?
    /// The language checks' findings on the metadata (locale, script, text identification), under
    /// ``LanguageCheck/revision`` `languageRevision`: pure functions of the sentence, so kept to spare
    /// later runs the text identifier.
    public var languageFindings: [Finding]?
    public var languageRevision: String?

    public init(sidecar: SidecarReading, measurement: ClipMeasurement?, decodeFailure: String?, fileSHA256: String?) {
        self.sidecar = sidecar
        self.measurement = measurement
        self.decodeFailure = decodeFailure
        self.fileSHA256 = fileSHA256
    }
}

/// The decision on one clip, final and in path order: what every output is written from.
public struct ClipOutcome: Sendable {
    public var source: ClipSource
    /// What the decision was made from (kept by the ledger).
    public var analysis: ClipAnalysis
    /// Whether this run decoded the clip (false: its analysis came from the ledger).
    public var decoded: Bool
    public var metadata: ClipMetadata?
    /// The terms the clip is released under (its own, narrowing its community's); nil without metadata.
    public var terms: Terms?
    /// nil when the clip could not be decoded.
    public var measurement: ClipMeasurement?
    /// Every reason found, in the order the checks ran.
    public var findings: [Finding]
    /// The kept clip this one duplicates.
    public var duplicateOf: String?
    /// The audio to shard; present exactly when the clip is accepted.
    public var shardAudio: ShardAudio?
    /// Reviewers' votes on the clip, when there are any (``ReviewPolicy``).
    public var review: ReviewTally?
    /// The findings reviewers' votes overruled (the clip is accepted despite them).
    public var reviewLifted: [Finding] = []

    public var isAccepted: Bool { findings.isEmpty }

    /// A clip as an earlier run left it, before any check: for registering kept clips.
    public init(source: ClipSource, earlier analysis: ClipAnalysis) {
        self.source = source
        self.analysis = analysis
        self.decoded = false
        if case .valid(let m) = analysis.sidecar { metadata = m }
        measurement = analysis.measurement
        findings = []
    }

    init(
        source: ClipSource, analysis: ClipAnalysis, decoded: Bool, metadata: ClipMetadata?, terms: Terms?,
        measurement: ClipMeasurement?, findings: [Finding], duplicateOf: String?, shardAudio: ShardAudio?
    ) {
        self.source = source
        self.analysis = analysis
        self.decoded = decoded
        self.metadata = metadata
        self.terms = terms
        self.measurement = measurement
        self.findings = findings
        self.duplicateOf = duplicateOf
        self.shardAudio = shardAudio
    }

    /// Distinct reason codes in contract order.
    public var reasons: [ReasonCode] { Array(Set(findings.map(\.reason))).sorted() }

    /// One human sentence per finding, in the order of ``reasons``, joined; nil for an accepted clip.
    public var detail: String? {
        if findings.isEmpty, let review, !reviewLifted.isEmpty { return ReviewPolicy.liftNote(reviewLifted, review) }
        guard !findings.isEmpty else { return nil }
        let ordered = findings.enumerated().sorted { ($0.element.reason, $0.offset) < ($1.element.reason, $1.offset) }
        return ordered.map { "\($0.element.reason.rawValue): \($0.element.detail)" }.joined(separator: "; ")
    }
}
