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
                guard let record, case .sidecar = source.metadata else { return false }  // a release's TSV: check in load()
                return sidecar?.size == record.sidecarSize && sidecar?.mtimeNs == record.sidecarMtimeNs
            }
    }

    /// Decodes the unchanged clips' analyses from the ledger (in parallel) and lists every clip of the run.
    mutating func load() async throws(RunError) {
        var seen = Set<String>()
        var entries: [(ClipSource, ClipAnalysis?, FileStat, FileStat?, String?)] = []
        let (known, tree, verifyHashes, candidates, speakerIDs) = (
            self.known, self.tree, self.verifyHashes, self.candidates, self.speakerIDs
        )
        for (source, _, _, _) in candidates { seen.insert(source.clip) }
        let decoded = await Self.concurrentMap(candidates) { (source, record, _, _) -> ClipAnalysis? in
            guard let record, !verifyHashes || FileDigest.sha256(path: source.path) == record.fileSha256 else {
                return nil
            }
            return try? ClipAnalysis(record: record)
        }
        for ((source, record, file, sidecar), earlier) in zip(candidates, decoded) {
            guard let record, var analysis = earlier else {
                entries.append((source, nil, file, sidecar, nil))
                continue
            }
            var text: String? = record.analysis
            let sidecarChanged = sidecar?.size != record.sidecarSize || sidecar?.mtimeNs != record.sidecarMtimeNs
            var reading: (reading: SidecarReading, withdrawnBefore: Bool)?
            if case .parsed(let read) = source.metadata, !record.withdrawn, speakerIDs.keep(read).reading != analysis.sidecar {
                reading = speakerIDs.keep(read)  // a release's TSV row changed
            } else if sidecarChanged && !record.withdrawn {
                reading = speakerIDs.keep(source.metadata.read())
            }
            if let reading {
                if reading.withdrawnBefore {  // decoded again: the analyzer matches the id as read
                    entries.append((source, nil, file, sidecar, nil))
                    continue
                }
                analysis.sidecar = reading.reading
                analysis.languageFindings = nil
                text = nil
            }
            entries.append((source, analysis, file, sidecar, text))
        }
        for (path, record) in known where !seen.contains(path) {
            guard let analysis = try? ClipAnalysis(record: record) else {
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
            entries.append((source, analysis, FileStat(size: record.size, mtimeNs: record.mtimeNs), sidecar, record.analysis))
        }
        if !retained.isEmpty { entries.sort { ClipSource.pathOrder($0.0, $1.0) } }
        for (source, analysis, file, sidecar, text) in entries {
            sources.append(source)
            earlier.append(analysis)
            files.append(file)
            sidecars.append(sidecar)
            storedText.append(text)
        }
    }

    /// `transform` over `items` on every core, results in order. The work (file hashing, JSON decoding) blocks,
    /// so it runs on a Dispatch thread while the calling task is suspended: a thread of Swift's cooperative
    /// pool is never held by `concurrentPerform`.
    static func concurrentMap<T: Sendable, R: Sendable>(
        _ items: [T], _ transform: @escaping @Sendable (T) -> R?
    ) async -> [R?] {
        await withCheckedContinuation { (continuation: CheckedContinuation<[R?], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: concurrentMapBlocking(items, transform))
            }
        }
    }

    /// The blocking form of ``concurrentMap(_:_:)``: never call it from async code.
    static func concurrentMapBlocking<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) -> R?) -> [R?] {
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
