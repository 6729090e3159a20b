import Foundation
import VoxgateCorpus
import VoxgateOutputs

/// `voxgate ingest`: scans an upload tree, decides every new or changed clip, and brings the output
/// folder's release up to date: new shards for newly accepted clips, sealed shards rewritten only to
/// remove clips, and `decisions.jsonl`, totals, splits and datasheets regenerated for every clip the
/// ledger holds.
///
/// A run commits in one ledger transaction. Before it, nothing visible changes (new and rewritten shards
/// wait as `.partial` files); after it, the renames it owes are journaled in the ledger and replayed by
/// the next run if this one is killed. The regenerated files are written last.
///
/// The stages, in order, each in its folder: `List/` (the upload tree), `Plan/` (the output folder, the ledger
/// and which clips to decode), `Analyse/` (the clips' analyses: decoded, or read back from the ledger),
/// `Decide/` (each outcome's place in the release and its ledger record) and `Release/` (the shards, the
/// commit and the regenerated files).
public enum Ingest {
    static let decisionsFile = ReleaseWriter.decisionsFile

    /// Runs one ingest. Rejected clips are not errors.
    /// - Throws: ``RunError``: `.inputUnusable` (root), `.outputUnusable` (output folder unusable or a write
    ///   failed), `.ledgerUnusable` (corrupt or newer ledger, not a voxgate folder), `.busy` (lock held).
    public static func run(
        _ options: IngestOptions, progress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let started = Date()
        var tree = try list(options)
        let folder = try await open(options)
        defer { withExtendedLifetime(folder.lock) {} }
        var planned = try plan(options, tree: &tree, folder: folder)
        var result: IngestSummary
        if planned.moved.isEmpty, planned.legacy.isEmpty,
            try await isUpToDate(
                options.output, ledger: folder.ledger, plan: planned.plan, inputsHash: planned.inputsHash)
        {
            result = try await recordUnchangedRun(
                options, tree: tree, ledger: folder.ledger, inputsHash: planned.inputsHash,
                basisHash: planned.basisHash, started: started)
        } else {
            try await planned.load(options, tree: tree, ledger: folder.ledger)
            result = try await release(
                planned.job(options, tree: tree, folder: folder, started: started), progress: progress)
        }
        try mark(options, result: &result, speaker: planned.speaker)
        return result
    }

    /// Marks the folder once the run counts: its ledger keys clips by their paths as written, and a partition
    /// run's folder is complete (``PartitionMarker``).
    static func mark(_ options: IngestOptions, result: inout IngestSummary, speaker: SpeakerPseudonym) throws {
        LegacyClipPaths.mark(output: options.output)
        if let partition = options.partition {
            try PartitionMarker(
                partition: partition, config: options.config, speakerKeyID: speaker.keyID, root: options.root,
                input: options.input, clips: result.clips, run: result.run
            ).write(to: options.output)
        }
        result.partition = options.partition
    }
}
