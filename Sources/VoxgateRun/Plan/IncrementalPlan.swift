import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
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
    /// A clip's file and sidecar stamps: the listing's (``ClipSource/listed``), else examined now (a layout that
    /// made none). A file that cannot be examined has its listed size and no time.
    static func stamps(of source: ClipSource) -> (file: FileStamp, sidecar: FileStamp?) {
        if let listed = source.listed { return (listed.file, listed.sidecar) }
        let file = FileStamp(path: source.path) ?? FileStamp(size: source.byteSize, mtimeNs: 0)
        var sidecar: FileStamp?
        if case .sidecar(let path?) = source.metadata { sidecar = FileStamp(path: path) }
        return (file, sidecar)
    }

    /// What the ledger says of a clip of the run (``ledgered``): one byte per clip, not a record.
    struct Ledgered: OptionSet, Sendable {
        let rawValue: UInt8
        /// The ledger holds a record of this clip's path.
        static let known = Ledgered(rawValue: 1)
        /// In a shard and not withdrawn: a clip an earlier run released.
        static let released = Ledgered(rawValue: 2)
        /// The ledger holds the clip's registration (``ClipRecord/kept``).
        static let keptStored = Ledgered(rawValue: 4)
        /// The clip's sidecar has the size and time the ledger recorded (or it has none, as recorded).
        static let sidecarSame = Ledgered(rawValue: 8)

        init(rawValue: UInt8) { self.rawValue = rawValue }
        init(_ record: ClipRecord) { self = record.shard != nil && !record.withdrawn ? [.known, .released] : .known }

        /// What the ledger says of a listed clip whose sidecar now has `sidecar`'s size and time.
        init(_ record: ClipRecord, sidecar: FileStamp?) {
            self.init(record)
            if record.kept != nil { insert(.keptStored) }
            if sidecar?.size == record.sidecarSize && sidecar?.mtimeNs == record.sidecarMtimeNs { insert(.sidecarSame) }
        }
    }

    /// Every clip of the run in path order: the tree's, then (merged in order) those only the ledger knows.
    var sources: ClipList
    /// Aligned with `sources`: the clip's file is unchanged and the ledger holds its analysis, which the run reads
    /// when it gets there (``StoredAnalyses``); false: decode the clip.
    var reuse: [Bool] = []
    /// The stamps of clips the listing did not stamp (``stamps(_:)``), by index: none for an upload tree.
    private var unlisted: [Int: (file: FileStamp, sidecar: FileStamp?)] = [:]
    /// Aligned with `sources`: whether the ledger knows the clip, and whether an earlier run released it.
    var ledgered: [Ledgered] = []
    /// Clips only the ledger knows (their upload is gone).
    var retained: Set<String> = []
    /// The ledger's withdrawn clips (of this run's partition).
    private(set) var withdrawnClips: Set<String> = []
    /// The ledger's clips that belong to another partition now (the run's partition changed), in path order.
    private(set) var moved: [ClipRecord] = []

    private let tree: CorpusInput
    /// The ledger's clips (of the partition) no upload of the tree is, in path order: ``load(from:)`` adds them.
    private var gone: [String] = []
    /// With `verifyHashes`: the recorded SHA-256 of the unchanged clips' files, by index.
    private var hashes: [Int: String] = [:]
    /// Whole records, when the run holds them (a folder that may hold legacy clip paths re-keys them): the
    /// analyses are then read from them, not from the ledger. Nil: read from the ledger.
    let records: [String: ClipRecord]?
    private let verifyHashes: Bool
    /// How a client_id read from a sidecar is kept (the corpus's pseudonym), here and by the run's analyzer.
    let speakerIDs: SpeakerIDs
    /// Every clip of the tree is one the ledger holds, with the same file and sidecar (size and time), and the
    /// ledger holds no other: nothing about the clips changed since the last run.
    private(set) var isUnchanged = false

    /// Compares every file of `tree` (its size and time as listed: no file is examined twice) with the ledger's
    /// record of its path: the tree (in path order) and the ledger's clips (read with a cursor in path order, or
    /// `records` when the run holds them) are merge-joined, so no record and no dictionary of every clip is held.
    /// ``load(from:)`` then lists the run's clips. Until then `sources`, `ledgered` and `reuse` (the file has the
    /// recorded size and time) are the tree's.
    /// - Parameters:
    ///   - partition: the run's partition: the ledger's clips outside it are ``moved``, not compared.
    ///   - speakerIDs: how a sidecar read again keeps its client_id (the corpus's pseudonym).
    init(
        tree: CorpusInput, ledger: Ledger, records: [String: ClipRecord]? = nil, partition: Partition? = nil,
        verifyHashes: Bool, speakerIDs: SpeakerIDs
    ) throws(RunError) {
        self.speakerIDs = speakerIDs
        self.tree = tree
        self.records = records
        self.verifyHashes = verifyHashes
        let sources = tree.clips  // the tree's storage, shared (no copy of every clip's source)
        self.sources = sources
        let count = sources.count
        var (reuse, ledgered, unlisted) = ([Bool](), [Ledgered](), [Int: (file: FileStamp, sidecar: FileStamp?)]())
        reuse.reserveCapacity(count)
        ledgered.reserveCapacity(count)
        var (hashes, withdrawn, moved, gone) = ([Int: String](), Set<String>(), [ClipRecord](), [String]())
        var (unchanged, knownCount, next) = (!verifyHashes, 0, 0)
        func add(_ source: ClipSource, record: ClipRecord?) {
            let (file, sidecar) = Self.stamps(of: source)
            if source.listed == nil { unlisted[reuse.count] = (file, sidecar) }
            let same = record.flatMap { $0.size == file.size && $0.mtimeNs == file.mtimeNs ? $0 : nil }
            if verifyHashes, let same { hashes[reuse.count] = same.fileSha256 }
            reuse.append(same != nil)
            ledgered.append(record.map { Ledgered($0, sidecar: sidecar) } ?? [])
            // A release's TSV row is checked when the analysis is read (StoredAnalyses).
            if unchanged {
                guard let same, case .sidecar = source.metadata,
                    sidecar?.size == same.sidecarSize && sidecar?.mtimeNs == same.sidecarMtimeNs
                else {
                    unchanged = false
                    return
                }
            }
        }
        // Lists the tree's clips before `path` in byte order (SQLite's order of paths) as unknown to the ledger,
        // and those at `path` with `record`; whether any was at `path`.
        func list(through path: [UInt8]?, record: ClipRecord?) -> Bool {
            var matched = false
            while next < count {
                let source = sources[next]
                if let path, !source.clip.utf8.lexicographicallyPrecedes(path) {
                    guard source.clip.utf8.elementsEqual(path) else { break }
                    add(source, record: record)  // two uploads may share a clip path (a conflict)
                    matched = true
                } else {
                    add(source, record: nil)
                }
                next += 1
            }
            return matched
        }
        func visit(_ record: ClipRecord) {
            if let partition, !partition.contains(record.path) {
                moved.append(record)
                return
            }
            knownCount += 1
            if record.withdrawn { withdrawn.insert(record.path) }
            if !list(through: Array(record.path.utf8), record: record) { gone.append(record.path) }
        }
        if let records {
            for path in records.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                visit(records[path]!)
            }
        } else {
            try ledger.forEachClip(light: true, visit)
        }
        _ = list(through: nil, record: nil)
        (self.reuse, self.ledgered, self.unlisted) = (reuse, ledgered, unlisted)
        (self.hashes, self.withdrawnClips, self.moved, self.gone) = (hashes, withdrawn, moved, gone)
        isUnchanged = unchanged && knownCount == count
    }

    /// Lists every clip of the run and which ones reuse their stored analysis. Nothing is decoded but the records
    /// of clips whose upload is gone (few: their source is rebuilt from the stored sidecar reading); the others'
    /// analyses are read when the run reaches them (``StoredAnalyses``), so no analysis of every clip is held.
    /// - Parameter ledger: where the gone clips' records are when the plan holds no ``records``.
    mutating func load(from ledger: Ledger) async throws(RunError) {
        let (hashes, sources) = (self.hashes, self.sources)
        if verifyHashes {  // every unchanged file is read again: its SHA-256 must be the recorded one
            let indices = reuse.indices.filter { reuse[$0] }
            let same = await Concurrent.map(indices) { i -> Bool? in
                FileDigest.sha256(path: sources[i].path) == hashes[i]
            }
            for (i, same) in zip(indices, same) where same != true { reuse[i] = false }
        }
        // Clips only the ledger knows (few) are merged in path order.
        guard !gone.isEmpty else { return }
        var late: [(ClipSource, Ledgered)] = []
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
            var source = ClipSource(
                clip: path, path: tree.root + "/" + path, languageTag: record.language,
                clipID: (name as NSString).deletingPathExtension, metadata: .parsed(analysis.sidecar),
                byteSize: record.size)
            // Stamped as recorded (no file to examine; it is never opened).
            source.listed = ListedStamps(
                file: FileStamp(size: record.size, mtimeNs: record.mtimeNs),
                sidecar: record.sidecarSize.map { FileStamp(size: $0, mtimeNs: record.sidecarMtimeNs ?? 0) },
                plain: false)
            retained.insert(path)
            late.append((source, Ledgered(record)))
        }
        let (listed, listedReuse, listedLedgered, listedUnstamped) = (sources, reuse, ledgered, unlisted)
        let count = sources.count + late.count  // exact capacities: arrays grown by appending keep slack
        self.sources = ClipList(root: sources.root)
        self.reuse = []
        self.ledgered = []
        self.unlisted = [:]
        self.sources.reserveCapacity(count)
        self.reuse.reserveCapacity(count)
        self.ledgered.reserveCapacity(count)
        var k = 0
        for i in 0...listed.count {
            let source = i < listed.count ? listed[i] : nil
            while k < late.count, source == nil || ClipSource.pathOrder(late[k].0, source!) {
                self.sources.append(late[k].0)
                self.reuse.append(true)
                self.ledgered.append(late[k].1)
                k += 1
            }
            guard let source else { break }
            if let stamps = listedUnstamped[i] { self.unlisted[self.sources.count] = stamps }
            self.sources.append(source)
            self.reuse.append(listedReuse[i])
            self.ledgered.append(listedLedgered[i])
        }
    }

    /// The stamps of the plan's clip `i` (its file's and its sidecar's size and time as analysed): the listing's,
    /// or those the plan examined.
    func stamps(_ i: Int) -> (file: FileStamp, sidecar: FileStamp?) {
        if let stamps = unlisted[i] { return stamps }
        let listed = sources.listed(at: i)!  // every clip is stamped by its listing, the plan or its record
        return (listed.file, listed.sidecar)
    }
}
