import VoxgateCorpus

/// Duplicates, decided in path order: the first acceptable clip is kept and each later one rejected
/// `duplicate`, naming the kept clip and saying which kind it is:
/// - the same decoded samples (SHA-256 of the PCM): a copy of an upload, whatever its container;
/// - the same speaker reading the same sentence again (normalised: case, punctuation and spacing
///   ignored; `dedupe.same_speaker_sentence`).
///
/// Only clips accepted so far are registered, so a copy whose first instance was rejected for
/// another reason (no consent, say) can still be kept.
/// - Complexity: O(1) per clip; memory grows by one digest per accepted clip (the ledger replaces it
///   with an on-disk index for corpora of tens of millions of clips).
public struct DuplicateIndex: Sendable {
    private var kept: [String: String] = [:]  // PCM digest → kept clip
    private var readings: [String: String] = [:]  // language, client_id, sentence → kept clip
    private let sameSpeakerSentence: Bool

    public init(sameSpeakerSentence: Bool = true) { self.sameSpeakerSentence = sameSpeakerSentence }

    private static func reading(_ outcome: ClipOutcome) -> String? {
        outcome.metadata.map {
            [outcome.source.languageTag, $0.clientID, SentenceKey.normalise($0.sentence)].joined(separator: "\u{0}")
        }
    }

    /// Records a clip an earlier run accepted and released as kept, before this run's clips are decided:
    /// a later copy of it is the duplicate, whatever its path.
    public mutating func register(_ outcome: ClipOutcome) {
        guard let digest = outcome.measurement?.pcmSHA256 else { return }
        kept[digest] = kept[digest] ?? outcome.source.clip
        if let reading = Self.reading(outcome) { readings[reading] = readings[reading] ?? outcome.source.clip }
    }

    /// Applies the duplicate check to `outcome`, which must arrive in path order.
    public mutating func decide(_ outcome: inout ClipOutcome) {
        guard let digest = outcome.measurement?.pcmSHA256 else { return }
        let clip = outcome.source.clip
        let reading = Self.reading(outcome)
        if let first = kept[digest], first != clip {
            outcome.duplicateOf = first
            outcome.findings.append(Finding(.duplicate, "the same decoded samples as \(first), which is kept"))
            outcome.shardAudio = nil
        } else if sameSpeakerSentence, let reading, let first = readings[reading], first != clip {
            outcome.duplicateOf = first
            outcome.findings.append(
                Finding(.duplicate, "the same speaker already recorded this sentence in \(first), which is kept"))
            outcome.shardAudio = nil
        } else if outcome.isAccepted {
            kept[digest] = kept[digest] ?? clip
            if let reading { readings[reading] = readings[reading] ?? clip }
        }
    }
}
