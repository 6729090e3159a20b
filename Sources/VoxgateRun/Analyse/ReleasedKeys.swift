import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// What a released clip contributes before any clip is decided (``Ingest/keepReleased(_:pipeline:writer:duplicates:)``):
/// its PCM identity, its reading (contributor and sentence) and its fingerprint in the duplicate index, and its
/// sentence's split. Kept in the ledger beside the record (``ClipRecord/kept``), so a run whose decisions rest on
/// what the last run's did (``RunRecord/basisHash``) registers an unchanged released clip without decoding its
/// analysis.
struct KeptRegistration: Equatable {
    var identity: String
    var clientID: String
    var sentence: String

    /// The registration of an outcome the run releases; nil without a PCM identity (a clip an older voxgate analysed
    /// whose upload is gone) or metadata: such a clip is registered from its analysis.
    init?(_ outcome: ClipOutcome) {
        guard let identity = outcome.measurement?.pcmXXH3, let meta = outcome.metadata else { return nil }
        (self.identity, clientID, sentence) = (identity, meta.clientID, meta.sentence)
    }

    /// The ledger's text: a JSON array `[identity, client_id, sentence]`.
    var text: String { JSONText.array([.string(identity), .string(clientID), .string(sentence)]).rendered }

    /// From the ledger's text; nil when it is not three strings.
    init?(text: String) {
        guard case .array(let items)? = try? StrictJSON.parse(Array(text.utf8)), items.count == 3,
            case .string(let identity) = items[0], case .string(let clientID) = items[1],
            case .string(let sentence) = items[2]
        else { return nil }
        (self.identity, self.clientID, self.sentence) = (identity, clientID, sentence)
    }
}

/// The stored registrations of the plan's released clips, read from the ledger in path order a range at a time as
/// the run reaches them (like ``StoredAnalyses``, without an analysis): what is resident is one batch.
final class ReleasedKeys {
    /// A released clip's registration, its fingerprint and its split.
    struct Key {
        var registration: KeptRegistration
        var fingerprint: [UInt32]
        var split: String?
    }

    static let batch = 1024
    private let plan: IncrementalPlan
    private let ledger: Ledger
    private let wanted: (Int) -> Bool
    private var ahead: [Int: Key] = [:]
    private var next = 0

    /// - Parameter wanted: the plan's clips that will be asked for (the others are not read).
    init(plan: IncrementalPlan, ledger: Ledger, wanted: @escaping (Int) -> Bool) {
        self.plan = plan
        self.ledger = ledger
        self.wanted = wanted
    }

    /// The stored registration of the plan's clip `i` (nil when the ledger holds none it can read). Asked in
    /// increasing `i`, for wanted clips only.
    func key(_ i: Int) throws(RunError) -> Key? {
        if i >= next { try read(from: i) }
        return ahead.removeValue(forKey: i)
    }

    private func read(from start: Int) throws(RunError) {
        ahead.removeAll(keepingCapacity: true)
        var indices: [Int] = []
        var j = start
        while j < plan.sources.count, indices.count < Self.batch {
            if wanted(j) { indices.append(j) }
            j += 1
        }
        next = j
        guard let first = indices.first, let last = indices.last else { return }
        let rows = try ledger.keptClips(from: plan.sources[first].clip, through: plan.sources[last].clip)
        for (i, row) in zip(indices, StoredAnalyses.rows(rows, for: indices.map { plan.sources[$0].clip })) {
            guard let row, let text = row.kept, let registration = KeptRegistration(text: text) else { continue }
            let fingerprint = row.fingerprint.map { $0.withUnsafeBytes { ClipMeasurement.fingerprint(bytes: $0) } }
            ahead[i] = Key(registration: registration, fingerprint: fingerprint ?? [], split: row.split)
        }
    }
}
