import Crypto
import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgatePipeline

/// What one run changed, kept clip by clip as outcomes arrive: the ledger records to write, the shard
/// members to remove, and the withdrawals to audit.
struct RunBooks {
    private let plan: IncrementalPlan
    private let known: [String: ClipRecord]
    private let speaker: SpeakerPseudonym
    private var index: [String: Int] = [:]

    private(set) var done = 0
    private(set) var decoded = 0
    /// Released shard → keys of the samples to remove from it.
    private(set) var removals: [String: Set<String>] = [:]
    private(set) var records: [ClipRecord] = []
    /// Keyed hash of a newly withdrawn contributor → clips, and the shards they were removed from.
    private var withdrawn: [String: (clips: Int, shards: Set<String>)] = [:]
    private(set) var newlyWithdrawnClips = 0

    init(plan: IncrementalPlan, known: [String: ClipRecord], speaker: SpeakerPseudonym) {
        self.plan = plan
        self.known = known
        self.speaker = speaker
        for (i, source) in plan.sources.enumerated() { index[source.clip] = i }
    }

    /// Removes clips from the release (their samples leave their shards).
    mutating func remove(_ records: [ClipRecord]) {
        for record in records {
            if let shard = record.shard, let member = record.member { removals[shard, default: []].insert(member) }
        }
    }

    /// Removes samples by key from a released shard (legacy samples no record points to).
    mutating func remove(_ keys: Set<String>, from shard: String) { removals[shard, default: []].formUnion(keys) }

    /// Where an earlier run released this clip, when the clip is unchanged and still accepted.
    func releasedPlace(of outcome: ClipOutcome) -> OutputRecords.Placement? {
        guard outcome.isAccepted, !outcome.decoded, let record = known[outcome.source.clip],
            let shard = record.shard, let member = record.member
        else { return nil }
        return OutputRecords.Placement(shard: shard, key: member, split: record.split, audioSHA256: record.audioSha256)
    }

    mutating func record(_ outcome: ClipOutcome, placement: OutputRecords.Placement?) {
        done += 1
        if outcome.decoded { decoded += 1 }
        let clip = outcome.source.clip
        let i = index[clip]!
        let before = known[clip]
        if let before, let shard = before.shard, let member = before.member, placement?.shard != shard {
            removals[shard, default: []].insert(member)
        }
        let isWithdrawn = outcome.findings.contains { $0.reason == .consentWithdrawn }
        var analysis = outcome.analysis
        var text = outcome.decoded || outcome.analysis != plan.earlier[i] ? nil : plan.storedText[i]
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
        }
        let reasons = outcome.reasons.map(\.rawValue).joined(separator: ",")
        let record = ClipRecord(
            path: clip, language: outcome.source.languageTag, size: plan.files[i].size, mtimeNs: plan.files[i].mtimeNs,
            sidecarSize: plan.sidecars[i]?.size, sidecarMtimeNs: plan.sidecars[i]?.mtimeNs,
            fileSha256: analysis.fileSHA256 ?? "", analysis: text ?? analysis.ledgerJSON(),
            fingerprint: text != nil ? before?.fingerprint : analysis.measurement.map { Data($0.fingerprintBytes) },
            status: outcome.isAccepted ? "accepted" : "rejected", reasons: reasons, detail: outcome.detail,
            duplicateOf: outcome.duplicateOf, durationS: outcome.measurement?.durationSeconds, shard: placement?.shard,
            member: placement?.key, audioSha256: placement?.audioSHA256, split: placement?.split, withdrawn: isWithdrawn, firstRun: before?.firstRun ?? 0,
            analysedRun: outcome.decoded ? 0 : (before?.analysedRun ?? 0))
        if record != before { records.append(record) }
    }

    /// The ledger change of this run, with an audit record for each contributor withdrawn for the first time
    /// (listed ids with no clips included).
    func change(run: RunRecord, listedWithdrawals: Set<String>, earlierWithdrawn: Set<String>) -> LedgerChange {
        var change = LedgerChange(run: run)
        change.clips = records
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

enum Timestamp {
    /// ISO 8601 in UTC, to the second.
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// The version recorded in every run and checked by `merge`.
public enum VoxgateVersion {
    public static let current = "0.2.0"
}

enum ConfigHash {
    /// SHA-256 of the configuration's decision settings (``PipelineConfig/decisionText``).
    static func of(_ config: PipelineConfig) -> String {
        SHA256.hash(data: Data(config.decisionText.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

enum InputsHash {
    /// SHA-256 over everything besides the clips themselves that decides a run's outputs.
    /// - Parameter listed: the pseudonyms of the withdrawals listed for the run.
    static func of(
        config: PipelineConfig, tree: CorpusInput, input: InputOptions, partition: Partition?, listed: Set<String>,
        speaker: SpeakerPseudonym
    ) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) }
        let terms = tree.communityTerms.keys.sorted().map { "\($0)=\(json(tree.communityTerms[$0]!))" }
        let parts: [String] = [
            VoxgateVersion.current, LanguageCheck.revision, config.decisionText, tree.layout, json(input),
            partition?.description ?? "all", listed.map { speaker.withdrawalHash(pseudonym: $0) }.sorted().joined(separator: ","),
            terms.joined(separator: ";"), speaker.keyID,
        ]
        return SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension ShardInfo {
    init(_ record: ShardRecord) {
        self.init(
            path: record.path, language: record.language, license: record.license, terms: record.terms,
            samples: record.samples, bytes: record.bytes, sha256: record.sha256)
    }
}
