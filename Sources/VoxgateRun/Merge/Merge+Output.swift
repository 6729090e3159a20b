import Foundation
import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs

/// The merge's output folder: its ledger (a retried merge of the same partitions resumes it) and the corpus's
/// speaker key.
extension Merge {
    /// Prepares `--out` (the caller holds its lock) and opens its ledger, recording which partitions it merges.
    /// A merge of exactly these partitions (the same markers) that did not finish, or did: the same command
    /// makes the same release again, so a retried cluster job finishes it.
    static func openOutput(_ options: MergeOptions, identity: String) throws -> Ledger {
        let out = options.output
        var retry = false
        if FileManager.default.fileExists(atPath: out + "/" + Ledger.relativePath) && !options.force {
            // The identity is in the ledger once recorded, and in a file written before the ledger is created: a
            // merge killed between the two (or while SQLite creates the ledger) is still known as this one.
            retry =
                (try? Ledger(readingInput: out).fact(Self.mergeFact)) == identity
                || (try? String(contentsOfFile: out + "/" + Self.identityFile, encoding: .utf8)) == identity
            guard retry else {
                throw RunError(
                    .outputUnusable,
                    "'\(out)' already holds a release; a merge writes a whole new one: choose an empty --out, or pass "
                        + "--force to replace it", path: out)
            }
            options.logger.notice("merge resumed", metadata: ["out": "\(out)"])
        }
        try OutputFolder.prepare(out, force: options.force || retry)
        try OutputFolder.create(out + "/.voxgate")
        try AtomicFile.write(identity, to: out + "/" + Self.identityFile)
        let ledger = try Ledger(output: out)
        try ledger.setFact(Self.mergeFact, identity)
        try OutputFolder.recover(ledger, output: out)
        return ledger
    }

    /// The corpus's speaker key (`--speaker-key-file`, default the first partition folder's), checked to be the
    /// one the partitions used, recorded in the ledger, and kept beside the release as a single run keeps it.
    static func speakerKey(
        _ options: MergeOptions, partitions first: PartitionMarker, ledger: Ledger
    ) throws -> SpeakerPseudonym {
        let out = options.output
        let keyPath = options.speakerKeyPath ?? options.partitions[0] + "/speaker.key"
        guard FileManager.default.fileExists(atPath: keyPath) else {
            throw RunError(
                .inputUnusable,
                "no speaker key at '\(keyPath)'; pass the key the partitions used with --speaker-key-file",
                path: keyPath)
        }
        let speaker = try SpeakerPseudonym(keyPath: keyPath)
        guard speaker.keyID == first.speakerKeyID else {
            throw RunError(
                .inputUnusable,
                "the speaker key '\(keyPath)' is not the one the partitions used (key id \(speaker.keyID), partitions "
                    + "\(first.speakerKeyID)); pass theirs with --speaker-key-file", path: keyPath)
        }
        try ledger.setFact(SpeakerPseudonym.keyFact, speaker.keyID)
        try ledger.keepPseudonyms(speaker.ids())
        if options.speakerKeyPath == nil {  // the corpus's key, beside its release as a single run keeps it
            try? FileManager.default.removeItem(atPath: out + "/speaker.key")
            try? FileManager.default.copyItem(atPath: keyPath, toPath: out + "/speaker.key")
            chmod(out + "/speaker.key", 0o600)
        }
        return speaker
    }
}
