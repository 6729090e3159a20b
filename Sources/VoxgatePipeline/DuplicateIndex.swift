import Foundation
import VoxgateCorpus

/// Duplicates, decided in path order: the first acceptable clip is kept and each later one rejected
/// `duplicate`, naming the kept clip and saying which kind it is:
/// - the same decoded samples (the PCM identity, XXH3-128: ``PCMDigest``): a copy of an upload, whatever its
///   container;
/// - the same speaker reading the same sentence again (normalised: case, punctuation and spacing
///   ignored; `dedupe.same_speaker_sentence`);
/// - the same recording, not bit-identical: re-encoded, resampled, louder or quieter, with silence added or
///   trimmed, mixed down or with mild noise, in any language folder (``NearDuplicateIndex``, from the
///   clips' acoustic fingerprints).
///
/// Only clips accepted so far, and clips ``register(_:)``ed as kept by earlier runs, are registered, so a copy
/// whose first instance was rejected for another reason (no consent, say) can still be kept.
/// - Complexity: O(1) per clip for the exact kinds, O(clip length) for the near-duplicate lookup.
///
/// Memory: nothing per clip on the heap but fixed-size values. Each kept clip's path is stored once, as UTF-8 in
/// ``ClipPaths`` (path bytes + 4), and everything else refers to it by a 32-bit ordinal: the samples' identity as its
/// 16 bytes (20-byte entries of a ``ShardedTable``), the reading as a 16-byte keyed hash (the same), the
/// near-duplicate index's ordinal → clip (4 bytes), and the clips earlier runs released as a table of their paths'
/// hashes and ordinals (8-byte entries). With 16-byte paths (`en/c00012345.wav`), at 100,000 clips the index
/// counts 344 bytes per clip registered as kept and 359 as released (about 105 and 120 beside the near-duplicate
/// index's 234–254), and the process's resident set grows by 361 and 382 (480 and 500 at its peak, when the
/// near-duplicate table is rebuilt); main's String-keyed index grew it by 929 and 995 (`voxgate-bench
/// duplicate-index`, `scripts/bench-duplicate-index`).
///
/// Why 128 bits are enough for a digest or a reading: two different values of n share them with probability about
/// n² / 2^129, 1.3 × 10^-24 at 30 million clips. XXH3 is not a cryptographic hash: a contributor may be able to
/// make two of their own uploads share an identity, which only makes one of them a duplicate of the other; to have
/// someone else's clip rejected they would need its exact samples before it is uploaded (a released clip is always
/// the kept one). A clip without an identity (``ClipMeasurement/pcmXXH3``) is registered by its reading and
/// fingerprint only.
/// Readings are keyed by the process's random SipHash key, which changes every run.
public struct DuplicateIndex: Sendable {
    private var paths = ClipPaths()
    private var kept = ShardedTable<KeyedOrdinal>()  // PCM digest → kept clip
    private var readings = ShardedTable<KeyedOrdinal>()  // language, client_id, sentence → kept clip
    private var recordings: NearDuplicateIndex
    private var recordingClips: [UInt32] = []  // near-duplicate ordinal → kept clip
    private let sameSpeakerSentence: Bool
    private var released = ShardedTable<HashedOrdinal>()  // clips earlier runs released, by their paths' hashes

    /// - Parameter expectedClips: clips the run may register (its clips): the near-duplicate table is sized for
    ///   them at once instead of growing by 15% at a time, each growth re-adding every clip's keys (about 7.7 adds
    ///   per clip over a run, and 4.5% of a 100,000-clip nightly run's CPU; the decisions do not depend on it).
    public init(sameSpeakerSentence: Bool = true, expectedClips: Int = 1024) {
        self.sameSpeakerSentence = sameSpeakerSentence
        recordings = NearDuplicateIndex(expectedClips: expectedClips)
    }

    /// Bytes the index holds (its tables, paths and the near-duplicate index), for benchmarks.
    public var memoryBytes: Int {
        paths.memoryBytes + kept.memoryBytes + readings.memoryBytes + released.memoryBytes + recordings.memoryBytes
            + recordingClips.capacity * 4
    }

    /// Applies the duplicate check to `outcome`, which must arrive in path order. A clip is never a duplicate of
    /// itself (a clip registered by an earlier run and decided again).
    /// - Parameter standing: an earlier run's near-duplicate decision of this unchanged clip: it replaces the
    ///   near-duplicate lookup when its kept clip is registered as released (``StandingNearDuplicate``).
    public mutating func decide(_ outcome: inout ClipOutcome, standing: StandingNearDuplicate? = nil) {
        guard let measurement = outcome.measurement else { return }
        let clip = outcome.source.clip
        // A clip an earlier run released is the kept one of its group by definition: nothing to look up.
        if isReleased(clip) { return }
        let kept = keptOrdinal(measurement)
        if let kept, !paths.matches(kept, clip) {
            let first = paths[kept]
            outcome.duplicateOf = first
            outcome.findings.append(Finding(.duplicate, "the same decoded samples as \(first), which is kept"))
            outcome.shardAudio = nil
        } else if sameSpeakerSentence, let reading = Self.readingKey(outcome),
            let same = readings.first(at: reading.placement, where: { $0.key == reading })?.ordinal,
            !paths.matches(same, clip)
        {
            let first = paths[same]
            outcome.duplicateOf = first
            outcome.findings.append(
                Finding(.duplicate, "the same speaker already recorded this sentence in \(first), which is kept"))
            outcome.shardAudio = nil
        } else if kept == nil, !measurement.fingerprint.isEmpty, let standing, isReleased(standing.kept) {
            outcome.duplicateOf = standing.kept
            outcome.findings.append(Finding(.duplicate, standing.detail))
            outcome.shardAudio = nil
        } else if kept == nil, !measurement.fingerprint.isEmpty,
            let match = recordings.bestMatch(
                measurement.fingerprint, excluding: { paths.matches(recordingClips[$0], clip) })
        {
            let first = paths[recordingClips[match.ordinal]]
            outcome.duplicateOf = first
            let similarity = String(format: "%.2f", match.similarity)
            let offset = String(format: "%+d", match.offsetMilliseconds)
            outcome.findings.append(
                Finding(
                    .duplicate,
                    StandingNearDuplicate.prefix(first) + "\(similarity) at offset \(offset)"
                        + StandingNearDuplicate.suffix))
            outcome.shardAudio = nil
        } else if outcome.isAccepted {
            register(outcome)
        }
    }

    /// Records a clip an earlier run released, before this run's clips are decided: it is the kept clip of
    /// its group whatever comes later (``decide(_:)`` leaves it as it is), and later copies are its duplicates.
    public mutating func register(released outcome: ClipOutcome) {
        registerReleased(outcome.source.clip) { $0.store(outcome) }
    }

    /// ``register(released:)`` from what the index keeps of a clip, without its outcome: its PCM identity, its
    /// reading (``readingKey(language:clientID:sentence:)``) and its fingerprint.
    public mutating func register(released clip: String, identity: String, reading: Key128, fingerprint: [UInt32]) {
        registerReleased(clip) { $0.store(clip, identity: identity, reading: reading, fingerprint: fingerprint) }
    }

    /// Stores a clip (`store`: its ordinal when the index refers to it) and marks it released, once.
    private mutating func registerReleased(_ clip: String, store: (inout DuplicateIndex) -> UInt32?) {
        let wasReleased = isReleased(clip)
        let ordinal = store(&self)
        if !wasReleased {
            released.insert(HashedOrdinal(placement: Self.pathHash(clip), ordinal: ordinal ?? paths.append(clip)))
        }
    }

    /// Records `outcome` as a kept clip without deciding it: its samples' digest, its reading (speaker and
    /// sentence) and its fingerprint. Registering a clip twice has no further effect.
    public mutating func register(_ outcome: ClipOutcome) { store(outcome) }

    /// ``register(_:)``, returning the ordinal of the clip's path when the index refers to it.
    @discardableResult
    private mutating func store(_ outcome: ClipOutcome) -> UInt32? {
        guard let measurement = outcome.measurement else { return nil }
        return store(
            outcome.source.clip, identity: measurement.pcmXXH3, reading: Self.readingKey(outcome),
            fingerprint: measurement.fingerprint)
    }

    private mutating func store(_ clip: String, identity: String?, reading: Key128?, fingerprint: [UInt32]) -> UInt32? {
        let digest = identity.map(Self.digestKey)
        let kept = keptOrdinal(identity: identity)
        if let kept, paths.matches(kept, clip) { return kept }
        var ordinal: UInt32?
        func clipOrdinal() -> UInt32 {
            if let ordinal { return ordinal }
            let added = paths.append(clip)
            ordinal = added
            return added
        }
        if kept == nil, let digest { self.kept.insert(KeyedOrdinal(digest, ordinal: clipOrdinal())) }
        if let reading, readings.first(at: reading.placement, where: { $0.key == reading }) == nil {
            readings.insert(KeyedOrdinal(reading, ordinal: clipOrdinal()))
        }
        if !fingerprint.isEmpty {
            recordings.insert(fingerprint)
            recordingClips.append(clipOrdinal())
        }
        return ordinal
    }

    /// The kept clip with the samples' identity, if any (none without an identity: a clip an older voxgate analysed
    /// whose upload is gone, ``ClipMeasurement/pcmXXH3``).
    private func keptOrdinal(_ measurement: ClipMeasurement) -> UInt32? { keptOrdinal(identity: measurement.pcmXXH3) }

    private func keptOrdinal(identity: String?) -> UInt32? {
        guard let identity else { return nil }
        let digest = Self.digestKey(identity)
        return kept.first(at: digest.placement) { $0.key == digest }?.ordinal
    }

    private func isReleased(_ clip: String) -> Bool {
        guard released.count > 0 else { return false }
        let hash = Self.pathHash(clip)
        return released.first(at: hash) { $0.placement == hash && paths.matches($0.ordinal, clip) } != nil
    }

    /// 32 bits of the path's hash (Swift's, so canonically equivalent spellings agree, as String equality does).
    private static func pathHash(_ clip: String) -> UInt32 { UInt32(truncatingIfNeeded: clip.hashValue) }

    /// The 16 bytes of a lowercase-hex XXH3-128 (the form ``PCMDigest`` writes); any other string, its
    /// ``Key128/init(hashing:)``.
    static func digestKey(_ digest: String) -> Key128 {
        var digest = digest
        let bytes: Key128? = digest.withUTF8 { hex in
            guard hex.count == 32 else { return nil }
            var words: (UInt64, UInt64) = (0, 0)
            for (i, c) in hex.enumerated() {
                let nibble: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
                default: return nil
                }
                if i < 16 {
                    words.0 = words.0 << 4 | UInt64(nibble)
                } else {
                    words.1 = words.1 << 4 | UInt64(nibble)
                }
            }
            return Key128(words.0, words.1)
        }
        return bytes ?? Key128(hashing: digest)
    }

    /// The reading's key: language, client_id and normalised sentence.
    static func readingKey(_ outcome: ClipOutcome) -> Key128? {
        outcome.metadata.map {
            readingKey(language: outcome.source.languageTag, clientID: $0.clientID, sentence: $0.sentence)
        }
    }

    /// The key of a reading by `clientID` of `sentence` in `language`.
    public static func readingKey(language: String, clientID: String, sentence: String) -> Key128 {
        Key128(hashing: [language, clientID, SentenceKey.normalise(sentence)].joined(separator: "\u{0}"))
    }
}
