import Foundation
public import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// What `voxgate merge` was asked to do.
public struct MergeOptions: Sendable {
    /// The partition output folders (any order).
    public var partitions: [String]
    public var output: String
    public var jobs: Int
    /// The corpus's speaker key; default: the first partition folder's `speaker.key`.
    public var speakerKeyPath: String?
    /// Replace a release already in `output`.
    public var force: Bool
    public var logger = Logger(label: "voxgate", factory: { _ in SwiftLogNoOpLogHandler() })

    public init(partitions: [String], output: String, jobs: Int, speakerKeyPath: String? = nil, force: Bool = false) {
        self.partitions = partitions
        self.output = output
        self.jobs = jobs
        self.speakerKeyPath = speakerKeyPath
        self.force = force
    }
}

/// `voxgate merge`: one release from the N partitions of a cluster run, byte-identical to a single run over
/// the same tree.
///
/// Every partition's analyses (metrics, fingerprints, language findings) come from its ledger, so nothing
/// is decoded; every clip is decided again in path order over the whole tree, which resolves duplicates
/// across partitions with the single run's rule (the first by path is kept) and assigns splits the same way;
/// shards are re-grouped and numbered as a single run would, their audio copied from the partitions' shard
/// members byte for byte (never re-encoded); decisions, totals, datasheets and the report are regenerated.
/// The partitions' ledgers are read in path order a window at a time (``MergedClips``), so memory does not
/// grow with their clips' analyses (``release(_:progress:)``).
public enum Merge {
    public static func run(
        _ options: MergeOptions, progress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let started = Date()
        let log = options.logger
        let (markers, first, config) = try readMarkers(options)
        log.notice(
            "merge started",
            metadata: ["partitions": "\(markers.count)", "out": "\(options.output)", "root": "\(first.root)"])

        // Every partition's clips, read in path order a window at a time; every released member checked
        // against its recorded SHA-256, shard by shard, before anything is written.
        try checkOutputIsNotAnInput(options)
        let inputs = try await readPartitions(options, markers: markers)
        // The tree must be the one the partitions decided: every clip decided, none changed since.
        let tree = try alignedTree(first, partitions: inputs.partitions)

        let out = options.output
        try OutputFolder.create(out)
        let lock = try RunLock(output: out)
        defer { withExtendedLifetime(lock) {} }
        let ledger = try openOutput(options, identity: mergeIdentity(markers))
        let speaker = try speakerKey(options, partitions: first, ledger: ledger)

        var ingest = IngestOptions(
            root: first.root, output: out, config: config, jobs: options.jobs, input: first.input)
        ingest.logger = log
        let withdrawals = Withdrawals(
            clientIDs: Set(tree.withdrawals.map { speaker($0) }), speakerHashes: inputs.withdrawnHashes,
            hash: { speaker.withdrawalHash(pseudonym: $0) }, erasedClips: inputs.erased)
        let reviews = try ReviewVotes.load(output: out)
        let carried = inputs.carried
        var summary = try await release(
            Release(
                options: ingest, tree: tree, ledger: ledger, speaker: speaker,
                speakerIDs: speaker.ids(
                    legacyWithdrawals: Set(carried.filter { $0.hashed == .clientID }.map(\.speakerHash))),
                withdrawals: withdrawals, partitions: inputs.partitions, carriedWithdrawals: carried, reviews: reviews,
                inputsHash: ReviewVotes.inputsHash(
                    InputsHash.of(
                        config: config, tree: tree, input: first.input, partition: nil, listed: withdrawals.clientIDs,
                        speaker: speaker), votes: reviews, config: config.review),
                started: started),
            progress: progress)
        summary.notes.append("merged \(markers.count) partitions of \(first.root)")
        return summary
    }

    static let mergeFact = "merged_from"
    /// The same identity, written before the output ledger exists.
    static let identityFile = ".voxgate/merged-from"

    /// Names one set of completed partitions: their markers (partition, run, finish time, settings).
    static func mergeIdentity(_ markers: [PartitionMarker]) -> String {
        let lines = markers.sorted { $0.partition < $1.partition }.map {
            "\($0.partition)/\($0.partitions) \($0.run) \($0.finished) \($0.id ?? "-") \($0.configHash) \($0.speakerKeyID) \($0.root)"
        }
        return FileDigest.sha256(Array(lines.joined(separator: "\n").utf8))
    }

    /// Refuses an `--out` that is one of the partition folders, inside one, or holds one: a merge never
    /// writes into its inputs (`--force` would otherwise destroy a partition).
    static func checkOutputIsNotAnInput(_ options: MergeOptions) throws(RunError) {
        func real(_ path: String) -> String {
            guard let r = realpath(path, nil) else { return (path as NSString).standardizingPath }
            defer { free(r) }
            return String(cString: r)
        }
        let out = real(options.output)
        for dir in options.partitions {
            let p = real(dir)
            if out == p || out.hasPrefix(p + "/") || p.hasPrefix(out + "/") {
                throw RunError(
                    .outputUnusable,
                    "--out '\(options.output)' \(out == p ? "is" : out.hasPrefix(p + "/") ? "is inside" : "holds") the "
                        + "partition folder '\(dir)': a merge never writes into its inputs; choose another --out",
                    path: options.output)
            }
        }
    }

    /// Checks that `markers` are exactly the partitions 0..<N of one run, made alike; returns the first.
    static func checkComplete(_ markers: [PartitionMarker], folders: [String]) throws(RunError) -> PartitionMarker {
        guard let first = markers.first else {
            throw RunError(.inputUnusable, "no partition folders given; merge takes every partition's --out", path: "")
        }
        let n = first.partitions
        for (dir, m) in zip(folders, markers) {
            func differ(_ what: String, _ a: String, _ b: String) -> RunError {
                RunError(
                    .inputUnusable,
                    "'\(dir)' was made with another \(what) (\(b)) than '\(folders[0])' (\(a)); rerun the partitions alike",
                    path: dir)
            }
            if m.partitions != n { throw differ("partition count", "\(n)", "\(m.partitions)") }
            if m.version != first.version { throw differ("voxgate version", first.version, m.version) }
            if m.configHash != first.configHash {
                throw differ("pipeline configuration", first.configHash, m.configHash)
            }
            if m.speakerKeyID != first.speakerKeyID { throw differ("speaker key", first.speakerKeyID, m.speakerKeyID) }
            if m.root != first.root { throw differ("upload root", first.root, m.root) }
            if m.input != first.input { throw differ("input options", "\(first.input)", "\(m.input)") }
        }
        if first.version != VoxgateVersion.current {
            throw RunError(
                .inputUnusable,
                "the partitions were made by voxgate \(first.version); merge them with that version, or rerun them "
                    + "with this one (\(VoxgateVersion.current))", path: folders[0])
        }
        var seen: [Int: String] = [:]
        for (dir, m) in zip(folders, markers) {
            if let other = seen[m.partition] {
                throw RunError(
                    .inputUnusable, "'\(dir)' and '\(other)' are both partition \(m.partition)/\(n); give each once",
                    path: dir)
            }
            seen[m.partition] = dir
        }
        // n is capped (PartitionMarker.read); the message names the first few missing partitions.
        let missing = (0..<n).lazy.filter { seen[$0] == nil }
        guard missing.isEmpty else {
            let few = missing.prefix(8).map { "\($0)/\(n)" }.joined(separator: ", ")
            throw RunError(
                .inputUnusable,
                "partition(s) \(few)\(n - seen.count > 8 ? ", …" : "") missing (\(n - seen.count) of \(n)): merge needs all "
                    + "\(n) partition folders", path: folders[0])
        }
        return first
    }
}
