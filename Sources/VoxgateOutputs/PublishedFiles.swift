import Foundation
package import VoxgateCorpus
package import VoxgateLedger
import VoxgatePipeline

/// The release files a run regenerates (decisions, totals, splits, datasheets, attribution, terms, run.json,
/// audit): their SHA-256s are recorded in the ledger when they are published, so the next run and
/// `voxgate verify` can tell a file changed outside voxgate (truncated, edited by hand) from the one it wrote.
/// Shards are not listed here: the ledger's shard table records each one's hash.
package enum PublishedFiles {
    static let fact = "published_files"

    /// The release files under `out`, relative: every regular file except shards' `.tar`s, the ledger folder,
    /// the lock, the speaker key, the report (written after the release by the CLI) and `.partial` files.
    static func list(_ out: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: out) else { return [] }
        var files: [String] = []
        for case let relative as String in walker {
            if relative == ".voxgate" || relative == "report" { walker.skipDescendants(); continue }
            if relative == RunLock.fileName || relative == "speaker.key" || relative.hasSuffix(AtomicFile.partialSuffix)
                || (relative.hasPrefix("shards/") && relative.hasSuffix(".tar"))
            {
                continue
            }
            var st = stat()
            guard stat(out + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append(relative)
        }
        return files.sorted()
    }

    /// Hashes every release file of `out` and records them in `ledger`, with the stat of every shard
    /// (``ShardStats``).
    package static func record(_ out: String, ledger: Ledger) async throws(RunError) {
        let files = list(out)
        let digests = await Concurrent.map(files, chunk: 1) { FileDigest.sha256(path: out + "/" + $0) }
        var map: [String: String] = [:]
        for (file, digest) in zip(files, digests) { map[file] = digest ?? "" }
        let json = String(decoding: (try? JSONEncoder.sorted.encode(map)) ?? Data(), as: UTF8.self)
        try ledger.setFact(fact, json)
        try ShardStats.record(out, ledger: ledger)
    }

    /// The files recorded at the last publication, or nil when none were (a folder from before this check).
    package static func recorded(_ ledger: Ledger) throws(RunError) -> [String: String]? {
        guard let text = try ledger.fact(fact) else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    /// The recorded files that are missing or whose bytes changed since they were published, each with why.
    package static func changed(_ out: String, recorded: [String: String]) async -> [(file: String, why: String)] {
        let files = recorded.keys.sorted()
        let digests = await Concurrent.map(files, chunk: 1) { FileDigest.sha256(path: out + "/" + $0) }
        var found: [(String, String)] = []
        for (file, digest) in zip(files, digests) {
            if digest == nil {
                found.append((file, "'\(file)' is missing (deleted outside voxgate)"))
            } else if digest != recorded[file] {
                found.append(
                    (
                        file,
                        "'\(file)' was changed outside voxgate (edited or truncated: its SHA-256 is not the one recorded when it was published)"
                    ))
            }
        }
        return found
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
