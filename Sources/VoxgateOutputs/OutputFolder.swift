import Foundation
package import VoxgateCorpus
package import VoxgateLedger
import VoxgatePipeline

/// The output folder's state before a run: refuses folders that are not voxgate's, replays what a
/// killed run's commit still owed, and removes what an uncommitted run left behind.
package enum OutputFolder {
    /// The files and folders a run writes (all regenerated from the ledger, except `shards/`).
    static let ownedOutputs = [
        "decisions.jsonl", "totals.json", "totals.csv", "run.json", "audit.json", "shards", "splits", "datasheets",
        "report",
    ]

    package static func create(_ out: String) throws(RunError) {
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw RunError(
                .outputUnusable, "cannot create output folder '\(out)' (\(error.localizedDescription))", path: out)
        }
    }

    /// Decides whether `out` may be used. A folder with a ledger continues; `--force` starts it over
    /// (the speaker key is kept); a folder without a ledger must be new, empty, or hold only the leftovers
    /// of a first run that was killed before its commit.
    package static func prepare(_ out: String, force: Bool) throws(RunError) {
        let fm = FileManager.default
        // Without a ledger, `shards/` is only removed when everything in it is what voxgate writes there:
        // `--force` replaces voxgate's outputs, never someone else's files.
        if !fm.fileExists(atPath: out + "/" + Ledger.relativePath) {
            let foreign = foreignShardFiles(out)
            guard foreign.isEmpty else {
                throw RunError(
                    .ledgerUnusable,
                    "'\(out)' is not a voxgate output folder: it has no ledger and its shards/ holds files voxgate does "
                        + "not write (" + foreign.prefix(3).map { "'shards/\($0)'" }.joined(separator: ", ")
                        + "); choose a new or empty folder for --out", path: out)
            }
        }
        if force {
            for name in ownedOutputs { try? fm.removeItem(atPath: out + "/" + name) }
            // Everything of .voxgate but the reviewers' votes (people's work, applied again by the new run).
            for name in (try? fm.contentsOfDirectory(atPath: out + "/.voxgate")) ?? []
            where !name.hasPrefix("votes.sqlite") {
                try? fm.removeItem(atPath: out + "/.voxgate/" + name)
            }
            removePartials(out)
            return
        }
        if fm.fileExists(atPath: out + "/" + Ledger.relativePath) { return }
        if fm.fileExists(atPath: out + "/decisions.jsonl") {
            throw RunError(
                .outputUnusable,
                "'\(out)' holds a voxgate run without a ledger (.voxgate/ledger.sqlite), made by an earlier version; "
                    + "choose another --out, or pass --force to replace that run's outputs", path: out)
        }
        let entries = ((try? fm.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }
        let foreign = entries.filter { !ownedOutputs.contains($0) && $0 != "speaker.key" && !$0.hasSuffix(".partial") }
        guard foreign.isEmpty else {
            throw RunError(
                .ledgerUnusable,
                "'\(out)' is not a voxgate output folder: it has no ledger (.voxgate/ledger.sqlite) and holds "
                    + foreign.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", ")
                    + "; choose a new or empty folder for --out", path: out)
        }
        for name in ownedOutputs { try? fm.removeItem(atPath: out + "/" + name) }  // a killed first run's
        removePartials(out)
    }

    /// Finishes the file operations a committed run owed (its shard renames and deletions), then removes
    /// what no committed run owns: `.partial` files and shards the ledger does not list.
    package static func recover(_ ledger: Ledger, output out: String) throws(RunError) {
        try applyPending(ledger, output: out)
        removePartials(out)
        let released = Set(try ledger.shards().map(\.path))
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: out + "/shards") else { return }
        for case let relative as String in walker where relative.hasSuffix(".tar") {
            if !released.contains("shards/" + relative) { try? fm.removeItem(atPath: out + "/shards/" + relative) }
        }
    }

    /// Renames and deletes what the ledger's last commit owes, then clears the journal.
    package static func applyPending(_ ledger: Ledger, output out: String) throws(RunError) {
        let pending = try ledger.pendingFiles()
        guard !pending.isEmpty else { return }
        TestPause.at("committed")
        for (done, file) in pending.enumerated() {
            if done == 1 { TestPause.at("renaming") }
            let path = out + "/" + file.path
            switch file.op {
            case "rename": try AtomicFile.renameIntoPlace(path)
            default:
                if unlink(path) != 0 && errno != ENOENT { throw RunError.posix("cannot remove", path: path) }
                AtomicFile.syncDirectory(of: path)
            }
        }
        try ledger.clearPending()
    }

    /// Every released shard must be as the ledger recorded it: present, with its size, and with its SHA-256. The
    /// hash is checked for every shard with `hashes` (`--verify-hashes`), otherwise only for shards whose stat
    /// (size, times, inode) is not the one recorded when they were published (``ShardStats``): a shard changed in
    /// place, even to the same size, is found without reading the others.
    package static func verify(
        _ shards: [ShardRecord], output out: String, ledger: Ledger, hashes: Bool = false
    ) async throws(RunError) {
        let stats = try ShardStats.recorded(ledger)
        var toHash: [ShardRecord] = []
        for shard in shards {
            let path = out + "/" + shard.path
            guard let stat = ShardStats.Stat(path: path) else {
                throw RunError(
                    .ledgerUnusable,
                    "released shard '\(path)' is missing (removed outside voxgate); restore it from a backup, or "
                        + "rerun with --force to rebuild the release", path: path)
            }
            guard stat.size == shard.bytes else {
                throw RunError(
                    .ledgerUnusable,
                    "released shard '\(path)' has \(stat.size) bytes but the ledger recorded \(shard.bytes) (changed outside "
                        + "voxgate); restore it from a backup, or rerun with --force to rebuild the release", path: path
                )
            }
            if hashes || stats[shard.path] != stat { toHash.append(shard) }
        }
        let digests = await Concurrent.map(toHash, chunk: 1) { FileDigest.sha256(path: out + "/" + $0.path) }
        for (shard, digest) in zip(toHash, digests) where digest != shard.sha256 {
            throw RunError(
                .ledgerUnusable,
                "released shard '\(out)/\(shard.path)' was changed outside voxgate (its SHA-256 is not the one the ledger "
                    + "recorded); restore it from a backup, or rerun with --force to rebuild the release",
                path: out + "/" + shard.path)
        }
    }

    /// Files under `<out>/shards` that voxgate never writes there (it writes `<tag>/*.tar`, `*.terms.json`,
    /// `ATTRIBUTION.md`, and their `.partial`s).
    static func foreignShardFiles(_ out: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: out + "/shards") else { return [] }
        var foreign: [String] = []
        for case let relative as String in walker {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: out + "/shards/" + relative, isDirectory: &isDir),
                !isDir.boolValue
            else { continue }
            let name =
                relative.hasSuffix(AtomicFile.partialSuffix)
                ? String(relative.dropLast(AtomicFile.partialSuffix.count)) : relative
            let depth = relative.split(separator: "/").count
            if depth != 2
                || !(name.hasSuffix(".tar") || name.hasSuffix(".terms.json") || name.hasSuffix("/ATTRIBUTION.md"))
            {
                foreign.append(relative)
            }
        }
        return foreign.sorted()
    }

    static func removePartials(_ out: String) {
        guard let walker = FileManager.default.enumerator(atPath: out) else { return }
        for case let relative as String in walker where relative.hasSuffix(AtomicFile.partialSuffix) {
            try? FileManager.default.removeItem(atPath: out + "/" + relative)
        }
    }
}
