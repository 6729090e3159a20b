import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgatePipeline

/// Which clips a run must decode, and which it re-decides from the ledger.
///
/// **Change policy.** A clip is unchanged when its file has the size and modification time (to the
/// nanosecond) the ledger recorded; with `verifyHashes`, its SHA-256 must match too (every file is read,
/// none decoded). An unchanged clip is not decoded: its stored analysis is re-decided under this run's
/// configuration, withdrawals and terms. A changed sidecar is read again; its clip is not decoded again.
/// A clip the ledger knows but the upload tree no longer holds keeps its record and its place in the
/// release: deleting an upload never un-releases it (a withdrawal does).
struct IncrementalPlan {
    struct FileStat: Equatable {
        var size: Int
        var mtimeNs: Int64
        init(size: Int, mtimeNs: Int64) {
            self.size = size
            self.mtimeNs = mtimeNs
        }
        init?(path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            size = Int(s.st_size)
            mtimeNs = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        }
    }

    /// Every clip of the run in path order: the tree's, then (merged in order) those only the ledger knows.
    var sources: [ClipSource] = []
    /// Aligned with `sources`: the analysis to reuse, or nil to decode.
    var earlier: [ClipAnalysis?] = []
    /// Aligned with `sources`: the file's and the sidecar's size and time as analysed.
    var files: [FileStat] = []
    var sidecars: [FileStat?] = []
    /// Aligned with `sources`: the analysis text to store unchanged (nil: encode the outcome's analysis).
    var storedText: [String?] = []
    /// Aligned with `sources`: the ledger holds this clip's analysis text and fingerprint, which stand while the
    /// analysis is unchanged (the plan was loaded from light records, ``load(from:)``; `storedText` is nil).
    var textInLedger: [Bool] = []
    /// Clips only the ledger knows (their upload is gone).
    var retained: Set<String> = []

    private let tree: CorpusInput
    private let known: [String: ClipRecord]
    private let verifyHashes: Bool
    /// How a client_id read from a sidecar is kept (the corpus's pseudonym), here and by the run's analyzer.
    let speakerIDs: SpeakerIDs
    private var candidates: [(ClipSource, ClipRecord?, FileStat, FileStat?)] = []
    /// Every clip of the tree is one the ledger holds, with the same file and sidecar (size and time), and the
    /// ledger holds no other: nothing about the clips changed since the last run.
    private(set) var isUnchanged = false

    /// Stats every file of `tree` against the ledger's records (`known`); ``load()`` then reads what is needed.
    /// - Parameter speakerIDs: how a sidecar read again keeps its client_id (the corpus's pseudonym).
    init(tree: CorpusInput, known: [String: ClipRecord], verifyHashes: Bool, speakerIDs: SpeakerIDs) {
        self.speakerIDs = speakerIDs
        self.tree = tree
        self.known = known
        self.verifyHashes = verifyHashes
        candidates = tree.clips.map { source in
            let file = FileStat(path: source.path) ?? FileStat(size: source.byteSize, mtimeNs: 0)
            var sidecar: FileStat?
            if case .sidecar(let path?) = source.metadata { sidecar = FileStat(path: path) }
            let record = known[source.clip].flatMap { $0.size == file.size && $0.mtimeNs == file.mtimeNs ? $0 : nil }
            return (source, record, file, sidecar)
        }
        isUnchanged =
            !verifyHashes && tree.clips.count == known.count
            && candidates.allSatisfy { source, record, _, sidecar in
                // A release's TSV row is checked in load().
                guard let record, case .sidecar = source.metadata else { return false }
                return sidecar?.size == record.sidecarSize && sidecar?.mtimeNs == record.sidecarMtimeNs
            }
    }

    /// Decodes the unchanged clips' analyses (in parallel) and lists every clip of the run.
    /// - Parameter ledger: where the analyses are when `known` holds light records (``Ledger/clips(light:)``): read
    ///   from it in batches, never all records at once. Nil: `known`'s records carry them (a merge's partitions').
    mutating func load(from ledger: Ledger? = nil) async throws(RunError) {
        typealias Entry = (
            source: ClipSource, analysis: ClipAnalysis?, file: FileStat, sidecar: FileStat?, text: String?, kept: Bool
        )
        // The aligned arrays are filled directly (an array of entries beside them doubled the peak); clips only
        // the ledger knows (few) are merged in path order at the end.
        func add(_ e: Entry) {
            sources.append(e.source)
            earlier.append(e.analysis)
            files.append(e.file)
            sidecars.append(e.sidecar)
            storedText.append(e.text)
            textInLedger.append(e.kept)
        }
        var late: [Entry] = []
        let (known, tree, verifyHashes, candidates, speakerIDs) = (
            self.known, self.tree, self.verifyHashes, self.candidates, self.speakerIDs
        )
        let unchanged = await Self.concurrentMap(candidates) { (source, record, _, _) -> Bool? in
            guard let record, !verifyHashes || FileDigest.sha256(path: source.path) == record.fileSha256 else {
                return nil
            }
            return true
        }
        var seen = Set<String>()
        for (source, _, _, _) in candidates { seen.insert(source.clip) }
        let gone = known.keys.filter { !seen.contains($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        seen = []
        // Positions 0..<candidates.count: the tree's clips; after them, the clips only the ledger knows.
        var decoded: [ClipAnalysis?]
        if let ledger {
            var positions: [String: Int] = [:]
            for (i, isUnchanged) in unchanged.enumerated() where isUnchanged != nil {
                positions[candidates[i].0.clip] = i
            }
            for (k, path) in gone.enumerated() { positions[path] = candidates.count + k }
            decoded = try await Self.storedAnalyses(
                positions, count: candidates.count + gone.count, known: known, ledger: ledger)
        } else {
            decoded = await Self.concurrentMap(Array(zip(candidates, unchanged))) { candidate, isUnchanged in
                isUnchanged == nil ? nil : candidate.1.flatMap { try? ClipAnalysis(record: $0) }
            }
            decoded += gone.map { known[$0].flatMap { try? ClipAnalysis(record: $0) } }
        }
        let kept = ledger != nil  // the ledger's text and fingerprint stand while the analysis is unchanged
        let count = candidates.count + gone.count  // exact capacities: arrays grown by appending keep slack
        sources.reserveCapacity(count)
        earlier.reserveCapacity(count)
        files.reserveCapacity(count)
        sidecars.reserveCapacity(count)
        storedText.reserveCapacity(count)
        textInLedger.reserveCapacity(count)
        for (i, (source, record, file, sidecar)) in candidates.enumerated() {
            let stored = decoded[i]
            decoded[i] = nil
            guard let record, var analysis = stored else {
                add((source, nil, file, sidecar, nil, false))
                continue
            }
            var text: String? = kept ? nil : record.analysis
            var stands = kept
            let sidecarChanged = sidecar?.size != record.sidecarSize || sidecar?.mtimeNs != record.sidecarMtimeNs
            var reading: (reading: SidecarReading, withdrawnBefore: Bool)?
            if case .parsed(let read) = source.metadata, !record.withdrawn,
                speakerIDs.keep(read).reading != analysis.sidecar
            {
                reading = speakerIDs.keep(read)  // a release's TSV row changed
            } else if sidecarChanged && !record.withdrawn {
                reading = speakerIDs.keep(source.metadata.read())
            }
            if let reading {
                if reading.withdrawnBefore {  // decoded again: the analyzer matches the id as read
                    add((source, nil, file, sidecar, nil, false))
                    continue
                }
                analysis.sidecar = reading.reading
                analysis.languageFindings = nil
                (text, stands) = (nil, false)
            }
            add((source, analysis, file, sidecar, text, stands))
        }
        for (k, path) in gone.enumerated() {
            let record = known[path]!
            guard let analysis = decoded[candidates.count + k] else {
                throw RunError(
                    .ledgerUnusable,
                    "the ledger's record of '\(path)' cannot be read; restore the ledger from a backup, or rerun "
                        + "with --force", path: path)
            }
            let name = (path as NSString).lastPathComponent
            let source = ClipSource(
                clip: path, path: tree.root + "/" + path, languageTag: record.language,
                clipID: (name as NSString).deletingPathExtension, metadata: .parsed(analysis.sidecar),
                byteSize: record.size)
            retained.insert(path)
            let sidecar = record.sidecarSize.map { FileStat(size: $0, mtimeNs: record.sidecarMtimeNs ?? 0) }
            let file = FileStat(size: record.size, mtimeNs: record.mtimeNs)
            late.append((source, analysis, file, sidecar, kept ? nil : record.analysis, kept))
        }
        decoded = []
        if !late.isEmpty {
            var entries: [Entry] = late
            for k in sources.indices {
                entries.append((sources[k], earlier[k], files[k], sidecars[k], storedText[k], textInLedger[k]))
            }
            entries.sort { ClipSource.pathOrder($0.source, $1.source) }
            (sources, earlier, files, sidecars, storedText, textInLedger) = ([], [], [], [], [], [])
            for entry in entries { add(entry) }
        }
        self.candidates = []  // `sources` and the arrays aligned with it hold what the run needs
    }

    /// The stored analyses of the clips at `positions`, read from the ledger in batches and decoded in parallel:
    /// the analysis texts and fingerprints are never all in memory at once, only the decoded analyses.
    private static func storedAnalyses(
        _ positions: [String: Int], count: Int, known: [String: ClipRecord], ledger: Ledger
    ) async throws(RunError) -> [ClipAnalysis?] {
        nonisolated(unsafe) let ledger = ledger  // used by this one thread while the caller waits
        let result: Result<[ClipAnalysis?], RunError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                var analyses = [ClipAnalysis?](repeating: nil, count: count)
                do throws(RunError) {
                    try ledger.forEachStoredAnalysis { batch in
                        let rows = batch.filter { positions[$0.path] != nil }
                        let decoded = concurrentMapOnDispatchThread(rows) { row -> ClipAnalysis? in
                            guard var record = known[row.path] else { return nil }
                            record.analysis = row.analysis
                            record.fingerprint = row.fingerprint
                            return try? ClipAnalysis(record: record)
                        }
                        for (row, analysis) in zip(rows, decoded) { analyses[positions[row.path]!] = analysis }
                    }
                    continuation.resume(returning: .success(analyses))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// `transform` over `items` on every core, results in order. The work (file hashing, JSON decoding) blocks,
    /// so it runs on a Dispatch thread while the calling task is suspended: a thread of Swift's cooperative
    /// pool is never held by `concurrentPerform`.
    static func concurrentMap<T: Sendable, R: Sendable>(
        _ items: [T], _ transform: @escaping @Sendable (T) -> R?
    ) async -> [R?] {
        if items.isEmpty { return [] }
        return await withCheckedContinuation { (continuation: CheckedContinuation<[R?], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: concurrentMapOnDispatchThread(items, transform))
            }
        }
    }

    /// The body of ``concurrentMap(_:_:)``, for code already running on a Dispatch thread (never from async code,
    /// where it would hold a thread of the cooperative pool).
    static func concurrentMapOnDispatchThread<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) -> R?) -> [R?] {
        var results = [R?](repeating: nil, count: items.count)
        let chunk = 256
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            nonisolated(unsafe) let target = base
            DispatchQueue.concurrentPerform(iterations: (items.count + chunk - 1) / chunk) { c in
                for i in c * chunk..<min(items.count, (c + 1) * chunk) { target[i] = transform(items[i]) }
            }
        }
        return results
    }
}
