import Foundation
import VoxgateCorpus

/// Duplicates, decided in path order: the first acceptable clip is kept and each later one rejected
/// `duplicate`, naming the kept clip and saying which kind it is:
/// - the same decoded samples (SHA-256 of the PCM): a copy of an upload, whatever its container;
/// - the same speaker reading the same sentence again (normalised: case, punctuation and spacing
///   ignored; `dedupe.same_speaker_sentence`);
/// - the same recording, not bit-identical: re-encoded, resampled, louder or quieter, with silence added or
///   trimmed, mixed down or with mild noise, in any language folder (``NearDuplicateIndex``, from the
///   clips' acoustic fingerprints).
///
/// Only clips accepted so far, and clips ``register(_:)``ed as kept by earlier runs, are registered, so a copy
/// whose first instance was rejected for another reason (no consent, say) can still be kept.
/// - Complexity: O(1) per clip for the exact kinds, O(clip length) for the near-duplicate lookup; memory
///   grows by one digest and about 250 bytes of fingerprint index per kept clip.
public struct DuplicateIndex: Sendable {
    private var kept: [String: String] = [:]  // PCM digest → kept clip
    private var readings: [String: String] = [:]  // language, client_id, sentence → kept clip
    private var recordings = NearDuplicateIndex()
    private var recordingClips: [String] = []  // near-duplicate ordinal → kept clip
    private let sameSpeakerSentence: Bool
    private var released: Set<String> = []  // clips earlier runs released

    public init(sameSpeakerSentence: Bool = true) { self.sameSpeakerSentence = sameSpeakerSentence }

    /// Applies the duplicate check to `outcome`, which must arrive in path order. A clip is never a duplicate of
    /// itself (a clip registered by an earlier run and decided again).
    public mutating func decide(_ outcome: inout ClipOutcome) {
        guard let measurement = outcome.measurement else { return }
        let clip = outcome.source.clip
        // A clip an earlier run released is the kept one of its group by definition: nothing to look up.
        if released.contains(clip) { return }
        let reading = readingKey(outcome)
        if let first = kept[measurement.pcmSHA256], first != clip {
            outcome.duplicateOf = first
            outcome.findings.append(Finding(.duplicate, "the same decoded samples as \(first), which is kept"))
            outcome.shardAudio = nil
        } else if sameSpeakerSentence, let reading, let first = readings[reading], first != clip {
            outcome.duplicateOf = first
            outcome.findings.append(
                Finding(.duplicate, "the same speaker already recorded this sentence in \(first), which is kept"))
            outcome.shardAudio = nil
        } else if kept[measurement.pcmSHA256] != clip, !measurement.fingerprint.isEmpty,
            let match = recordings.bestMatch(measurement.fingerprint, excluding: { recordingClips[$0] == clip })
        {
            let first = recordingClips[match.ordinal]
            outcome.duplicateOf = first
            let similarity = String(format: "%.2f", match.similarity)
            outcome.findings.append(
                Finding(
                    .duplicate,
                    "the same recording as \(first) (similarity \(similarity) at offset \(String(format: "%+d", match.offsetMilliseconds)) ms), which is kept"
                ))
            outcome.shardAudio = nil
        } else if outcome.isAccepted {
            register(outcome)
        }
    }

    /// Records a clip an earlier run released, before this run's clips are decided: it is the kept clip of
    /// its group whatever comes later (``decide(_:)`` leaves it as it is), and later copies are its duplicates.
    public mutating func register(released outcome: ClipOutcome) {
        released.insert(outcome.source.clip)
        register(outcome)
    }

    /// Records `outcome` as a kept clip without deciding it: its samples' digest, its reading (speaker and
    /// sentence) and its fingerprint. Registering a clip twice has no further effect.
    public mutating func register(_ outcome: ClipOutcome) {
        guard let measurement = outcome.measurement else { return }
        let clip = outcome.source.clip
        if kept[measurement.pcmSHA256] == clip { return }
        if kept[measurement.pcmSHA256] == nil { kept[measurement.pcmSHA256] = clip }
        if let reading = readingKey(outcome), readings[reading] == nil { readings[reading] = clip }
        if !measurement.fingerprint.isEmpty {
            recordings.insert(measurement.fingerprint)
            recordingClips.append(clip)
        }
    }

    private func readingKey(_ outcome: ClipOutcome) -> String? {
        outcome.metadata.map {
            [outcome.source.languageTag, $0.clientID, SentenceKey.normalise($0.sentence)].joined(separator: "\u{0}")
        }
    }
}
