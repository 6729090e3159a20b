import Foundation
import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs

/// The plan stage: the output folder opened and recovered, the tree compared with its ledger, and what the
/// run's outputs depend on besides the clips.
extension Ingest {
    /// The output folder a run holds: its lock (for the whole run), its ledger and the shards it released.
    struct OpenFolder {
        var lock: RunLock
        var ledger: Ledger
        var releasedShards: [ShardRecord]
    }

    /// What the plan stage hands on: which clips to decode, whose records move or are re-keyed, and the
    /// contributors, withdrawals and votes the run decides under.
    struct Planned {
        /// The tree merge-joined with the ledger's clips in path order (a cursor): a few bytes per clip, no record.
        var plan: IncrementalPlan
        /// The folder may hold legacy clip paths (rare: made before 0.2): the plan is made again from whole records.
        var mayHoldLegacyPaths: Bool
        var legacy: LegacyClipPaths
        var speaker: SpeakerPseudonym
        var speakerIDs: SpeakerIDs
        /// The ledger's clips that belong to another partition now, in path order.
        var moved: [ClipRecord]
        var withdrawals: Withdrawals
        var reviews: [String: ReviewTally]
        var inputsHash: String
        /// What the run's decisions rest on besides the clips and the withdrawals (``RunRecord/basisHash``).
        var basisHash: String
    }

    /// Takes the folder's lock, checks that the folder is voxgate's, replays what a killed run owed, and verifies
    /// the released shards.
    static func open(_ options: IngestOptions) async throws -> OpenFolder {
        let out = options.output
        try OutputFolder.create(out)
        let lock = try RunLock(output: out)
        try OutputFolder.prepare(out, force: options.force)
        let ledger = try Ledger(output: out)
        try OutputFolder.recover(ledger, output: out)
        let releasedShards = try ledger.shards()
        try await OutputFolder.verify(releasedShards, output: out, ledger: ledger, hashes: options.verifyHashes)
        return OpenFolder(lock: lock, ledger: ledger, releasedShards: releasedShards)
    }

    /// Compares the tree with the ledger's clips (read with a cursor in path order, ``IncrementalPlan``), and
    /// gathers the withdrawals, votes and inputs hash the run decides under. A partition run's tree is narrowed
    /// to its share here, after legacy clip paths were matched against the whole tree.
    static func plan(_ options: IngestOptions, tree: inout CorpusInput, folder: OpenFolder) throws -> Planned {
        let (out, ledger) = (options.output, folder.ledger)
        // Whole records only in a folder that may hold legacy clip paths (rare: made before 0.2): re-keyed.
        let mayHoldLegacyPaths = LegacyClipPaths.mayHoldLegacyPaths(output: out, runs: try ledger.runs().count)
        var records: [String: ClipRecord]?
        var legacy = LegacyClipPaths()
        if mayHoldLegacyPaths {
            var light = try ledger.clips(light: true)
            legacy = LegacyClipPaths(tree: tree, known: &light)
            records = light
        }
        let speaker = try pseudonyms(options, ledger: ledger, tree: &tree)
        narrow(&tree, to: options.partition, output: out)
        let listed = Set(tree.withdrawals.union(options.withdraw).map { speaker($0) })
        let earlierWithdrawn = try ledger.withdrawnSpeakers()
        let ids = speaker.ids(legacyWithdrawals: try ledger.withdrawnSpeakers(hashed: .clientID))
        let plan = try IncrementalPlan(
            tree: tree, ledger: ledger, records: records, partition: options.partition,
            verifyHashes: options.verifyHashes, speakerIDs: ids)
        let withdrawals = Withdrawals(
            clientIDs: listed, speakerHashes: earlierWithdrawn, hash: { speaker.withdrawalHash(pseudonym: $0) },
            erasedClips: plan.withdrawnClips)
        let reviews = try ReviewVotes.load(output: out)
        func hash(listed: Set<String>) -> String {
            ReviewVotes.inputsHash(
                InputsHash.of(
                    config: options.config, tree: tree, input: options.input, partition: options.partition,
                    listed: listed, speaker: speaker), votes: reviews, config: options.config.review)
        }
        let inputs = hash(listed: listed)
        return Planned(
            plan: plan, mayHoldLegacyPaths: mayHoldLegacyPaths, legacy: legacy, speaker: speaker, speakerIDs: ids,
            moved: plan.moved.sorted { $0.path < $1.path }, withdrawals: withdrawals, reviews: reviews,
            inputsHash: inputs, basisHash: hash(listed: []))
    }

    /// The corpus's speaker key, checked against the ledger; a ledger made before pseudonyms has its raw ids
    /// replaced, once. The key's warnings join the tree's.
    static func pseudonyms(
        _ options: IngestOptions, ledger: Ledger, tree: inout CorpusInput
    ) throws -> SpeakerPseudonym {
        let keyPath = options.speakerKeyPath ?? options.output + "/speaker.key"
        let speaker = try SpeakerPseudonym(keyPath: keyPath)
        try SpeakerPseudonym.check(speaker, against: ledger, keyPath: keyPath)
        try ledger.keepPseudonyms(speaker.ids())
        for warning in SpeakerPseudonym.warnings(keyPath: keyPath) {
            options.logger.warning("\(warning)")
            tree.warnings.append(warning)
        }
        return speaker
    }
}

extension Ingest.Planned {
    /// Lists every clip of the run (``IncrementalPlan/load(from:)``). The run then reads each clip's record and
    /// analysis from the ledger in path order as it reaches it (``StoredAnalyses``). A folder that may hold legacy
    /// clip paths re-keys whole records first (rare: made before 0.2).
    mutating func load(_ options: IngestOptions, tree: CorpusInput, ledger: Ledger) async throws {
        if mayHoldLegacyPaths {
            let movedPaths = Set(moved.map(\.path))
            var full = try ledger.clips()
            legacy = LegacyClipPaths(tree: tree, known: &full)
            full = full.filter { !movedPaths.contains($0.key) }
            plan = try IncrementalPlan(
                tree: tree, ledger: ledger, records: full, partition: options.partition,
                verifyHashes: options.verifyHashes, speakerIDs: speakerIDs)
        }
        try await plan.load(from: ledger)
    }

    /// The release stage's work: this plan in `folder`.
    func job(_ options: IngestOptions, tree: CorpusInput, folder: Ingest.OpenFolder, started: Date) -> Ingest.ReleaseJob
    {
        Ingest.ReleaseJob(
            options: options, tree: tree, ledger: folder.ledger, releasedShards: folder.releasedShards, moved: moved,
            legacy: legacy, speaker: speaker, withdrawals: withdrawals, plan: plan, reviews: reviews,
            inputsHash: inputsHash, basisHash: basisHash, started: started)
    }
}
