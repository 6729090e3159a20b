import Foundation
import Testing
import VoxgateCorpus
import VoxgateRun

@testable import VoxgateOutputs

/// A language's manifests are read from its shards and written again only when its shards changed (issue 17's
/// per-language release files): a run that releases into one language leaves the other's manifest files as they
/// were (the same inodes), and the manifests kept and written equal those written from scratch from the same shards.
/// One changed or deleted outside voxgate is written again.
@Suite("Manifests written per language, only where shards changed", .serialized)
struct ManifestReuseTests {
    /// Inode of every file under `<out>/manifests/<language>/` (AtomicFile replaces a file by renaming: a new inode).
    static func inodes(_ out: String, _ language: String) -> [String: UInt64] {
        let root = out + "/manifests/" + language
        var found: [String: UInt64] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: root) ?? .init() {
            var st = stat()
            if stat(root + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { found[name] = UInt64(st.st_ino) }
        }
        return found
    }

    static func manifests(_ out: String) throws -> [String: Data] {
        try filesUnder(out).filter { $0.key.hasPrefix("manifests/") }
    }

    @Test func aRunThatReleasesIntoOneLanguageRewritesOnlyThatLanguagesManifests() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let de = Self.inodes(out, "de"), en = Self.inodes(out, "en")
        #expect(de.count >= 4 && en.count >= 4, "nemo, lhotse and huggingface files and the stamp: \(de.keys.sorted())")
        #expect(de[".shards"] != nil)

        // A new English clip: a new English shard; German's shards are as they were.
        _ = try CorpusFixture(clips: [("en/five.wav", 620, 1.6, ["-b", "16"])], into: corpus.root, firstIndex: 6)
        let (summary, _) = try await corpus.ingest(jobs: 2, output: out)
        #expect(summary.newShards == 1)
        #expect(Self.inodes(out, "de") == de, "German's manifests are left as they were")
        let enAfter = Self.inodes(out, "en")
        #expect(enAfter.keys.allSatisfy { en[$0] != enAfter[$0] }, "every English manifest file is written again")

        // What was kept and what was written equal manifests written from scratch from the same shards.
        let kept = try Self.manifests(out)
        try FileManager.default.removeItem(atPath: out + "/manifests")
        _ = try await corpus.ingest(jobs: 2, output: out)
        #expect(try Self.manifests(out) == kept, "every manifest written from scratch")

        // A German manifest edited and another deleted outside voxgate: the next run writes them again.
        let edited = try #require(de.keys.sorted().first { $0.hasSuffix(".json") && !$0.hasPrefix(".") })
        try TestSupport.write("{}", to: out + "/manifests/de/" + edited)
        _ = try await corpus.ingest(jobs: 2, output: out)
        #expect(try Self.manifests(out) == kept, "the edited file is written again")
        let deleted = try #require(de.keys.sorted().first { $0.hasSuffix(".gz") })
        unlink(out + "/manifests/de/" + deleted)
        _ = try await corpus.ingest(jobs: 2, output: out)
        #expect(try Self.manifests(out) == kept, "the deleted file is written again")
    }
}
