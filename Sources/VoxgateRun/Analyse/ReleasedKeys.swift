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
struct KeptRegistration: Equatable, Sendable {
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
/// the run reaches them (like ``StoredAnalyses``, without an analysis): what is resident is two batches. While the
/// run registers one batch, the next is read and made ready on another thread (its registrations parsed, their
/// reading keys and fingerprints made, their contributors checked against the withdrawals), so the one thread that
/// fills the duplicate index only inserts.
final class ReleasedKeys {
    /// A released clip's registration, its reading key, its fingerprint and its split, and whether its contributor
    /// is withdrawn now.
    struct Key: Sendable {
        var registration: KeptRegistration
        var reading: Key128
        var fingerprint: [UInt32]
        var split: String?
        var withdrawn: Bool
    }

    static let batch = 1024
    private let plan: IncrementalPlan
    private let ledger: Ledger
    private let wanted: (Int) -> Bool
    private let withdrawals: Withdrawals
    private var ahead: [Int: Key] = [:]
    private var next = 0
    /// The batch after the one in `ahead`: its rows read, being made ready on another thread.
    private var coming: Batch?

    private struct Batch: ReadAheadBatch {
        var start: Int
        var end: Int
        var ready: Task<Result<[Int: Key], RunError>, Never>
        func cancel() { ready.cancel() }
    }

    /// - Parameters:
    ///   - wanted: the plan's clips that will be asked for (the others are not read).
    ///   - withdrawals: the run's withdrawals (``Key/withdrawn``).
    init(plan: IncrementalPlan, ledger: Ledger, wanted: @escaping (Int) -> Bool, withdrawals: Withdrawals) {
        self.plan = plan
        self.ledger = ledger
        self.wanted = wanted
        self.withdrawals = withdrawals
    }

    deinit { coming?.cancel() }

    /// The stored registration of the plan's clip `i` (nil when the ledger holds none it can read). Asked in
    /// increasing `i`, for wanted clips only.
    func key(_ i: Int) async throws(RunError) -> Key? {
        if i >= next { try await read(from: i) }
        return ahead.removeValue(forKey: i)
    }

    /// Takes the batch that holds `start` (the one made ready ahead, or one read now), then starts the next.
    private func read(from start: Int) async throws(RunError) {
        let batch = try coming.take(holding: start) { start throws(RunError) in gather(from: start) }
        next = batch.end
        ahead = try await batch.ready.value.get()
        if next < plan.sources.count { coming = gather(from: next) }
    }

    /// Starts reading the rows of the next ``batch`` wanted clips from `start` on and making their keys ready, on
    /// another thread.
    private func gather(from start: Int) -> Batch {
        var indices: [Int] = []
        var j = start
        while j < plan.sources.count, indices.count < Self.batch {
            if wanted(j) { indices.append(j) }
            j += 1
        }
        guard let first = indices.first, let last = indices.last else {
            return Batch(start: start, end: j, ready: Task { .success([:]) })
        }
        let clips = indices.map { plan.sources[$0].clip }
        let languages = indices.map { plan.sources[$0].languageTag }
        let (ledger, withdrawals) = (self.ledger, self.withdrawals)
        let range = (plan.sources[first].clip, plan.sources[last].clip)
        // On a Dispatch thread, as StoredAnalyses decodes its batch: one chunk, the registration thread's company.
        let ready = Task { () -> Result<[Int: Key], RunError> in
            let found: [ClipRecord]
            do throws(RunError) { found = try ledger.keptClips(from: range.0, through: range.1) } catch {
                return .failure(error)
            }
            let rows = StoredAnalyses.rows(found, for: clips)
            let made = await Concurrent.map(Array(rows.indices), chunk: rows.count) { k -> Key? in
                guard let row = rows[k], let text = row.kept, let registration = KeptRegistration(text: text) else {
                    return nil
                }
                let fingerprint = row.fingerprint.map { $0.withUnsafeBytes { ClipMeasurement.fingerprint(bytes: $0) } }
                return Key(
                    registration: registration,
                    reading: DuplicateIndex.readingKey(
                        language: languages[k], clientID: registration.clientID, sentence: registration.sentence),
                    fingerprint: fingerprint ?? [], split: row.split,
                    withdrawn: withdrawals.contains(registration.clientID))
            }
            var keys: [Int: Key] = [:]
            for (k, key) in made.enumerated() where key != nil { keys[indices[k]] = key }
            return .success(keys)
        }
        return Batch(start: start, end: j, ready: ready)
    }
}
