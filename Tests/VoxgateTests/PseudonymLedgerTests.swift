import Crypto
import Foundation
import GRDB
import Testing
import VoxgateCorpus
import VoxgatePipeline

@testable import VoxgateLedger
@testable import VoxgateOutputs
@testable import VoxgateRun

/// The ledger keeps a contributor's client_id only as the corpus's pseudonym: no raw id byte in the ledger
/// (free pages included) or any output, every speaker-keyed decision taken on the pseudonym, and ledgers made
/// before migrated once, with the same release after.
@Suite("Client ids only as pseudonyms")
struct PseudonymLedgerTests {
    /// What every raw client_id of these trees starts with: no other byte of a release can contain it.
    static let rawPrefix = "Zq8wRawClient-"

    /// The standard six clips (speakers 0, 1, 2), their ids spelled with ``rawPrefix``, and a second reading
    /// of clip 0's sentence by speaker 0 (a same-speaker-sentence duplicate).
    static func corpus() throws -> CorpusFixture {
        let corpus = try CorpusFixture.standard()
        _ = try CorpusFixture(clips: [("en/zz-again.wav", 777, 1.6, ["-b", "16"])], into: corpus.root, firstIndex: 0)
        for case let name as String in FileManager.default.enumerator(atPath: corpus.root)!
        where name.hasSuffix(".json") {
            let path = corpus.root + "/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try TestSupport.write(text.replacingOccurrences(of: "\"spk-", with: "\"" + rawPrefix), to: path)
        }
        return corpus
    }

    static func key(_ dir: String) throws -> String {
        let key = dir + "/speaker.key"
        try TestSupport.write(String(repeating: "4d", count: 32), to: key)
        return key
    }

    /// What three of these tests start from: ``corpus()``, a temporary folder holding ``key(_:)``, and the options
    /// of a run of the corpus into `<dir>/out` with that key.
    struct Setup {
        let corpus: CorpusFixture
        let dir: String
        let keyPath: String
        var options: IngestOptions
        var out: String { options.output }

        init() throws {
            corpus = try PseudonymLedgerTests.corpus()
            do {
                dir = try TestSupport.temporaryFolder("voxgate-pseudonyms")
                keyPath = try PseudonymLedgerTests.key(dir)
            } catch {
                corpus.remove()
                throw error
            }
            options = IngestOptions(
                root: corpus.root, output: dir + "/out", config: PipelineConfig(), jobs: 2, speakerKeyPath: keyPath)
        }

        func remove() {
            corpus.remove()
            TestSupport.remove(dir)
        }
    }

    /// Every file under `folder` (the ledger and everything beside it) that holds a raw client_id byte string.
    static func filesHoldingRawIDs(_ folder: String) -> [String] {
        var found: [String] = []
        for case let name as String in FileManager.default.enumerator(atPath: folder)! {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            if data.range(of: Data(rawPrefix.utf8)) != nil { found.append(name) }
        }
        return found.sorted()
    }

    static func decisions(_ out: String) throws -> [String: [String: Any]] {
        Dictionary(
            uniqueKeysWithValues: try TestSupport.jsonLines(out + "/decisions.jsonl").map {
                ($0["clip"] as! String, $0)
            })
    }

    /// The release files (no wall times, no private state).
    static func release(_ out: String) throws -> [String: Data] {
        try filesUnder(out).filter { $0.key != "run.json" && $0.key != "speaker.key" }
    }

    @Test func noRawClientIDReachesTheLedgerOrAnyOutputAndDecisionsWorkOnThePseudonym() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let (corpus, dir, keyPath, out) = (setup.corpus, setup.dir, setup.keyPath, setup.out)
        let speaker = try SpeakerPseudonym(keyPath: keyPath)
        var options = setup.options
        let first = try await Ingest.run(options)
        #expect(first.clips == 7 && first.accepted == 6)

        // Same-speaker-sentence duplicates, speaker counts and splits, on the pseudonym.
        #expect(try Self.decisions(out)["en/zz-again.wav"]?["duplicate_of"] as? String == "en/one.wav")
        let totals =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json")))
            as! [String: Any]
        #expect(totals["users"] as? Int == 3)
        let pseudonyms = Dictionary(uniqueKeysWithValues: (0..<3).map { (speaker(Self.rawPrefix + "\($0)"), $0) })
        let ledger = try Ledger(output: out)
        for record in try ledger.clips().values {
            let analysis = try ClipAnalysis(record: record)
            guard case .valid(let meta) = analysis.sidecar else {
                Issue.record("\(record.path) has no metadata"); continue
            }
            #expect(pseudonyms[meta.clientID] != nil, "\(record.path): \(meta.clientID)")
            #expect(
                meta.splitPoint
                    == speaker.unitInterval(purpose: "split", Self.rawPrefix + "\(pseudonyms[meta.clientID] ?? -1)"))
        }
        let manifests = try filesUnder(out).filter { $0.key.hasPrefix("splits/") }
        for (name, data) in manifests {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                let speakerColumn = String(line.split(separator: "\t")[3])
                #expect(pseudonyms[speakerColumn] != nil, "\(name): \(line)")
            }
        }

        // A withdrawal listed by raw id reaches the contributor's clips through the pseudonym; a changed sidecar
        // is read again and kept as the pseudonym too.
        options.withdraw = [Self.rawPrefix + "1"]
        let withdrawn = try await Ingest.run(options)
        #expect(withdrawn.decoded == 0 && withdrawn.withdrawnClips == 2)
        options.withdraw = []
        try TestSupport.write(
            TestSupport.sidecar(sentence: "sentence 3, read again", client: Self.rawPrefix + "0"),
            to: corpus.root + "/en/four.json")
        let reread = try await Ingest.run(options)
        #expect(reread.decoded == 0 && reread.accepted == 4)
        // A new clip of the withdrawn contributor stays out (the pseudonym's hash, recorded by the withdrawal).
        _ = try CorpusFixture(clips: [("de/drei.wav", 612, 1.3, ["-b", "16"])], into: corpus.root, firstIndex: 1)
        try TestSupport.write(
            TestSupport.sidecar(sentence: "sentence 1 again", client: Self.rawPrefix + "1"),
            to: corpus.root + "/de/drei.json")
        let again = try await Ingest.run(options)
        #expect(again.decoded == 1)
        #expect(try Self.decisions(out)["de/drei.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])

        // Partitions (the withdrawal given to one partition only) and their merge: the same key, the same
        // pseudonyms, the withdrawal reaches the other partition's clips, and no raw id anywhere.
        let n = try #require(
            (2...9).first { Partition.of("en/two.flac", count: $0) != Partition.of("de/eins.wav", count: $0) })
        var parts: [String] = []
        for i in 0..<n {
            var part = IngestOptions(
                root: corpus.root, output: dir + "/part-\(i)", config: PipelineConfig(), jobs: 2,
                speakerKeyPath: keyPath)
            part.partition = Partition(index: i, count: n)
            if Partition.of("en/two.flac", count: n) == i { part.withdraw = [Self.rawPrefix + "1"] }
            _ = try await Ingest.run(part)
            parts.append(part.output)
        }
        _ = try await Merge.run(
            MergeOptions(partitions: parts, output: dir + "/merged", jobs: 2, speakerKeyPath: keyPath))
        let merged = try Self.decisions(dir + "/merged")
        for clip in ["en/two.flac", "de/eins.wav", "de/drei.wav"] {
            #expect(merged[clip]?["reasons"] as? [String] == ["consent_withdrawn"], "\(clip)")
        }
        #expect(merged["en/zz-again.wav"]?["duplicate_of"] as? String == "en/one.wav")
        #expect(Self.filesHoldingRawIDs(dir) == [], "raw client_id bytes")
    }

    /// Rewrites `out`'s ledger as the voxgate before pseudonyms wrote it: schema v2, the raw id in every
    /// analysis (no split point), withdrawal hashes of raw ids.
    static func makeLegacy(_ out: String, speaker: SpeakerPseudonym, ids: [String]) throws {
        let raw = Dictionary(uniqueKeysWithValues: ids.map { (speaker($0), $0) })
        let db = try DatabaseQueue(path: out + "/" + Ledger.relativePath)
        try db.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT path, analysis FROM clip") {
                var analysis = try ClipAnalysis(ledgerJSON: row["analysis"])
                guard case .valid(var meta) = analysis.sidecar else { continue }
                meta.clientID = try #require(raw[meta.clientID])
                meta.splitPoint = nil
                analysis.sidecar = .valid(meta)
                try db.execute(
                    sql: "UPDATE clip SET analysis = ? WHERE path = ?",
                    arguments: [analysis.ledgerJSON(), row["path"] as String])
            }
            for id in ids {
                try db.execute(
                    sql: "UPDATE withdrawal SET speaker_hash = ? WHERE speaker_hash = ?",
                    arguments: [speaker.withdrawalHash(clientID: id), speaker.withdrawalHash(pseudonym: speaker(id))])
            }
            try db.execute(sql: "ALTER TABLE withdrawal DROP COLUMN hashed")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [Ledger.pseudonymStep])
        }
    }

    @Test func aLedgerMadeBeforePseudonymsIsMigratedOnceAndGivesTheSameRelease() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let (corpus, keyPath, out) = (setup.corpus, setup.keyPath, setup.out)
        let speaker = try SpeakerPseudonym(keyPath: keyPath)
        var options = setup.options
        options.withdraw = [Self.rawPrefix + "1"]  // once, on the command line: afterwards only the ledger knows
        _ = try await Ingest.run(options)
        options.withdraw = []
        let before = try Self.release(out)
        try Self.makeLegacy(out, speaker: speaker, ids: (0..<3).map { Self.rawPrefix + "\($0)" })
        #expect(Self.filesHoldingRawIDs(out) == [".voxgate/ledger.sqlite"])

        let migrated = try await Ingest.run(options)
        #expect(migrated.decoded == 0)
        let after = try Self.release(out)
        #expect(after.keys.sorted() == before.keys.sorted())
        for (path, bytes) in before { #expect(after[path] == bytes, "\(path) changed by the migration") }
        #expect(Self.filesHoldingRawIDs(out) == [], "raw client_id bytes after the migration")
        let ledger = try Ledger(output: out)
        #expect(try ledger.withdrawals().map(\.hashed) == [.clientID])
        // Migrated once: the next run is up to date.
        let next = try await Ingest.run(options)
        #expect(next.upToDate && next.decoded == 0)

        // The contributor withdrawn before pseudonyms uploads again: matched by the raw id as it is read.
        _ = try CorpusFixture(clips: [("de/drei.wav", 612, 1.3, ["-b", "16"])], into: corpus.root, firstIndex: 1)
        try TestSupport.write(
            TestSupport.sidecar(sentence: "sentence 1 again", client: Self.rawPrefix + "1"),
            to: corpus.root + "/de/drei.json")
        let reupload = try await Ingest.run(options)
        #expect(reupload.decoded == 1 && reupload.withdrawnClips == 1)
        #expect(try Self.decisions(out)["de/drei.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])
        #expect(try Set(ledger.withdrawals().map(\.hashed)) == [.clientID, .pseudonym])
        #expect(Self.filesHoldingRawIDs(out) == [])
    }

    @Test func aMigrationThatCannotFinishChangesNothing() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let (keyPath, out, options) = (setup.keyPath, setup.out, setup.options)
        _ = try await Ingest.run(options)
        try Self.makeLegacy(
            out, speaker: try SpeakerPseudonym(keyPath: keyPath), ids: (0..<3).map { Self.rawPrefix + "\($0)" })
        // The last record (in the order the step rewrites them) cannot be read: the step fails after rewriting
        // every other one, and must leave the ledger as it was.
        let db = try DatabaseQueue(path: out + "/" + Ledger.relativePath)
        try await db.write {
            try $0.execute(sql: "UPDATE clip SET analysis = '{' WHERE rowid = (SELECT max(rowid) FROM clip)")
        }
        try db.close()
        let ledgerBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + Ledger.relativePath))
        do {
            _ = try await Ingest.run(options)
            Issue.record("the run went on over a ledger it could not migrate")
        } catch let error as RunError {
            #expect(error.code == .ledgerUnusable)
            #expect(error.message.contains("cannot be read, so its client_id cannot be replaced"), "\(error.message)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + Ledger.relativePath)) == ledgerBytes)
    }

    @Test func partitionsMadeWithAnotherKeyAreNotMerged() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-pseudonyms")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        var parts: [String] = []
        for i in 0..<2 {  // each partition with the key its run made in its own folder
            var part = IngestOptions(root: corpus.root, output: dir + "/part-\(i)", config: PipelineConfig(), jobs: 1)
            part.partition = Partition(index: i, count: 2)
            _ = try await Ingest.run(part)
            parts.append(part.output)
        }
        do {
            _ = try await Merge.run(MergeOptions(partitions: parts, output: dir + "/merged", jobs: 1))
            Issue.record("merged partitions whose pseudonyms differ")
        } catch let error as RunError {
            #expect(error.message.contains("speaker key"), "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/merged/decisions.jsonl"))
    }
}

/// The merge's inputs read a window at a time: shard members found by reading headers forward (and by a full
/// index when asked out of order), partitions' clips merged in one path order.
@Suite("Streamed merge inputs")
struct StreamedMergeInputTests {
    @Test func shardMembersAreFoundInOrderAndOutOfOrderAlike() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        var config = PipelineConfig()
        config.shards.maxSamples = 3
        let (_, out) = try await corpus.ingest(jobs: 1, config: config)
        defer { TestSupport.remove(out) }
        let ledger = try Ledger(readingInput: out)
        var checked = 0
        for shard in try ledger.shards() {
            let path = out + "/" + shard.path
            let index = try TarIndex.audio(of: path)
            let keys = try ledger.clips(inShard: shard.path).compactMap(\.member)
            #expect(Set(keys) == Set(index.keys) && !keys.isEmpty)
            for order in [keys, keys.reversed()] {  // reversed: every lookup but the first is behind the position
                var members = ShardMembers()
                for key in order {
                    let m = try #require(try members.member(key, shard: path))
                    let want = try #require(index[key])
                    #expect(m.name == want.name && m.offset == want.offset && m.size == want.size && m.ext == want.ext)
                    checked += 1
                }
                var again = ShardMembers()
                #expect(try again.member("no-such-key", shard: path) == nil)
            }
        }
        #expect(checked == 12)  // six samples, each found in order and out of order
    }

    @Test func partitionsAreReadInOnePathOrderAWindowAtATime() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-merge-inputs")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try PseudonymLedgerTests.key(dir)
        var readers: [PartitionClips] = []
        for i in 0..<3 {
            var part = IngestOptions(
                root: corpus.root, output: dir + "/p\(i)", config: PipelineConfig(), jobs: 1, speakerKeyPath: key)
            part.partition = Partition(index: i, count: 3)
            _ = try await Ingest.run(part)
            readers.append(try PartitionClips(folder: part.output, marker: try PartitionMarker.read(part.output)))
        }
        var merged = try MergedClips(
            readers.map {
                var reader = $0.restarted(light: true)
                reader.windowSize = 1  // every clip its own query: the windows' seams are crossed at each step
                return reader
            })
        var paths: [String] = []
        var owners: [Int] = []
        while let (record, source) = try merged.next() {
            paths.append(record.path)
            owners.append(source)
        }
        let expected = ["de/eins.wav", "de/zwei.flac", "en/four.flac", "en/one.wav", "en/three.wav", "en/two.flac"]
        #expect(paths == expected)
        #expect(owners == expected.map { Partition.of($0, count: 3) })
    }
}
