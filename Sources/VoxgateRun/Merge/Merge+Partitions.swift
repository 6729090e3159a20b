import Foundation
import VoxgateCorpus
import VoxgateLedger

/// What a merge reads before it writes anything: the partitions' markers and settings, their clips and
/// withdrawals (every released member verified), and the upload tree they decided.
extension Merge {
    /// The partitions read: their clips in path order, and the withdrawals their ledgers hold.
    struct Inputs {
        var partitions: [PartitionClips]
        /// Keyed hashes of the contributors the partitions withdrew (pseudonym-hashed).
        var withdrawnHashes = Set<String>()
        /// The partitions' withdrawal audit records, carried over.
        var carried: [WithdrawalRecord] = []
        /// The partitions' withdrawn clips (each of its own partition).
        var erased = Set<String>()
    }

    /// Every partition's marker, checked to be the partitions 0..<N of one run made alike; the first, and the
    /// pipeline settings they were made with.
    static func readMarkers(
        _ options: MergeOptions
    ) throws -> (markers: [PartitionMarker], first: PartitionMarker, config: PipelineConfig) {
        let markers = try options.partitions.map { dir throws(RunError) in try PartitionMarker.read(dir) }
        let first = try checkComplete(markers, folders: options.partitions)
        let config: PipelineConfig
        do { config = try JSONDecoder().decode(PipelineConfig.self, from: Data(first.config.utf8)) } catch {
            throw RunError(
                .inputUnusable,
                "the partitions' pipeline settings cannot be read (\(error)); rerun them with this voxgate",
                path: options.partitions[0])
        }
        guard config.checks.maxDurationSeconds <= CheckConfig.durationCap, config.checks.minDurationSeconds >= 0 else {
            throw RunError(
                .inputDamaged,
                "the partitions' checks.max_duration_s (\(config.checks.maxDurationSeconds)) is outside 0...\(CheckConfig.durationCap); "
                    + "the marker was edited: rerun the partitions", path: options.partitions[0])
        }
        return (markers, first, config)
    }

    /// Opens every partition's clips (read in path order a window at a time), verifies every member it released
    /// (``verifyMembers(of:)``), and gathers its withdrawals.
    static func readPartitions(_ options: MergeOptions, markers: [PartitionMarker]) async throws -> Inputs {
        let partitions = try zip(options.partitions, markers).map { dir, marker throws(RunError) in
            try PartitionClips(folder: dir, marker: marker)
        }
        var inputs = Inputs(partitions: partitions)
        for partition in partitions {
            try await verifyMembers(of: partition)
            let withdrawals = try partition.ledger.withdrawals()
            inputs.withdrawnHashes.formUnion(withdrawals.filter { $0.hashed == .pseudonym }.map(\.speakerHash))
            inputs.carried += withdrawals
            inputs.erased.formUnion(try partition.ledger.withdrawnClips().filter { partition.partition.contains($0) })
        }
        return inputs
    }

    /// The upload tree the partitions decided, checked against their clips (``TreeAlignment``): every clip
    /// decided, none changed since.
    static func alignedTree(_ first: PartitionMarker, partitions: [PartitionClips]) throws -> CorpusInput {
        let tree = try InputLayouts.scan(root: first.root, options: first.input)
        var aligned = TreeAlignment(tree: tree, partitions: first.partitions)
        var light = try MergedClips(partitions.map { $0.restarted(light: true) })
        while let (record, _) = try light.next() { _ = try aligned.source(of: record) }
        try aligned.finish()
        return tree
    }
}
