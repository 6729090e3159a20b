import Foundation
public import Logging
import VoxgateCorpus
import VoxgateLedger
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
public enum Merge {
    public static func run(
        _ options: MergeOptions, progress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let started = Date()
        let log = options.logger
        let markers = try options.partitions.map { dir throws(RunError) in try PartitionMarker.read(dir) }
        let first = try checkComplete(markers, folders: options.partitions)
        let config: PipelineConfig
        do { config = try JSONDecoder().decode(PipelineConfig.self, from: Data(first.config.utf8)) } catch {
            throw RunError(
                .inputUnusable, "the partitions' pipeline settings cannot be read (\(error)); rerun them with this voxgate",
                path: options.partitions[0])
        }
        log.notice(
            "merge started",
            metadata: ["partitions": "\(markers.count)", "out": "\(options.output)", "root": "\(first.root)"])

        // Every partition's clips, analyses, released audio and withdrawals.
        var records: [String: ClipRecord] = [:]
        var owner: [String: Int] = [:]
        var audio: [String: ShardAudio] = [:]
        var withdrawnHashes = Set<String>()
        var carried: [WithdrawalRecord] = []
        for (dir, marker) in zip(options.partitions, markers) {
            let ledger = try Ledger(output: dir)
            let partition = Partition(index: marker.partition, count: marker.partitions)!
            let clips = try ledger.clips().values.filter { partition.contains($0.path) }
            var byShard: [String: [ClipRecord]] = [:]
            for record in clips {
                records[record.path] = record
                owner[record.path] = marker.partition
                if let shard = record.shard { byShard[shard, default: []].append(record) }
            }
            for (shard, placed) in byShard {
                let members = try TarIndex.audio(of: dir + "/" + shard)
                for record in placed { if let m = record.member, let a = members[m] { audio[record.path] = a } }
            }
            let withdrawals = try ledger.withdrawals()
            withdrawnHashes.formUnion(withdrawals.map(\.speakerHash))
            carried += withdrawals
        }

        // The tree must be the one the partitions decided: every clip decided, none changed since.
        let tree = try InputLayouts.scan(root: first.root, options: first.input)
        for clip in tree.clips {
            let expected = Partition.of(clip.clip, count: first.partitions)
            guard let record = records[clip.clip] else {
                throw RunError(
                    .inputUnusable,
                    "'\(clip.clip)' was decided by no partition (it belongs to partition \(expected)/\(first.partitions), "
                        + "which ran before it was uploaded); rerun that partition, then merge", path: clip.path)
            }
            let stat = IncrementalPlan.FileStat(path: clip.path)
            guard stat?.size == record.size, stat?.mtimeNs == record.mtimeNs else {
                throw RunError(
                    .inputUnusable,
                    "'\(clip.clip)' changed after partition \(expected)/\(first.partitions) decided it; rerun that "
                        + "partition, then merge", path: clip.path)
            }
        }

        let out = options.output
        try OutputFolder.create(out)
        let lock = try RunLock(output: out)
        defer { withExtendedLifetime(lock) {} }
        if FileManager.default.fileExists(atPath: out + "/" + Ledger.relativePath) && !options.force {
            throw RunError(
                .outputUnusable,
                "'\(out)' already holds a release; a merge writes a whole new one: choose an empty --out, or pass "
                    + "--force to replace it", path: out)
        }
        try OutputFolder.prepare(out, force: options.force)
        let ledger = try Ledger(output: out)
        try OutputFolder.recover(ledger, output: out)
        let keyPath = options.speakerKeyPath ?? options.partitions[0] + "/speaker.key"
        guard FileManager.default.fileExists(atPath: keyPath) else {
            throw RunError(
                .inputUnusable,
                "no speaker key at '\(keyPath)'; pass the key the partitions used with --speaker-key-file", path: keyPath)
        }
        let speaker = try SpeakerPseudonym(keyPath: keyPath)
        guard speaker.keyID == first.speakerKeyID else {
            throw RunError(
                .inputUnusable,
                "the speaker key '\(keyPath)' is not the one the partitions used (key id \(speaker.keyID), partitions "
                    + "\(first.speakerKeyID)); pass theirs with --speaker-key-file", path: keyPath)
        }
        if options.speakerKeyPath == nil {  // the corpus's key, beside its release as a single run keeps it
            try? FileManager.default.removeItem(atPath: out + "/speaker.key")
            try? FileManager.default.copyItem(atPath: keyPath, toPath: out + "/speaker.key")
            chmod(out + "/speaker.key", 0o600)
        }

        var ingest = IngestOptions(
            root: first.root, output: out, config: config, jobs: options.jobs, input: first.input)
        ingest.logger = log
        let withdrawals = Withdrawals(
            clientIDs: tree.withdrawals, speakerHashes: withdrawnHashes, hash: { speaker.withdrawalHash($0) },
            erasedClips: Set(records.values.filter(\.withdrawn).map(\.path)))
        var plan = IncrementalPlan(tree: tree, known: records, verifyHashes: false)
        try plan.load()
        let reviews = try ReviewVotes.load(output: out)
        var summary = try await Ingest.release(
            Ingest.ReleaseJob(
                options: ingest, tree: tree, ledger: ledger, releasedShards: [], known: [:], speaker: speaker,
                withdrawals: withdrawals, plan: plan, audio: audio, carriedWithdrawals: carried, reviews: reviews,
                inputsHash: ReviewVotes.inputsHash(
                    InputsHash.of(
                        config: config, tree: tree, input: first.input, partition: nil, listed: tree.withdrawals,
                        speaker: speaker), votes: reviews, config: config.review),
                started: started),
            progress: progress)
        summary.notes.append("merged \(markers.count) partitions of \(first.root)")
        return summary
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
            if m.configHash != first.configHash { throw differ("pipeline configuration", first.configHash, m.configHash) }
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
        let missing = (0..<n).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            throw RunError(
                .inputUnusable,
                "partition(s) \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: merge needs all \(n) "
                    + "partition folders", path: folders[0])
        }
        return first
    }
}
