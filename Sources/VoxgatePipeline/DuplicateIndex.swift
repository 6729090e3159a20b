import VoxgateCorpus

/// Exact duplicates by PCM digest, decided in path order: the first acceptable clip with a given sound
/// is kept; each later copy is rejected `duplicate`, naming the kept clip.
///
/// Only clips accepted so far are registered, so a copy whose first instance was rejected for
/// another reason (no consent, say) can still be kept.
/// - Complexity: O(1) per clip; memory grows by one digest per accepted clip (the ledger replaces it
///   with an on-disk index for corpora of tens of millions of clips).
public struct DuplicateIndex: Sendable {
    private var kept: [String: String] = [:]  // PCM digest → kept clip

    public init() {}

    /// Applies the duplicate check to `outcome`, which must arrive in path order.
    public mutating func decide(_ outcome: inout ClipOutcome) {
        guard let digest = outcome.measurement?.pcmSHA256 else { return }
        if let first = kept[digest] {
            outcome.duplicateOf = first
            outcome.findings.append(Finding(.duplicate, "the same decoded samples as \(first), which is kept"))
            outcome.shardAudio = nil
        } else if outcome.isAccepted {
            kept[digest] = outcome.source.clip
        }
    }
}
