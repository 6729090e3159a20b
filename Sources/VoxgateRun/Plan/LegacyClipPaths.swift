import Crypto
import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs

/// Output folders written before a clip's identity was its path as written: their ledgers key an upload-tree
/// clip by `<catalog tag>/<file name in NFC>` (`EN/y.wav` as `en/y.wav`, `sr-Latn/a.wav` as `sr/a.wav`,
/// `es-MX/…` as `es/…`). A clip that alone had such a legacy path has its record carried over to its path,
/// so it is not decoded again (when its file is unchanged) and its released sample keeps its place. Where
/// several uploads shared one legacy path (`en/x.wav` and `en-US/x.wav`, NFC/NFD twins), the ledger's
/// single record describes one of them at best and the shards may hold a sample of each under one key:
/// that record is dropped, those samples leave the release, and each upload is decoded and released anew.
struct LegacyClipPaths {
    /// Legacy paths whose ledger rows this run deletes (carried over or dropped).
    var deleted: [String] = []
    /// The clip paths records were carried over to (written by this run even when nothing else changed).
    var carried: [String] = []
    /// Legacy shard keys (language, key) whose samples leave every released shard of the language.
    var staleKeys: [(language: String, key: String)] = []
    var isEmpty: Bool { deleted.isEmpty && staleKeys.isEmpty }

    /// `<out>/.voxgate/clip-paths`: present once a run of this version committed to the folder's ledger (its
    /// clips are keyed by their paths as written). A ledger with runs and without it has legacy paths.
    static let markerFile = ".voxgate/clip-paths"

    /// Whether `output`'s ledger (which has `runs` runs) may key clips by legacy paths.
    static func mayHoldLegacyPaths(output: String, runs: Int) -> Bool {
        runs > 0 && !FileManager.default.fileExists(atPath: output + "/" + markerFile)
    }

    /// Records that `output`'s ledger keys clips by their paths as written (after a committed run).
    static func mark(output: String) {
        let path = output + "/" + markerFile
        if !FileManager.default.fileExists(atPath: path) {
            try? "as-written/1\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    init() {}

    /// Re-keys `known`'s records from legacy paths to the tree's clip paths (or drops them, see above).
    init(tree: CorpusInput, known: inout [String: ClipRecord]) {
        guard tree.layout == UploadTree.name else { return }
        let current = Set(tree.clips.map(\.clip))
        let groups = Dictionary(grouping: tree.clips) { source in
            source.languageTag + "/" + (source.path as NSString).lastPathComponent.precomposedStringWithCanonicalMapping
        }
        for (legacy, sources) in groups.sorted(by: { $0.key < $1.key }) {
            if sources.count == 1, let source = sources.first, source.conflict == nil {
                // A legacy path that is itself a clip of the tree belongs to that clip.
                guard known[source.clip] == nil, !current.contains(legacy),
                    var record = known.removeValue(forKey: legacy)
                else { continue }
                record.path = source.clip
                record.language = source.languageTag
                known[source.clip] = record
                deleted.append(legacy)
                carried.append(source.clip)
            } else if sources.count > 1, let record = known[legacy], record.language == sources[0].languageTag {
                known.removeValue(forKey: legacy)
                if !current.contains(legacy) { deleted.append(legacy) }
                let digest = SHA256.hash(data: Data(legacy.utf8)).hexLowercased
                staleKeys.append((record.language, OutputRecords.key(for: sources[0], clipDigest: digest)))
            }
        }
    }

    /// The released shards holding a stale key's samples, and the keys to remove from each.
    func staleMembers(in shards: [ShardRecord], output: String) throws(RunError) -> [String: Set<String>] {
        var removals: [String: Set<String>] = [:]
        for (language, key) in staleKeys {
            for shard in shards where shard.language == language {
                let members = try TarIndex.members(
                    of: output + "/" + shard.path, code: .ledgerUnusable,
                    remedy: "the released shard was changed outside voxgate: restore it from a backup")
                if members.contains(where: { TarIndex.key(of: $0.name) == key }) {
                    removals[shard.path, default: []].insert(key)
                }
            }
        }
        return removals
    }
}
