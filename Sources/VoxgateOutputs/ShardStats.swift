import Foundation
import VoxgateCorpus
import VoxgateLedger

/// What the file system said about each released shard when it was published: size, modification and
/// status-change times (to the nanosecond) and inode, kept in the ledger (fact `shard_stats`).
///
/// Every run compares each released shard with this record before it starts. A shard whose stat is as recorded
/// was not written since; one whose stat differs (a byte changed in place, a copy, a `touch`) is hashed again,
/// and refused when its SHA-256 is not the ledger's ("changed outside voxgate"). So a plain nightly run notices a
/// same-size edit while reading only the shards that were touched. The status-change time cannot be set back by
/// a user (only by the system clock), so an editor that restores the modification time is still noticed.
enum ShardStats {
    static let fact = "shard_stats"

    struct Stat: Codable, Equatable, Sendable {
        var size: Int
        var mtimeNs: Int64
        var ctimeNs: Int64
        var inode: UInt64

        init?(path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            size = Int(s.st_size)
            mtimeNs = s.st_mtim.nanoseconds
            ctimeNs = s.st_ctim.nanoseconds
            inode = UInt64(s.st_ino)
        }
    }

    /// The stats recorded at the last publication; empty for a folder from before this record (every shard is
    /// then hashed once).
    static func recorded(_ ledger: Ledger) throws(RunError) -> [String: Stat] {
        guard let text = try ledger.fact(fact) else { return [:] }
        return (try? JSONDecoder().decode([String: Stat].self, from: Data(text.utf8))) ?? [:]
    }

    /// Records the stat of every shard the ledger lists, as it is now (after this run's renames).
    static func record(_ out: String, ledger: Ledger) throws(RunError) {
        var map: [String: Stat] = [:]
        for shard in try ledger.shards() { map[shard.path] = Stat(path: out + "/" + shard.path) }
        let json = String(decoding: (try? JSONEncoder.sorted.encode(map)) ?? Data(), as: UTF8.self)
        try ledger.setFact(fact, json)
    }
}
