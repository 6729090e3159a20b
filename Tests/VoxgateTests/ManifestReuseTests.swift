import Foundation
import Testing
import VoxgateCorpus
import VoxgatePipeline
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

/// Each shard's part of its language's manifests (`.voxgate/manifests/<tag>/<shard>.manifests`, ``ManifestPart``) is read
/// from the shard once and kept while the shard is unchanged: a nightly run reads only new and rewritten shards.
/// A part's inode is the observable: a part is written again (AtomicFile: a new inode) exactly when its shard was
/// read. A part that names a shard rewritten since, or was edited on disk, is never used: the manifests stay those
/// written from the shards themselves.
@Suite("Manifests put together from each shard's kept part", .serialized)
struct ManifestPartTests {
    /// Two clips a shard: English's four clips in two shards, German's two in one.
    static func config() -> PipelineConfig {
        var config = PipelineConfig()
        config.shards.maxSamples = 2
        return config
    }

    /// Inode of every kept part, by `<tag>/<shard file name>`.
    static func parts(_ out: String) -> [String: UInt64] {
        let root = out + "/" + ManifestPart.folder
        var found: [String: UInt64] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: root) ?? .init() {
            var st = stat()
            if stat(root + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { found[name] = UInt64(st.st_ino) }
        }
        return found
    }

    /// The manifests as they are written from scratch: without any kept part or stamp.
    static func fromScratch(_ corpus: CorpusFixture, _ out: String) async throws -> [String: Data] {
        let copy = try TestSupport.temporaryFolder("voxgate-scratch")
        defer { TestSupport.remove(copy) }
        try TestSupport.must("cp", ["-a", out + "/.", copy])
        try FileManager.default.removeItem(atPath: copy + "/manifests")
        try FileManager.default.removeItem(atPath: copy + "/" + ManifestPart.folder)
        _ = try await corpus.ingest(jobs: 2, config: config(), output: copy)
        #expect(parts(copy).count == parts(out).count)
        return try ManifestReuseTests.manifests(copy)
    }

    /// The manifest files of `language` written by the writer of all its samples at once (as before the parts).
    static func fromAllSamples(_ out: String, _ language: String) throws -> [String: Data] {
        let folder = out + "/shards/" + language
        let shards = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tar") }.map {
            ShardInfo(
                path: "shards/\(language)/\($0)", language: language, license: "", terms: "", samples: 0, bytes: 0)
        }
        let entries = try ReleaseEntries.read(output: out, shards: shards)
        let copy = try TestSupport.temporaryFolder("voxgate-entries")
        defer { TestSupport.remove(copy) }
        var written: Set<String> = []
        try ReleaseManifests.write(language, entries, into: copy, written: &written)
        return try filesUnder(copy + "/manifests/" + language)
    }

    /// A shard's samples as the manifests read them (``ReleaseEntries``): the fields of each sample's JSON, a sample
    /// in no split skipped, and a sample JSON that is not voxgate's (unreadable, a key given twice) refused with the
    /// shard and the remedy.
    @Test func sampleJSONIsReadStrictly() throws {
        let out = try TestSupport.temporaryFolder("voxgate-entries")
        defer { TestSupport.remove(out) }
        func shard(_ samples: [(String, String)]) throws -> ShardInfo {
            var bytes: [UInt8] = []
            for (key, json) in samples {
                for (name, content) in [(key + ".flac", Array("fLaC".utf8)), (key + ".json", Array(json.utf8))] {
                    bytes += Tar.header(name: name, size: content.count) + content + Tar.padding(content.count)
                }
            }
            try Data(bytes + Tar.trailer).write(to: URL(fileURLWithPath: out + "/shards/en/en-x.tar"))
            return ShardInfo(path: "shards/en/en-x.tar", language: "en", license: "", terms: "", samples: 0, bytes: 0)
        }
        try FileManager.default.createDirectory(atPath: out + "/shards/en", withIntermediateDirectories: true)
        let good = try shard([
            (
                "a_1",
                #"{"language": "en", "split": "dev", "sentence": "Gr\u00fc\u00dfe \"x\"", "speaker": "s1", "#
                    + #""duration_s": 1.25, "frames": 20000, "sample_rate": 16000, "channels": 1}"#
            ),
            ("b_2", #"{"split": null, "sentence": "not in a split"}"#),
            (
                "c_3",
                #"{"split": "train", "duration_s": 2, "frames": 96000, "sample_rate": 48000, "channels": 2, "#
                    + #""audio_frames": 32000, "audio_sample_rate": 16000, "audio_channels": 1}"#
            ),
        ])
        let entries = try ReleaseEntries.read(output: out, shards: [good])
        #expect(entries.map(\.key) == ["a_1", "c_3"])
        #expect(entries.map(\.audioMember) == ["a_1.flac", "c_3.flac"])
        #expect(entries[0].text == "Grüße \"x\"" && entries[0].speaker == "s1" && entries[0].split == "dev")
        #expect(entries[0].durationSeconds == 1.25 && entries[0].frames == 20000 && entries[0].sampleRate == 16000)
        #expect(entries[1].language == "en" && entries[1].text == "" && entries[1].durationSeconds == 2)
        #expect(entries[1].frames == 32000 && entries[1].sampleRate == 16000 && entries[1].channels == 1)
        for json in [#"{"split": "dev", "split": "test"}"#, #"{"split": "dev""#, #"["dev"]"#] {
            let bad = try shard([("a_1", #"{"split": "dev"}"#), ("z_9", json)])
            do {
                _ = try ReleaseEntries.read(output: out, shards: [bad])
                Issue.record("\(json) read")
            } catch {
                #expect(error.message.contains("sample 'z_9' in shard") && error.message.contains("restore it"))
            }
        }
    }

    @Test func aNightlyRunReadsOnlyNewAndRewrittenShardsAndNeverAStalePart() async throws {
        let corpus = try CorpusFixture.standard()  // spk-1 recorded en/two.flac and de/eins.wav
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2, config: Self.config())
        defer { TestSupport.remove(out) }
        let first = Self.parts(out)
        #expect(first.keys.sorted().map { $0.prefix(3) } == ["de/", "en/", "en/"], "\(first.keys.sorted())")
        for language in ["de", "en"] {
            let assembled = try filesUnder(out + "/manifests/" + language).filter { !$0.key.hasPrefix(".") }
            #expect(
                assembled == (try Self.fromAllSamples(out, language)), "\(language): the same bytes as before parts")
        }

        // A new English clip: one new shard read; every other part kept as it was.
        _ = try CorpusFixture(clips: [("en/five.wav", 620, 1.6, ["-b", "16"])], into: corpus.root, firstIndex: 6)
        _ = try await corpus.ingest(jobs: 2, config: Self.config(), output: out)
        let second = Self.parts(out)
        #expect(second.count == 4)
        #expect(first.allSatisfy { second[$0.key] == $0.value }, "no part of an unchanged shard is made again")
        let scratch = try await Self.fromScratch(corpus, out)
        #expect(try ManifestReuseTests.manifests(out) == scratch, "the manifests written from scratch")

        // spk-1 withdrawn: English's first shard and German's shard are rewritten (their parts made again, without
        // the withdrawn samples); English's second shard and the new one are not read.
        let decisions = try LedgerTests.decisions(out)
        let withdrawn = try ["en/two.flac", "de/eins.wav"].map { try #require(decisions[$0]?["key"] as? String) }
        var options = LedgerTests.options(corpus, out, config: Self.config())
        options.withdraw = ["spk-1"]
        _ = try await Ingest.run(options)
        let third = Self.parts(out)
        let remade = Set(third.keys.filter { second[$0] != third[$0] })
        #expect(remade.count == 2 && remade.contains { $0.hasPrefix("de/") }, "\(remade.sorted())")
        let manifests = try ManifestReuseTests.manifests(out)
        for (name, data) in manifests where name.hasSuffix(".json") {
            for key in withdrawn { #expect(!String(decoding: data, as: UTF8.self).contains(key), "\(key) in \(name)") }
        }
        let scratchAfter = try await Self.fromScratch(corpus, out)  // the ledger keeps the withdrawal
        #expect(manifests == scratchAfter, "the manifests written from scratch after the withdrawal")
        for language in ["de", "en"] {
            let assembled = try filesUnder(out + "/manifests/" + language).filter { !$0.key.hasPrefix(".") }
            #expect(assembled == (try Self.fromAllSamples(out, language)), "\(language) after the withdrawal")
        }
    }

    @Test func aPartEditedOnDiskIsMadeAgainFromItsShard() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2, config: Self.config())
        defer { TestSupport.remove(out) }
        let kept = try ManifestReuseTests.manifests(out)
        let before = Self.parts(out)

        // A sentence changed in an English part (same length), and English's stamp removed so its manifests are
        // put together again from the parts.
        let name = try #require(before.keys.sorted().first { $0.hasPrefix("en/") })
        let path = out + "/" + ManifestPart.folder + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let sentence = try #require(text.range(of: "sentence "))
        try TestSupport.write(text.replacingCharacters(in: sentence, with: "SENTENCE "), to: path)
        let edited = try #require(Self.parts(out)[name])
        unlink(out + "/manifests/en/.shards")
        _ = try await corpus.ingest(jobs: 2, config: Self.config(), output: out)
        #expect(try ManifestReuseTests.manifests(out) == kept, "the manifests are those of the shards")
        let after = Self.parts(out)
        #expect(after[name] != edited, "the edited part is made again")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(before.filter { $0.key != name }.allSatisfy { after[$0.key] == $0.value }, "the others are kept")

        // A part deleted, and one left by a shard no longer released: made again, and removed.
        unlink(path)
        try TestSupport.write("stale", to: out + "/" + ManifestPart.folder + "/en/en-gone-000009.tar.manifests")
        unlink(out + "/manifests/en/.shards")
        _ = try await corpus.ingest(jobs: 2, config: Self.config(), output: out)
        #expect(try ManifestReuseTests.manifests(out) == kept)
        #expect(Set(Self.parts(out).keys) == Set(before.keys))
    }

    /// `ReleaseManifests.write` itself: with every part kept it reads no shard; a part missing costs one shard.
    @Test func writingCountsTheShardsItReads() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2, config: Self.config())
        defer { TestSupport.remove(out) }
        var shards: [ShardInfo] = []
        for language in ["de", "en"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: out + "/shards/" + language).sorted()
            where name.hasSuffix(".tar") {
                let path = "shards/\(language)/\(name)"
                let bytes = try #require(
                    try FileManager.default.attributesOfItem(atPath: out + "/" + path)[.size] as? NSNumber)
                shards.append(
                    ShardInfo(
                        path: path, language: language, license: "", terms: "", samples: 0, bytes: bytes.intValue,
                        sha256: try #require(FileDigest.sha256(path: out + "/" + path))))
            }
        }
        #expect(shards.count == 3)
        let files = { try ManifestReuseTests.manifests(out).filter { !$0.key.hasSuffix("/.shards") } }
        let kept = try files()
        // The stamps name 0 samples a shard (not the ledger's): every language is put together again, from its parts.
        #expect(try await ReleaseManifests.write(into: out, shards: shards) == .init(read: 0, kept: 3))
        #expect(try files() == kept)
        unlink(ManifestPart.path(of: shards[1], in: out))
        unlink(out + "/manifests/en/.shards")
        #expect(try await ReleaseManifests.write(into: out, shards: shards) == .init(read: 1, kept: 1))
        #expect(try files() == kept)
        #expect(FileManager.default.fileExists(atPath: ManifestPart.path(of: shards[1], in: out)))
    }

    /// The gzip written piece by piece is the one written at once, whatever the pieces and however many blocks.
    @Test func gzipWrittenInPiecesEqualsGzipWrittenAtOnce() throws {
        let folder = try TestSupport.temporaryFolder("voxgate-gzip")
        defer { TestSupport.remove(folder) }
        for size in [0, 1, 65_534, 65_535, 65_536, 131_070, 131_071, 200_003] {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
            let file = try GzipStoredFile(path: folder + "/\(size).gz")
            var offset = 0
            while offset < size {
                let n = min(size - offset, 1 + (offset &* 7_919 &+ size) % 70_000)  // pieces of 1 to 70,000 bytes
                try file.append(data[offset..<offset + n])
                offset += n
            }
            let path = try file.commit()
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(Gzip.stored(data)), "\(size) bytes")
        }
    }
}
