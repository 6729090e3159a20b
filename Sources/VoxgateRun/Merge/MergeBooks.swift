import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// What a merge records, clip by clip: ``RunBooks`` for a run whose clips no earlier run of its folder saw
/// (nothing to remove from a released shard, every record new), kept as counts so nothing grows with the clips
/// but the audit of newly withdrawn contributors.
struct MergeBooks {
    let speaker: SpeakerPseudonym
    private(set) var done = 0
    private(set) var decoded = 0
    private(set) var accepted = 0
    private(set) var audioSeconds = 0.0
    private(set) var newlyWithdrawnClips = 0
    /// Keyed hash of a withdrawn contributor's pseudonym → their clips.
    private var withdrawn: [String: Int] = [:]

    init(speaker: SpeakerPseudonym) { self.speaker = speaker }

    /// The output ledger's record of one decided clip. A withdrawn contributor's metadata and fingerprint are
    /// not kept; an analysis the merge did not change keeps the partition's text and fingerprint.
    mutating func record(
        _ outcome: ClipOutcome, placement: OutputRecords.Placement?, clip: Merge.Clip, stored: ClipRecord
    ) -> ClipRecord {
        done += 1
        if outcome.decoded { decoded += 1 }
        if outcome.isAccepted { accepted += 1 }
        audioSeconds += outcome.measurement?.durationSeconds ?? 0
        var analysis = outcome.analysis
        var text = outcome.decoded || outcome.analysis != clip.earlier ? nil : clip.storedText
        if outcome.findings.contains(where: { $0.reason == .consentWithdrawn }) {
            newlyWithdrawnClips += 1
            if case .valid(let meta) = outcome.analysis.sidecar {
                withdrawn[speaker.withdrawalHash(pseudonym: meta.clientID), default: 0] += 1
            }
            analysis.sidecar = .missing
            analysis.languageFindings = nil
            analysis.measurement?.fingerprint = []
            text = nil
        }
        return ClipRecord(
            path: outcome.source.clip, language: outcome.source.languageTag, size: clip.file.size,
            mtimeNs: clip.file.mtimeNs, sidecarSize: clip.sidecar?.size, sidecarMtimeNs: clip.sidecar?.mtimeNs,
            fileSha256: analysis.fileSHA256 ?? "", analysis: text ?? analysis.ledgerJSON(),
            fingerprint: text != nil ? stored.fingerprint : analysis.measurement.map { Data($0.fingerprintBytes) },
            status: outcome.isAccepted ? "accepted" : "rejected",
            reasons: outcome.reasons.map(\.rawValue).joined(separator: ","),
            detail: outcome.detail, duplicateOf: outcome.duplicateOf, durationS: outcome.measurement?.durationSeconds,
            shard: placement?.shard, member: placement?.key, audioSha256: placement?.audioSHA256,
            split: placement?.split,
            withdrawn: outcome.findings.contains { $0.reason == .consentWithdrawn }, firstRun: 0, analysedRun: 0)
    }

    /// The merge's ledger change besides its clips: its run, and an audit record for each contributor withdrawn
    /// for the first time (listed pseudonyms with no clips included), then the partitions' own audit records.
    func change(run: RunRecord, listed: Set<String>, earlier: Set<String>, carried: [WithdrawalRecord]) -> LedgerChange
    {
        var change = LedgerChange(run: run)
        change.run.clips = done
        change.run.decoded = decoded
        change.run.reused = done - decoded
        change.run.accepted = accepted
        change.run.rejected = done - accepted
        change.run.withdrawnClips = newlyWithdrawnClips
        var audits = withdrawn
        for pseudonym in listed {
            let hash = speaker.withdrawalHash(pseudonym: pseudonym)
            if audits[hash] == nil { audits[hash] = 0 }
        }
        for (hash, clips) in audits.sorted(by: { $0.key < $1.key }) where !earlier.contains(hash) {
            change.withdrawals.append(
                WithdrawalRecord(speakerHash: hash, run: 0, at: run.ended, clips: clips, shards: "[]"))
        }
        for w in carried where !change.withdrawals.contains(where: { $0.speakerHash == w.speakerHash }) {
            change.withdrawals.append(w)
        }
        return change
    }
}
