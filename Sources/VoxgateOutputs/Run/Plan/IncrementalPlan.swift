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

    /// What the plan keeps of a ledger record: its file's and sidecar's stat as analysed, its state, and (only
    /// when every file is hashed again) its SHA-256.
    struct KnownClip: Sendable {
        var size: Int
        var mtimeNs: Int64
        var sidecarSize: Int?
        var sidecarMtimeNs: Int64?
        /// In a shard and not withdrawn: a clip an earlier run released.
        var released: Bool
        var withdrawn: Bool
        var fileSha256: String?
        init(_ record: ClipRecord, hash: Bool) {
            (size, mtimeNs, sidecarSize, sidecarMtimeNs) = (
                record.size, record.mtimeNs, record.sidecarSize, record.sidecarMtimeNs
            )
            released = record.shard != nil && !record.withdrawn
            withdrawn = record.withdrawn
            fileSha256 = hash ? record.fileSha256 : nil
        }
    }

    /// Every clip of the run in path order: the tree's, then (merged in order) those only the ledger knows.
    var sources: [ClipSource] = []
    /// Aligned with `sources`: the clip's file is unchanged and the ledger holds its analysis, which the run reads
    /// when it gets there (``StoredAnalyses``); false: decode the clip.
    var reuse: [Bool] = []
    /// Aligned with `sources`: the file's and the sidecar's size and time as analysed.
    var files: [FileStat] = []
    var sidecars: [FileStat?] = []
    /// Clips only the ledger knows (their upload is gone).
    var retained: Set<String> = []

    private let tree: CorpusInput
    /// The ledger's clips, by path: what the plan compares the tree with (a few numbers per clip, not records).
    let known: [String: KnownClip]
    /// Whole records, when the run holds them (a folder that may hold legacy clip paths re-keys them): the
    /// analyses are then read from them, not from the ledger. Nil: read from the ledger.
    let records: [String: ClipRecord]?
    private let verifyHashes: Bool
    /// How a client_id read from a sidecar is kept (the corpus's pseudonym), here and by the run's analyzer.
    let speakerIDs: SpeakerIDs
    /// Every clip of the tree is one the ledger holds, with the same file and sidecar (size and time), and the
    /// ledger holds no other: nothing about the clips changed since the last run.
    private(set) var isUnchanged = false

    /// Stats every file of `tree` against the ledger's records (`known`); ``load(from:)`` then lists the run's clips.
    /// Until then `sources`, `files`, `sidecars` and `reuse` (the file has the recorded size and time) are the tree's.
    /// - Parameter speakerIDs: how a sidecar read again keeps its client_id (the corpus's pseudonym).
    init(
        tree: CorpusInput, known: [String: KnownClip], records: [String: ClipRecord]? = nil, verifyHashes: Bool,
        speakerIDs: SpeakerIDs
    ) {
        self.speakerIDs = speakerIDs
        self.tree = tree
        self.known = known
        self.records = records
        self.verifyHashes = verifyHashes
        sources = tree.clips  // the tree's storage, shared (no copy of every clip's source)
        files.reserveCapacity(sources.count)
        sidecars.reserveCapacity(sources.count)
        reuse.reserveCapacity(sources.count)
        var unchanged = !verifyHashes && sources.count == known.count
        for source in sources {
            let file = FileStat(path: source.path) ?? FileStat(size: source.byteSize, mtimeNs: 0)
            var sidecar: FileStat?
            if case .sidecar(let path?) = source.metadata { sidecar = FileStat(path: path) }
            let record = known[source.clip].flatMap { $0.size == file.size && $0.mtimeNs == file.mtimeNs ? $0 : nil }
            files.append(file)
            sidecars.append(sidecar)
            reuse.append(record != nil)
            if unchanged {
                // A release's TSV row is checked when the analysis is read (StoredAnalyses).
                guard let record, case .sidecar = source.metadata,
                    sidecar?.size == record.sidecarSize && sidecar?.mtimeNs == record.sidecarMtimeNs
                else {
                    unchanged = false
                    continue
                }
            }
        }
        isUnchanged = unchanged
    }

    /// Lists every clip of the run and which ones reuse their stored analysis. Nothing is decoded but the records
    /// of clips whose upload is gone (few: their source is rebuilt from the stored sidecar reading); the others'
    /// analyses are read when the run reaches them (``StoredAnalyses``), so no analysis of every clip is held.
    /// - Parameter ledger: where the gone clips' records are when the plan holds no ``records``.
    mutating func load(from ledger: Ledger) async throws(RunError) {
        let (known, sources) = (self.known, self.sources)
        if verifyHashes {  // every unchanged file is read again: its SHA-256 must be the recorded one
            let indices = reuse.indices.filter { reuse[$0] }
            let same = await Self.concurrentMap(indices) { i -> Bool? in
                FileDigest.sha256(path: sources[i].path) == known[sources[i].clip]?.fileSha256
            }
            for (i, same) in zip(indices, same) where same != true { reuse[i] = false }
        }
        // Clips only the ledger knows (few) are merged in path order.
        var gone: [String] = []
        var listed = 0
        for source in sources where known[source.clip] != nil { listed += 1 }
        if listed != known.count || sources.contains(where: { $0.conflict != nil }) {
            let seen = Set(sources.lazy.map(\.clip))
            gone = known.keys.filter { !seen.contains($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        guard !gone.isEmpty else { return }
        var late: [(ClipSource, FileStat, FileStat?)] = []
        for path in gone {
            var record = records?[path]
            if records == nil { record = try ledger.clip(at: path) }
            guard let record, let analysis = try? ClipAnalysis(record: record)
            else {
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
            late.append((source, FileStat(size: record.size, mtimeNs: record.mtimeNs), sidecar))
        }
        let (listedFiles, listedSidecars, listedReuse) = (files, sidecars, reuse)
        let count = sources.count + late.count  // exact capacities: arrays grown by appending keep slack
        self.sources = []
        self.files = []
        self.sidecars = []
        self.reuse = []
        self.sources.reserveCapacity(count)
        self.files.reserveCapacity(count)
        self.sidecars.reserveCapacity(count)
        self.reuse.reserveCapacity(count)
        var k = 0
        for i in 0...sources.count {
            while k < late.count, i == sources.count || ClipSource.pathOrder(late[k].0, sources[i]) {
                self.sources.append(late[k].0)
                self.files.append(late[k].1)
                self.sidecars.append(late[k].2)
                self.reuse.append(true)
                k += 1
            }
            guard i < sources.count else { break }
            self.sources.append(sources[i])
            self.files.append(listedFiles[i])
            self.sidecars.append(listedSidecars[i])
            self.reuse.append(listedReuse[i])
        }
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
