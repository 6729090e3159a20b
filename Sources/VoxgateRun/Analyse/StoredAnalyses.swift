import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The stored analyses a run re-decides its unchanged clips from, read as the run reaches them.
///
/// The run asks for its clips in path order (``IncrementalPlan/sources``); their records are read from the ledger a
/// path range at a time (``Ledger/clips(from:through:)``, merge-joined with the plan by path) and their analyses
/// decoded in parallel, ``batch`` clips ahead. What is resident is that batch, never a record or an analysis per
/// clip of the corpus.
///
/// **Change policy** (as ``IncrementalPlan`` describes it): a changed sidecar (or release TSV row) is read again
/// and kept as the pseudonym; the analysis then holds the new reading and no language findings. A contributor
/// withdrawn before under their raw id is decoded again (nil), so the analyzer matches the id as read.
///
/// **PCM identity.** An analysis an older voxgate stored lacks the current identity (``ClipAnalysis/lacksPCMIdentity``):
/// its file is decoded again once, for the identity alone (nothing else is measured), so every exact-duplicate
/// comparison is between identities of one kind; the record is then written with it. A file that no longer
/// decodes to the recorded frames is analysed again in full (nil). A clip whose upload is gone keeps no identity.
final class StoredAnalyses {
    /// A clip's stored analysis, as the run re-decides it.
    struct Earlier: Sendable {
        /// The clip's record, whole (what the run compares its new record with).
        var before: ClipRecord
        var analysis: ClipAnalysis
        /// The analysis text to store unchanged (nil: encode the outcome's analysis).
        var text: String?
        /// The ledger holds this clip's analysis text and fingerprint, which stand while the analysis is unchanged
        /// (the plan was loaded from light records; `text` is nil).
        var stands: Bool
        /// The analysis lacked the PCM identity, read again from the file by this run.
        var reidentified = false
        /// The clip decided again from `analysis` (``reassess``), on the decoding thread; nil: not done there.
        var reassessed: ClipOutcome?
    }

    /// Decides a clip again from its stored analysis (the plan index, the analysis): the analyzer's `reassess`, pure,
    /// done on the decoding thread beside the decoding, so the run's one consumer of outcomes does not.
    typealias Reassess = @Sendable (Int, ClipAnalysis) -> ClipOutcome?

    static let batch = 256
    private let plan: IncrementalPlan
    private let ledger: Ledger
    private let wanted: (Int) -> Bool
    /// PCM identities read again by an earlier pass of this run, by clip path (not read twice).
    private let identities: [String: String]
    private let reassess: Reassess?
    /// The PCM identities this reader read again from files, by clip path.
    private(set) var reidentified: [String: String] = [:]
    /// Read and decoded, not asked for yet.
    private var ahead: [Int: Earlier] = [:]
    /// The first plan index not read yet.
    private var next = 0
    /// The batch after the one in `ahead`, its records read and its analyses being decoded on another thread while
    /// the run decides the batch before it.
    private var coming: Batch?

    /// - Parameters:
    ///   - ledger: where the records are (unless the plan holds them, ``IncrementalPlan/records``).
    ///   - wanted: which of the plan's reused clips will be asked for (the others are not read).
    ///   - identities: PCM identities an earlier pass read again (its ``reidentified``).
    ///   - reassess: decides each clip again as it is decoded (``Earlier/reassessed``).
    init(
        plan: IncrementalPlan, ledger: Ledger, wanted: @escaping (Int) -> Bool = { _ in true },
        identities: [String: String] = [:], reassess: Reassess? = nil
    ) {
        self.plan = plan
        self.ledger = ledger
        self.wanted = wanted
        self.identities = identities
        self.reassess = reassess
    }

    deinit { coming?.cancel() }

    /// The stored analysis of the plan's clip `i`, or nil when it is to be decoded. Asked in increasing `i`.
    func earlier(_ i: Int) async throws(RunError) -> Earlier? {
        guard plan.reuse[i] else { return nil }
        if i >= next { try await read(from: i) }
        return ahead.removeValue(forKey: i)
    }

    /// Up to ``batch`` wanted clips from `start` on (plan indices `start..<end`), their records read, their analyses
    /// being decoded.
    private struct Batch: ReadAheadBatch {
        var start: Int
        var end: Int
        var items: [Item]
        var decoding: Task<Result<[Earlier?], RunError>, Never>
        func cancel() { decoding.cancel() }
    }

    /// Takes the batch that holds `start` (the one decoded ahead, or one read now), then starts decoding the next:
    /// two batches are resident at most, and the decoding of one overlaps the decisions of the other.
    private func read(from start: Int) async throws(RunError) {
        ahead.removeAll(keepingCapacity: true)  // anything before `start` was not asked for
        let batch = try coming.take(holding: start) { start throws(RunError) in gather(from: start) }
        next = batch.end
        let decoded = try await batch.decoding.value.get()
        for (item, earlier) in zip(batch.items, decoded) where item.index >= start {
            guard let earlier else { continue }
            ahead[item.index] = earlier
            if earlier.reidentified, identities[item.source.clip] == nil {
                reidentified[item.source.clip] = earlier.analysis.measurement?.pcmXXH3
            }
        }
        if next < plan.sources.count { coming = gather(from: next) }
    }

    /// Starts reading the records of the next ``batch`` wanted clips from `start` on, and decoding their analyses.
    private func gather(from start: Int) -> Batch {
        var items: [Item] = []
        var j = start
        while j < plan.sources.count, items.count < Self.batch {
            if plan.reuse[j], wanted(j) {
                let source = plan.sources[j]
                items.append(
                    Item(
                        index: j, source: source, record: plan.records?[source.clip], sidecar: plan.stamps(j).sidecar,
                        retained: plan.retained.contains(source.clip)))
            }
            j += 1
        }
        let kept = plan.records == nil  // the ledger's text and fingerprint stand while the analysis is unchanged
        return Batch(
            start: start, end: j, items: items,
            decoding: Self.decode(
                items, from: kept ? ledger : nil, ids: plan.speakerIDs, identities: identities, reassess: reassess))
    }

    /// The record of each clip of `clips` among `rows` (both in path order: a merge-join by path), or nil. Two uploads
    /// may share a clip path (a conflict): both get its record.
    static func rows(_ rows: [ClipRecord], for clips: [String]) -> [ClipRecord?] {
        var r = 0
        return clips.map { clip in
            while r < rows.count, rows[r].path.utf8.lexicographicallyPrecedes(clip.utf8) { r += 1 }
            return r < rows.count && rows[r].path == clip ? rows[r] : nil
        }
    }

    /// On another thread: reads `items`' records from `ledger` (nil: the items hold them), decodes their analyses
    /// (``earlier(_:kept:ids:identities:)``) and decides them again (`reassess`). The thread that takes the batch only
    /// waits for it.
    private static func decode(
        _ items: [Item], from ledger: Ledger?, ids: SpeakerIDs, identities: [String: String], reassess: Reassess?
    ) -> Task<Result<[Earlier?], RunError>, Never> {
        Task {
            var items = items
            if let ledger, let first = items.first, let last = items.last {
                // A clip without a record is not in the ledger: decoded again.
                let rows: [ClipRecord]
                do throws(RunError) {
                    rows = try ledger.clips(from: first.source.clip, through: last.source.clip)
                } catch {
                    return .failure(error)
                }
                for (k, row) in zip(items.indices, Self.rows(rows, for: items.map(\.source.clip))) {
                    items[k].record = row
                }
            }
            let kept = ledger != nil
            // In chunks of 32 (8 to a batch), so a batch's decoding takes both cores: the run's one consumer waited
            // for it (0.68 s of a 51,500-clip nightly run's 1.74 s of deciding) while a batch was one chunk.
            return .success(
                await Concurrent.map(items, chunk: 32) { item in
                    guard var found = earlier(item, kept: kept, ids: ids, identities: identities) else { return nil }
                    found.reassessed = reassess?(item.index, found.analysis)
                    return found
                })
        }
    }

    /// One clip to read: its plan index and source, its record, and its sidecar's stamp as listed.
    private struct Item: Sendable {
        var index: Int
        var source: ClipSource
        var record: ClipRecord?
        var sidecar: FileStamp?
        var retained: Bool
    }

    /// What the run re-decides `item` from (nil: decode it).
    /// - Parameters:
    ///   - kept: the record came from the ledger, whose analysis text and fingerprint stand.
    ///   - identities: PCM identities already read again, by clip path.
    private static func earlier(_ item: Item, kept: Bool, ids: SpeakerIDs, identities: [String: String]) -> Earlier? {
        guard let record = item.record, var analysis = try? ClipAnalysis(record: record) else { return nil }
        var (text, stands): (String?, Bool) = (kept ? nil : record.analysis, kept)
        var reidentified = false
        // An older voxgate's analysis: the identity is read again from the upload (a refused one is never read: the
        // analyzer rejects it), or, when it is gone, the clip keeps none.
        if analysis.lacksPCMIdentity, !item.retained, item.source.refusal == nil {
            if let identity = identities[item.source.clip] {
                analysis.measurement?.pcmXXH3 = identity
            } else {
                guard let identified = analysis.identified(readingFile: item.source.path) else { return nil }
                analysis = identified
            }
            (text, stands, reidentified) = (nil, false, true)
        }
        if item.retained { return Earlier(before: record, analysis: analysis, text: text, stands: stands) }
        let sidecarChanged = item.sidecar?.size != record.sidecarSize || item.sidecar?.mtimeNs != record.sidecarMtimeNs
        var reading: (reading: SidecarReading, withdrawnBefore: Bool)?
        if case .parsed(let read) = item.source.metadata, !record.withdrawn, ids.keep(read).reading != analysis.sidecar
        {
            reading = ids.keep(read)  // a release's TSV row changed
        } else if sidecarChanged && !record.withdrawn {
            reading = ids.keep(item.source.metadata.read())
        }
        guard let reading else {
            return Earlier(before: record, analysis: analysis, text: text, stands: stands, reidentified: reidentified)
        }
        if reading.withdrawnBefore { return nil }  // decoded again: the analyzer matches the id as read
        analysis.sidecar = reading.reading
        analysis.languageFindings = nil
        return Earlier(before: record, analysis: analysis, text: nil, stands: false, reidentified: reidentified)
    }
}
