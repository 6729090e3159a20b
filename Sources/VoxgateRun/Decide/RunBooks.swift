import Crypto
import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// What one run changed, kept clip by clip as outcomes arrive: the ledger records to write, the shard
/// members to remove, and the withdrawals to audit.
///
/// The records go to the ledger's stage (``Ledger/stage(_:)``, on disk) every ``stageBatch`` clips: a run holds
/// one batch of them, not one per clip of the corpus.
struct RunBooks {
    static let stageBatch = 512
    private let plan: IncrementalPlan
    private let speaker: SpeakerPseudonym
    private let ledger: Ledger

    private(set) var done = 0
    private(set) var decoded = 0
    /// Released shard → keys of the samples to remove from it.
    private(set) var removals: [String: Set<String>] = [:]
    private var records: [ClipRecord] = []
    /// Records written so far (staged or in `records`).
    private(set) var recorded = 0
    /// Paths whose records this run writes, among those ``watch(_:)`` named.
    private var watched: Set<String> = []
    private(set) var writtenWatched: Set<String> = []
    /// Keyed hash of a newly withdrawn contributor → clips, and the shards they were removed from.
    private var withdrawn: [String: (clips: Int, shards: Set<String>)] = [:]
    private(set) var newlyWithdrawnClips = 0

    init(plan: IncrementalPlan, speaker: SpeakerPseudonym, ledger: Ledger) {
        self.plan = plan
        self.speaker = speaker
        self.ledger = ledger
    }

    /// Removes clips from the release (their samples leave their shards).
    mutating func remove(_ records: [ClipRecord]) {
        for record in records {
            if let shard = record.shard, let member = record.member { removals[shard, default: []].insert(member) }
        }
    }

    /// Removes samples by key from a released shard (legacy samples no record points to).
    mutating func remove(_ keys: Set<String>, from shard: String) { removals[shard, default: []].formUnion(keys) }

    /// The ledger's record of a clip (nil: a new clip): the one its stored analysis came with (`earlier`), else
    /// read on its own (a changed clip: few) — the run holds no record per clip.
    func before(_ clip: String, earlier: StoredAnalyses.Earlier?) throws(RunError) -> ClipRecord? {
        if let earlier { return earlier.before }
        guard plan.ledgered[done].contains(.known) else { return nil }  // `clip` is the plan's clip `done`
        if let records = plan.records { return records[clip] }
        return try ledger.clip(at: clip, light: true)
    }

    /// Where an earlier run released this clip (`before`), when the clip is unchanged and still accepted.
    func releasedPlace(of outcome: ClipOutcome, before: ClipRecord?) -> OutputRecords.Placement? {
        guard outcome.isAccepted, !outcome.decoded, let record = before, let shard = record.shard,
            let member = record.member
        else { return nil }
        return OutputRecords.Placement(shard: shard, key: member, split: record.split, audioSHA256: record.audioSha256)
    }

    /// Remembers which of `paths` get a record from this run (``writtenWatched``).
    mutating func watch(_ paths: [String]) { watched.formUnion(paths) }

    /// Records one clip's outcome. `earlier`: what the run re-decided it from (``StoredAnalyses``), nil if decoded;
    /// `before`: the ledger's record of the clip (``before(_:earlier:)``).
    mutating func record(
        _ outcome: ClipOutcome, earlier: StoredAnalyses.Earlier?, before: ClipRecord?,
        placement: OutputRecords.Placement?
    ) throws(RunError) {
        let clip = outcome.source.clip
        let i = done  // outcomes arrive once per clip, in the plan's order
        precondition(plan.sources[i].clip == clip, "outcome of \(clip) out of order")
        done += 1
        if outcome.decoded { decoded += 1 }
        if let before, let shard = before.shard, let member = before.member, placement?.shard != shard {
            removals[shard, default: []].insert(member)
        }
        let isWithdrawn = outcome.findings.contains { $0.reason == .consentWithdrawn }
        var analysis = outcome.analysis
        let unchanged = !outcome.decoded && earlier != nil && outcome.analysis == earlier?.analysis
        var text = unchanged ? earlier?.text : nil
        // The ledger's analysis text and fingerprint stand (``StoredAnalyses/Earlier/stands``): they are `before`'s,
        // and the record is written only when something else changed.
        var stands = unchanged && earlier?.stands == true && before != nil
        if isWithdrawn && before?.withdrawn != true {
            newlyWithdrawnClips += 1
            if case .valid(let meta) = outcome.analysis.sidecar {
                let hash = speaker.withdrawalHash(pseudonym: meta.clientID)
                var entry = withdrawn[hash] ?? (0, [])
                entry.clips += 1
                if let shard = before?.shard { entry.shards.insert(shard) }
                withdrawn[hash] = entry
            }
        }
        if isWithdrawn {  // the ledger keeps no metadata (nor fingerprint) of a contributor who withdrew
            analysis.sidecar = .missing
            analysis.languageFindings = nil
            analysis.measurement?.fingerprint = []
            text = nil
            stands = false
        }
        let reasons = outcome.reasons.map(\.rawValue).joined(separator: ",")
        let (file, sidecar) = plan.stamps(i)
        let record = ClipRecord(
            path: clip, language: outcome.source.languageTag, size: file.size, mtimeNs: file.mtimeNs,
            sidecarSize: sidecar?.size, sidecarMtimeNs: sidecar?.mtimeNs,
            fileSha256: analysis.fileSHA256 ?? "",
            analysis: stands ? before!.analysis : text ?? analysis.ledgerJSON(),
            fingerprint: stands || text != nil
                ? before?.fingerprint : analysis.measurement.map { Data($0.fingerprintBytes) },
            status: outcome.isAccepted ? "accepted" : "rejected", reasons: reasons, detail: outcome.detail,
            duplicateOf: outcome.duplicateOf, durationS: outcome.measurement?.durationSeconds, shard: placement?.shard,
            member: placement?.key, audioSha256: placement?.audioSHA256, split: placement?.split,
            withdrawn: isWithdrawn, firstRun: before?.firstRun ?? 0,
            analysedRun: outcome.decoded ? 0 : (before?.analysedRun ?? 0),
            kept: placement != nil && !isWithdrawn ? KeptRegistration(outcome)?.text : nil)
        if record != before {
            records.append(record)
            recorded += 1
            if watched.contains(clip) { writtenWatched.insert(clip) }
            if records.count >= Self.stageBatch { try flush() }
        }
    }

    /// Stages the records kept so far.
    private mutating func flush() throws(RunError) {
        try ledger.stage(records)
        records.removeAll(keepingCapacity: true)
    }

    /// The ledger change of this run, with an audit record for each contributor withdrawn for the first time
    /// (listed ids with no clips included).
    /// Every record is staged by then; `change.clips` is left for records the books did not write.
    mutating func change(run: RunRecord, listedWithdrawals: Set<String>, earlierWithdrawn: Set<String>) throws(RunError)
        -> LedgerChange
    {
        try flush()
        var change = LedgerChange(run: run)
        let at = run.ended
        var audits = withdrawn
        for pseudonym in listedWithdrawals {
            let hash = speaker.withdrawalHash(pseudonym: pseudonym)
            if audits[hash] == nil { audits[hash] = (0, []) }
        }
        for (hash, entry) in audits.sorted(by: { $0.key < $1.key }) where !earlierWithdrawn.contains(hash) {
            let shards = JSONText.array(entry.shards.sorted().map { .string($0) }).rendered
            change.withdrawals.append(
                WithdrawalRecord(speakerHash: hash, run: 0, at: at, clips: entry.clips, shards: shards))
        }
        return change
    }
}
