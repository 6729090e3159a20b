import Foundation
import Testing
import VoxgateCorpus
import VoxgateLedger

@testable import VoxgateOutputs
@testable import VoxgateRun

/// Partitioned runs and their merge: the merged release is byte-identical to a single run over the tree.
@Suite("Partitions and merge")
struct MergeTests {
    /// Twelve clips in three languages, with every kind of duplicate across folders: an exact copy, a
    /// re-encoded copy (near-duplicate), the same speaker reading the same sentence twice; a sentence read
    /// by speakers of different splits; and a withdrawn contributor.
    /// A copy's name that lands in another partition than `original` for every N the tests use.
    static func spanning(_ original: String, _ stem: String, _ ext: String) -> String {
        (0...).lazy.map { "\(stem)-\($0).\(ext)" }.first { name in
            [2, 3, 7].allSatisfy { Partition.of(name, count: $0) != Partition.of(original, count: $0) }
        }!
    }

    static let exactCopy = spanning("en/c00.wav", "fr/copy-of-c00", "wav")
    static let reencoded = spanning("de/c01.wav", "en/reencoded-c01", "mp3")
    static let sameReading = spanning("en/c00.wav", "en/zz-again", "wav")

    static func corpus() throws -> CorpusFixture {
        let languages = ["en", "de", "fr"]
        var clips: [(path: String, hz: Int, seconds: Double, args: [String])] = []
        for i in 0..<12 {
            let name = "\(languages[i % 3])/c" + String(format: "%02d", i) + ".wav"
            clips.append((name, 300 + 37 * i, 1.5 + 0.1 * Double(i), ["-b", "16"]))
        }
        let corpus = try CorpusFixture(clips: clips)
        let root = corpus.root
        func sidecar(_ clip: String) -> String { root + "/" + (clip as NSString).deletingPathExtension + ".json" }
        try FileManager.default.copyItem(atPath: root + "/en/c00.wav", toPath: root + "/" + exactCopy)
        try TestSupport.write(TestSupport.sidecar(sentence: "a copy", client: "spk-9"), to: sidecar(exactCopy))
        try TestSupport.must("sox", [root + "/de/c01.wav", "-C", "64", root + "/" + reencoded])
        try TestSupport.write(TestSupport.sidecar(sentence: "re-encoded", client: "spk-8"), to: sidecar(reencoded))
        // spk-0 recorded "sentence 0" as en/c00; again as en/zz-again.
        _ = try CorpusFixture(clips: [(sameReading, 777, 1.7, ["-b", "16"])], into: root, firstIndex: 0)
        try TestSupport.write("spk-2\n", to: root + "/withdrawals.txt")
        return corpus
    }

    static func key(_ dir: String) throws -> String {
        let key = dir + "/speaker.key"
        try TestSupport.write(String(repeating: "3c", count: 32), to: key)
        return key
    }

    /// The release files (no wall times, no private state).
    static func release(_ out: String) throws -> [String: Data] {
        try filesUnder(out).filter { $0.key != "run.json" && $0.key != "speaker.key" }
    }

    @Test(arguments: [1, 2, 3, 7])
    func mergedPartitionsEqualASingleRun(partitions n: Int) async throws {
        let corpus = try Self.corpus()
        let dir = try TestSupport.temporaryFolder("voxgate-merge")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try Self.key(dir)
        var config = PipelineConfig()
        config.shards.maxSamples = 2
        let single = try await Ingest.run(
            IngestOptions(root: corpus.root, output: dir + "/single", config: config, jobs: 2, speakerKeyPath: key))
        let decisions = try TestSupport.jsonLines(dir + "/single/decisions.jsonl")
        let duplicates = Dictionary(
            uniqueKeysWithValues: decisions.compactMap { d in
                (d["duplicate_of"] as? String).map { (d["clip"] as! String, $0) }
            })
        #expect(
            duplicates == [Self.exactCopy: "en/c00.wav", Self.reencoded: "de/c01.wav", Self.sameReading: "en/c00.wav"])
        var parts: [String] = []
        for i in (0..<n).reversed() {  // any order
            var options = IngestOptions(
                root: corpus.root, output: dir + "/part-\(i)", config: config, jobs: 2, speakerKeyPath: key)
            options.partition = Partition(index: i, count: n)
            _ = try await Ingest.run(options)
            #expect(FileManager.default.fileExists(atPath: dir + "/part-\(i)/" + PartitionMarker.fileName))
            parts.append(dir + "/part-\(i)")
        }
        let merged = try await Merge.run(
            MergeOptions(partitions: parts, output: dir + "/merged", jobs: 2, speakerKeyPath: key))
        #expect(merged.decoded == 0 && merged.clips == single.clips)
        let expected = try Self.release(dir + "/single")
        let got = try Self.release(dir + "/merged")
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from the single run (N = \(n))") }
    }

    @Test func duplicatesOfTheCorpusLandInDifferentPartitions() {
        // The merge test above is only meaningful if the copies and their originals are split up.
        let pairs = [("en/c00.wav", Self.exactCopy), ("de/c01.wav", Self.reencoded), ("en/c00.wav", Self.sameReading)]
        for n in [2, 3, 7] {
            #expect(pairs.allSatisfy { Partition.of($0.0, count: n) != Partition.of($0.1, count: n) }, "N = \(n)")
        }
    }

    @Test func partitionsAreBalancedAndFewClipsMoveWhenNChanges() {
        let clips = (0..<20_000).map { "xx/clip-\($0).mp3" }
        let counts = Dictionary(grouping: clips) { Partition.of($0, count: 8) }.mapValues(\.count)
        #expect(counts.count == 8)
        #expect(counts.values.allSatisfy { abs($0 - 2_500) < 200 }, "\(counts)")
        let moved = clips.filter { Partition.of($0, count: 8) != Partition.of($0, count: 9) }.count
        #expect(abs(Double(moved) / 20_000 - 1.0 / 9) < 0.01)  // only the ninth that must move
        #expect(
            clips.allSatisfy {
                Partition.of($0, count: 9) == Partition.of($0, count: 8) || Partition.of($0, count: 9) == 8
            })
    }

    @Test func theClusterSaysWhichPartition() throws {
        let slurm = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"]
        #expect(
            try Partition.resolve(partition: "env", partitions: nil, environment: slurm).get()
                == Partition(index: 3, count: 8))
        let k8s = ["JOB_COMPLETION_INDEX": "5"]
        #expect(
            try Partition.resolve(partition: nil, partitions: 6, environment: k8s).get()
                == Partition(index: 5, count: 6))
        #expect(
            try Partition.resolve(partition: "2/4", partitions: nil, environment: [:]).get()
                == Partition(index: 2, count: 4))
        #expect(try Partition.resolve(partition: nil, partitions: nil, environment: slurm).get() == nil)
        for (p, n, env) in [
            ("4/4", nil, [:]), ("env", nil, [:]), (nil, 6, ["JOB_COMPLETION_INDEX": "6"]), ("1/3", 4, [:]),
        ]
            as [(String?, Int?, [String: String])]
        {
            guard case .failure(let e) = Partition.resolve(partition: p, partitions: n, environment: env) else {
                Issue.record("\(String(describing: p)) \(String(describing: n)) \(env) was accepted")
                continue
            }
            #expect(!e.message.isEmpty)
        }
    }

    @Test func anIncompleteOrMismatchedSetIsRefused() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-merge")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try Self.key(dir)
        func part(_ i: Int, of n: Int, config: PipelineConfig = PipelineConfig()) async throws -> String {
            var options = IngestOptions(
                root: corpus.root, output: dir + "/p\(i)of\(n)", config: config, jobs: 1, speakerKeyPath: key)
            options.partition = Partition(index: i, count: n)
            _ = try await Ingest.run(options)
            return options.output
        }
        let a = try await part(0, of: 2)
        func refused(_ parts: [String], saying text: String) async {
            do {
                _ = try await Merge.run(
                    MergeOptions(partitions: parts, output: dir + "/merged", jobs: 1, speakerKeyPath: key))
                Issue.record("merged \(parts)")
            } catch let error as RunError {
                #expect(error.message.contains(text), "\(error.message)")
            } catch { Issue.record("\(error)") }
        }
        await refused([a], saying: "1/2 missing")
        var stricter = PipelineConfig()
        stricter.checks.minSNRDB = 20
        await refused([a, try await part(1, of: 2, config: stricter)], saying: "pipeline configuration")
        await refused([a, try await part(1, of: 3)], saying: "partition count")
        // A partition killed or failing leaves no marker: the merge names it.
        let b = try await part(1, of: 2)
        try FileManager.default.removeItem(atPath: b + "/" + PartitionMarker.fileName)
        await refused([a, b], saying: "has not completed")
        #expect(!FileManager.default.fileExists(atPath: dir + "/merged/decisions.jsonl"))
    }

    @Test func clipsThatMoveToAnotherPartitionLeaveTheOldOne() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-merge")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try Self.key(dir)
        var options = IngestOptions(
            root: corpus.root, output: dir + "/p0", config: PipelineConfig(), jobs: 1, speakerKeyPath: key)
        options.partition = Partition(index: 0, count: 1)
        let all = try await Ingest.run(options)
        #expect(all.clips == 6)
        options.partition = Partition(index: 0, count: 3)  // the cluster grew
        let shrunk = try await Ingest.run(options)
        let stay = ["en/one.wav", "en/two.flac", "en/three.wav", "en/four.flac", "de/eins.wav", "de/zwei.flac"]
            .filter { Partition.of($0, count: 3) == 0 }
        #expect(shrunk.clips == stay.count && shrunk.decoded == 0)
        #expect(try Ledger(output: dir + "/p0").clips().keys.sorted() == stay.sorted())
        let samples = try ShardReader.read(output: dir + "/p0").samples
        #expect(Set(samples.keys) == Set(stay))
    }
}
