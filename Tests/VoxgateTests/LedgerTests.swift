import Crypto
import Foundation
import GRDB
import Testing
import VoxgateCorpus
import VoxgateLedger
import VoxgateReport

@testable import VoxgateOutputs
@testable import VoxgateRun

/// The ledger: incremental runs, re-decisions without decoding, withdrawals that reach every shard, and
/// output folders in a bad state.
@Suite("Ledger and incremental runs")
struct LedgerTests {
    static func options(_ corpus: CorpusFixture, _ out: String, config: PipelineConfig = PipelineConfig())
        -> IngestOptions
    {
        let key = corpus.root + "/../voxgate-test-speaker.key"
        if !FileManager.default.fileExists(atPath: key) {
            try? TestSupport.write(String(repeating: "ab", count: 32), to: key)
        }
        return IngestOptions(root: corpus.root, output: out, config: config, jobs: 2, speakerKeyPath: key)
    }

    /// Member names of a shard, as GNU tar lists them.
    static func members(_ shard: String) throws -> [String] {
        try TestSupport.must("tar", ["-tf", shard]).split(separator: "\n").map(String.init)
    }

    /// Runs SQL on an output folder's ledger, as another program would.
    static func execute(_ sql: String, ledgerOf out: String) throws {
        let db = try DatabaseQueue(path: out + "/" + Ledger.relativePath)
        try db.write { try $0.execute(sql: sql) }
    }

    static func sha256(_ path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    static func decisions(_ out: String) throws -> [String: [String: Any]] {
        Dictionary(
            uniqueKeysWithValues: try TestSupport.jsonLines(out + "/decisions.jsonl").map {
                ($0["clip"] as! String, $0)
            })
    }

    @Test func newClipsAreAddedInNewShardsAndReleasedShardsStayAsTheyWere() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        let first = try await Ingest.run(Self.options(corpus, out))
        #expect(first.accepted == 6)
        let released = try filesUnder(out).filter { $0.key.hasSuffix(".tar") }

        // The next night: one new clip.
        _ = try CorpusFixture(clips: [("en/five.wav", 600, 1.3, ["-b", "16"])], into: corpus.root, firstIndex: 6)
        let second = try await Ingest.run(Self.options(corpus, out))
        #expect(second.decoded == 1 && second.reused == 6)
        #expect(second.newShards == 1 && second.rewrittenShards == 0)
        #expect(second.accepted == 7 && second.clips == 7)
        let now = try filesUnder(out).filter { $0.key.hasSuffix(".tar") }
        for (path, bytes) in released { #expect(now[path] == bytes, "\(path) changed") }
        #expect(Set(now.keys).subtracting(released.keys) == ["shards/en/en-CC0-1.0-000001.tar"])
        #expect(try Self.members(out + "/shards/en/en-CC0-1.0-000001.tar").count == 2)
        // Decisions and totals cover every clip, exactly once.
        let decisions = try Self.decisions(out)
        #expect(decisions.count == 7)
        #expect(decisions["en/five.wav"]?["shard"] as? String == "shards/en/en-CC0-1.0-000001.tar")
        let totals =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json")))
            as! [String: Any]
        let en = try #require((totals["locales"] as? [String: Any])?["en"] as? [String: Any])
        #expect(en["clips"] as? Int == 5 && en["accepted"] as? Int == 5)

        // The ledger holds every run and every shard with the SHA-256 of its file.
        let ledger = try Ledger(output: out)
        #expect(try ledger.runs().map(\.decoded) == [6, 1])
        for shard in try ledger.shards() { #expect(shard.sha256 == (try Self.sha256(out + "/" + shard.path))) }
        #expect(try ledger.pendingFiles().isEmpty)
    }

    @Test func aRunWithNothingNewLeavesTheReleaseUntouchedAndAChangedSidecarIsReadAgain() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        let first = try await Ingest.run(Self.options(corpus, out))
        let decisions = out + "/decisions.jsonl"
        let stamp = try FileManager.default.attributesOfItem(atPath: decisions)[.modificationDate] as! Date
        let again = try await Ingest.run(Self.options(corpus, out))
        #expect(again.notes.contains { $0.contains("up to date") })
        #expect(again.accepted == first.accepted && again.clips == first.clips)
        #expect(again.languages.map(\.tag) == first.languages.map(\.tag))
        #expect(zip(again.languages, first.languages).allSatisfy { abs($0.acceptedHours - $1.acceptedHours) < 1e-9 })
        #expect(try FileManager.default.attributesOfItem(atPath: decisions)[.modificationDate] as! Date == stamp)
        #expect(try Ledger(output: out).runs().count == 2)

        // A contributor edits a sidecar (consent withdrawn in the file itself): read again, not decoded.
        try TestSupport.write(
            #"{"sentence": "sentence 0", "client_id": "spk-0", "consent": false, "license": "CC0-1.0"}"#,
            to: corpus.root + "/en/one.json")
        let edited = try await Ingest.run(Self.options(corpus, out))
        #expect(edited.decoded == 0 && edited.accepted == first.accepted - 1 && edited.rewrittenShards == 1)
        #expect(try Self.decisions(out)["en/one.wav"]?["reasons"] as? [String] == ["no_consent"])
    }

    @Test func newThresholdsReDecideFromStoredMetricsWithoutDecoding() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        var stricter = PipelineConfig()
        // one.wav (1.5 s), three.wav (1.2 s), eins.wav (1.4 s) are now too short
        stricter.checks.minDurationSeconds = 1.6
        let second = try await Ingest.run(Self.options(corpus, out, config: stricter))
        #expect(second.decoded == 0)
        #expect(second.accepted == 3)
        #expect(second.rewrittenShards == 2 && second.newShards == 0)
        let decisions = try Self.decisions(out)
        #expect(decisions["en/one.wav"]?["reasons"] as? [String] == ["too_short"])
        #expect(decisions["en/one.wav"]?["shard"] is NSNull)
        let en = try Self.members(out + "/shards/en/en-CC0-1.0-000000.tar")
        #expect(en.count == 4 && !en.contains { $0.hasPrefix("one_") || $0.hasPrefix("three_") })

        // Back to the defaults: the clips are accepted again, and released in a new shard (sealed shards are
        // never appended to).
        let third = try await Ingest.run(Self.options(corpus, out))
        #expect(third.decoded == 0 && third.accepted == 6 && third.newShards == 2)
    }

    @Test func aWithdrawalRemovesEveryClipOfTheContributorFromEveryShard() async throws {
        // Speaker spk-1 recorded two.flac and eins.wav: two languages, two shards.
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        let before = try Self.decisions(out)
        let affected = ["en/two.flac", "de/eins.wav"]
        let keys = try affected.map { try #require(before[$0]?["key"] as? String) }

        var options = Self.options(corpus, out)
        options.withdraw = ["spk-1"]
        let run = try await Ingest.run(options)
        #expect(run.decoded == 0 && run.withdrawnClips == 2 && run.rewrittenShards == 2)
        #expect(run.accepted == 4)

        // Gone from every shard, read back with GNU tar and with Python's webdataset.
        for shard in try filesUnder(out).keys where shard.hasSuffix(".tar") {
            let names = try Self.members(out + "/" + shard)
            for key in keys { #expect(!names.contains { $0.hasPrefix(key + ".") }, "\(key) still in \(shard)") }
        }
        let samples = try ShardReader.read(output: out).samples
        #expect(Set(samples.keys) == Set(before.keys).subtracting(affected))
        // Decisions, totals and the split manifests agree.
        let after = try Self.decisions(out)
        for clip in affected {
            #expect(after[clip]?["reasons"] as? [String] == ["consent_withdrawn"])
            #expect(after[clip]?["shard"] is NSNull)
        }
        let splits = try filesUnder(out).filter { $0.key.hasPrefix("splits/") }.values
            .map { String(decoding: $0, as: UTF8.self) }.joined()
        for clip in affected { #expect(!splits.contains(clip)) }
        // The audit record: when, how many clips, which shards, and no raw client_id anywhere in the ledger.
        let ledger = try Ledger(output: out)
        let audit = try ledger.withdrawals()
        #expect(audit.count == 1)
        #expect(audit.first?.clips == 2)
        #expect(audit.first?.shards == #"["shards/de/de-CC0-1.0-000000.tar","shards/en/en-CC0-1.0-000000.tar"]"#)
        for shard in try ledger.shards() { #expect(shard.sha256 == (try Self.sha256(out + "/" + shard.path))) }
        let raw = try Data(contentsOf: URL(fileURLWithPath: out + "/" + Ledger.relativePath))
        #expect(raw.range(of: Data("spk-1".utf8)) == nil)

        // The report lists the clips as withdrawn, with neither their sentence nor a player.
        _ = try Report.write(output: out)
        let pages = try filesUnder(out).filter { $0.key.hasPrefix("report/") && $0.key.hasSuffix(".html") }
            .values.map { String(decoding: $0, as: UTF8.self) }.joined()
        for clip in affected {
            let row = try #require(pages.components(separatedBy: "<tr>").first { $0.contains(">\(clip)</th>") })
            #expect(row.contains("consent_withdrawn") && row.contains("withdrawn: not played"))
            #expect(!row.contains("<audio") && !row.contains("sentence "), "\(row)")
        }

        // The withdrawal is permanent: the next run without --withdraw keeps the clips out.
        let later = try await Ingest.run(Self.options(corpus, out))
        #expect(later.accepted == 4 && later.withdrawnClips == 0 && later.rewrittenShards == 0)
        // Even when the contributor uploads again.
        _ = try CorpusFixture(clips: [("en/again.wav", 610, 1.3, ["-b", "16"])], into: corpus.root, firstIndex: 1)
        let reupload = try await Ingest.run(Self.options(corpus, out))
        #expect(reupload.decoded == 1 && reupload.accepted == 4)
        #expect(try Self.decisions(out)["en/again.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])
    }

    @Test func aDeletedUploadKeepsItsPlaceAndCannotBeReleasedLater() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        var strict = PipelineConfig()
        strict.checks.minDurationSeconds = 1.6  // one.wav (1.5 s) is too short
        _ = try await Ingest.run(Self.options(corpus, out, config: strict))
        // Both uploads leave the upload folder: an accepted one (two.flac) and a rejected one (one.wav).
        for name in ["en/one.wav", "en/one.json", "en/two.flac", "en/two.json"] {
            try FileManager.default.removeItem(atPath: corpus.root + "/" + name)
        }
        // With the default thresholds one.wav would be accepted, but its file is gone: a clear finding, and
        // the run goes on; two.flac stays released.
        let run = try await Ingest.run(Self.options(corpus, out))
        #expect(run.clips == 6 && run.decoded == 0)
        let decisions = try Self.decisions(out)
        #expect(decisions["en/one.wav"]?["reasons"] as? [String] == ["decode_error"])
        #expect((decisions["en/one.wav"]?["detail"] as? String)?.contains("no longer in the upload folder") == true)
        #expect(decisions["en/two.flac"]?["status"] as? String == "accepted")
        #expect(decisions["en/two.flac"]?["shard"] as? String == "shards/en/en-CC0-1.0-000000.tar")
    }

    @Test func aChangedClipIsDecodedAgainAndItsOldSampleLeavesItsShard() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        // The same path, new audio (a second longer): the old sample is removed, the new one released anew.
        _ = try CorpusFixture(clips: [("en/one.wav", 300, 2.5, ["-b", "16"])], into: corpus.root, firstIndex: 0)
        let run = try await Ingest.run(Self.options(corpus, out))
        #expect(run.decoded == 1 && run.rewrittenShards == 1 && run.newShards == 1)
        let one = try Self.decisions(out)["en/one.wav"]!
        #expect((one["duration_s"] as! Double) > 2.4)
        #expect(one["shard"] as? String == "shards/en/en-CC0-1.0-000001.tar")
        let samples = try ShardReader.read(output: out).samples
        #expect(samples.count == 6)
        #expect(Double(samples["en/one.wav"]!.frames) / 16000 > 2.4)
    }

    @Test func aLedgerFromANewerVoxgateIsRefusedAndNothingChanges() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        try Self.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')", ledgerOf: out)
        let before = try filesUnder(out)
        do {
            _ = try await Ingest.run(Self.options(corpus, out))
            Issue.record("a newer ledger was used")
        } catch let error as RunError {
            #expect(error.code == .ledgerUnusable)
            #expect(error.message.contains("newer voxgate") && error.message.contains("v9-from-the-future"))
        }
        #expect(try filesUnder(out) == before)
    }

    @Test func aCorruptLedgerIsRefusedAndNothingChanges() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        try TestSupport.write(String(repeating: "not a database ", count: 400), to: out + "/" + Ledger.relativePath)
        let before = try filesUnder(out)
        do {
            _ = try await Ingest.run(Self.options(corpus, out))
            Issue.record("a corrupt ledger was used")
        } catch let error as RunError {
            #expect(error.code == .ledgerUnusable)
            #expect(error.message.contains("cannot be read") && error.message.contains("--force"), "\(error.message)")
        }
        #expect(try filesUnder(out) == before)
    }

    @Test func aFolderThatIsNotVoxgatesIsRefused() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        try TestSupport.write("my thesis", to: out + "/thesis.tex")
        do {
            _ = try await Ingest.run(Self.options(corpus, out))
            Issue.record("a foreign folder was used")
        } catch let error as RunError {
            #expect(error.code == .ledgerUnusable)
            #expect(error.message.contains("not a voxgate output folder") && error.message.contains("thesis.tex"))
        }
        #expect(try filesUnder(out).keys.sorted() == ["thesis.tex"])
    }

    @Test func aReleasedShardChangedOutsideVoxgateIsReported() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(Self.options(corpus, out))
        try FileManager.default.removeItem(atPath: out + "/shards/de/de-CC0-1.0-000000.tar")
        do {
            _ = try await Ingest.run(Self.options(corpus, out))
            Issue.record("a missing shard went unnoticed")
        } catch let error as RunError {
            #expect(error.code == .ledgerUnusable)
            #expect(error.message.contains("de-CC0-1.0-000000.tar") && error.message.contains("missing"))
        }
    }

    @Test(.enabled(if: Prerequisite.tmpfsMount.runs, Prerequisite.tmpfsMount.comment))
    func aFullDiskStopsTheRunAndLeavesTheReleaseAsItWas() async throws {
        try Prerequisite.tmpfsMount.require()
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let mount = try TestSupport.temporaryFolder("voxgate-full")
        defer { TestSupport.remove(mount) }
        let mounted = try TestSupport.run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount])
        try #require(mounted.status == 0, "mount: \(mounted.error)")
        defer { _ = try? TestSupport.run("umount", [mount]) }
        let out = mount + "/out"
        _ = try await Ingest.run(Self.options(corpus, out))
        let before = try filesUnder(out)
        // The disk fills up (another program's file); the next night brings a new clip.
        let filler = mount + "/filler"
        _ = try TestSupport.run("dd", ["if=/dev/zero", "of=" + filler, "bs=4k"])
        _ = try CorpusFixture(clips: [("en/five.wav", 600, 3.0, ["-b", "16"])], into: corpus.root, firstIndex: 6)
        do {
            _ = try await Ingest.run(Self.options(corpus, out))
            Issue.record("the run went on with a full disk")
        } catch let error as RunError {
            #expect(error.code == .outputUnusable)
            #expect(
                error.message.contains("No space left on device") && error.message.contains("free space"),
                "\(error.message)")
        }
        #expect(try filesUnder(out) == before)
        #expect(try Ledger(output: out).runs().count == 1)
        // Space again: the run completes.
        try FileManager.default.removeItem(atPath: filler)
        let again = try await Ingest.run(Self.options(corpus, out))
        #expect(again.decoded == 1 && again.clips == 7)
    }
}
