import Crypto
import Foundation
import Synchronization
import Testing
import VoxgateCorpus
import VoxgateLedger
import VoxgatePipeline

@testable import VoxgateOutputs
@testable import VoxgateRun

/// Issue 23: partition folders, earlier outputs and operator-named files are inputs too. Each test gives
/// one damaged or hostile input, and asserts the exit code, the reason, and that nothing was published
/// or modified.
@Suite("Inputs voxgate did not write are verified, never trusted or modified", .serialized)
struct InputTrustTests {
    /// sha256 and mode of every file and folder under `dir` (the lock excepted).
    static func snapshot(_ dir: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        for case let relative as String in fm.enumerator(atPath: dir)! where relative != RunLock.fileName {
            var st = stat()
            #expect(lstat(dir + "/" + relative, &st) == 0)
            let mode = String(st.st_mode, radix: 8)
            if (st.st_mode & S_IFMT) == S_IFREG {
                let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + relative))
                result[relative] = mode + " " + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            } else {
                result[relative] = mode
            }
        }
        return result
    }

    static func cli(_ args: [String]) throws -> TestSupport.ToolResult { try CLITests().voxgate(args) }

    /// Two completed partitions of the standard corpus, a key, and a work folder.
    struct Partitions {
        let corpus: CorpusFixture
        let dir: String
        let key: String
        var parts: [String] { [dir + "/p0", dir + "/p1"] }
        func remove() {
            corpus.remove()
            TestSupport.remove(dir)
        }
    }

    static func partitions() async throws -> Partitions {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        let key = try MergeTests.key(dir)
        for i in 0..<2 { try await runPartition(i, root: corpus.root, dir: dir, key: key) }
        return Partitions(corpus: corpus, dir: dir, key: key)
    }

    /// Runs partition `i`/2 of the tree at `root` into `<dir>/p<i>`.
    static func runPartition(_ i: Int, root: String, dir: String, key: String, force: Bool = false) async throws {
        var options = IngestOptions(
            root: root, output: dir + "/p\(i)", config: PipelineConfig(), jobs: 2, speakerKeyPath: key)
        options.partition = Partition(index: i, count: 2)
        options.force = force
        _ = try await Ingest.run(options)
    }

    func merge(_ p: Partitions, out: String, extra: [String] = []) throws -> TestSupport.ToolResult {
        try Self.cli(
            ["merge"] + p.parts + ["--out", out, "--speaker-key-file", p.key, "--quiet", "--no-report"] + extra)
    }

    /// The first audio member of a partition's first shard: (shard path, member name, content offset).
    static func firstAudioMember(_ folder: String) throws -> (String, String, Int) {
        let shard = try #require(try Ledger(readingInput: folder).shards().first)
        let member = try #require(
            try TarIndex.members(of: folder + "/" + shard.path).first { !$0.name.hasSuffix(".json") })
        return (shard.path, member.name, member.offset)
    }

    static func flipByte(_ path: String, at offset: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte ^ 0x01]))
        try handle.close()
    }

    // Row 1: a flipped audio byte in a partition's shard refuses the merge, naming partition, shard, member.
    @Test func aDamagedPartitionMemberRefusesTheMerge() async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        let (shard, member, offset) = try Self.firstAudioMember(p.parts[1])
        try Self.flipByte(p.parts[1] + "/" + shard, at: offset + 100)
        let r = try merge(p, out: p.dir + "/merged")
        #expect(r.status == 65, "\(r.error)")
        #expect(r.error.contains("partition 1/2") && r.error.contains(shard) && r.error.contains(member), "\(r.error)")
        #expect(r.error.contains("does not match the SHA-256 recorded"))
        #expect(!FileManager.default.fileExists(atPath: p.dir + "/merged"), "nothing is published")
    }

    // Row 1: the member hash is in the sample's JSON, so a reader outside voxgate can check it.
    @Test func theSampleJSONCarriesTheAudioHash() async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        var checked = 0
        for shard in try Ledger(readingInput: p.parts[0]).shards() {
            let path = p.parts[0] + "/" + shard.path
            let members = try TarIndex.members(of: path)
            for audio in members where !audio.name.hasSuffix(".json") {
                let key = TarIndex.key(of: audio.name)
                let json = try #require(members.first { $0.name == key + ".json" })
                let handle = try #require(FileHandle(forReadingAtPath: path))
                try handle.seek(toOffset: UInt64(json.offset))
                let object = try JSONSerialization.jsonObject(with: try #require(try handle.read(upToCount: json.size)))
                try handle.close()
                let recorded = (object as? [String: Any])?["audio_sha256"] as? String
                #expect(
                    recorded != nil && recorded == FileDigest.sha256(path: path, offset: audio.offset, size: audio.size)
                )
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    // Rows 2 and 3: a partition count of 0 or 4e9 in PARTITION_DONE: exit 65 with the valid range, no allocation.
    @Test(arguments: ["0", "4000000000", "-3"])
    func aMarkerWithAnImpossibleCountIsRefused(count: String) async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        for part in p.parts {
            let path = part + "/" + PartitionMarker.fileName
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try TestSupport.write(
                text.replacingOccurrences(of: "\"partitions\" : 2", with: "\"partitions\" : \(count)"), to: path)
        }
        let r = try merge(p, out: p.dir + "/merged")
        #expect(r.status == 65, "\(r.error)")
        #expect(
            r.error.contains(PartitionMarker.fileName) && r.error.contains("1...\(Partition.maxCount)"), "\(r.error)")
        #expect(!FileManager.default.fileExists(atPath: p.dir + "/merged"))
    }

    // Issue 16 row 9: an absurd --partition is a usage error naming the range, never a crash.
    @Test func anAbsurdPartitionArgumentIsAUsageError() throws {
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(out) }
        let huge = try Self.cli([
            "ingest", TestSupport.testAudioUploads, "--out", out + "/o", "--partition", "0/1152921504606846976",
        ])
        #expect(huge.status == 64, "\(huge.error)")
        #expect(huge.error.contains("1 <= N <= \(Partition.maxCount)"), "\(huge.error)")
        let zero = try Self.cli(
            ["ingest", TestSupport.testAudioUploads, "--out", out + "/o", "--partitions", "0", "--partition", "env"])
        #expect(zero.status == 64)
        #expect(!zero.error.contains("...-1"), "\(zero.error)")
        if case .failure(let e) = Partition.resolve(
            partition: nil, partitions: 0, environment: ["JOB_COMPLETION_INDEX": "0"])
        {
            #expect(e.message.contains("1...\(Partition.maxCount)") && !e.message.contains("...-1"), "\(e.message)")
        } else {
            Issue.record("--partitions 0 was accepted")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/o/decisions.jsonl"))
    }

    // Row 4: read-only partitions merge, and every file of every partition is byte- and mode-identical after.
    @Test func partitionsAreNeverModifiedByAMerge() async throws {
        let p = try await Self.partitions()
        defer {
            _ = try? TestSupport.run("chmod", ["-R", "u+w", p.dir])
            p.remove()
        }
        for part in p.parts { try TestSupport.must("chmod", ["-R", "a-w", part]) }
        let before = try p.parts.map(Self.snapshot)
        let r = try merge(p, out: p.dir + "/merged")
        #expect(r.status == 0, "\(r.error)")
        #expect(FileManager.default.fileExists(atPath: p.dir + "/merged/decisions.jsonl"))
        let after = try p.parts.map(Self.snapshot)
        #expect(before == after)
        for part in p.parts {
            let names = try FileManager.default.contentsOfDirectory(atPath: part + "/.voxgate").sorted()
            // The partition run's own files (its ledger, its clip-paths marker and its shards' manifest parts), and no
            // journal or WAL.
            #expect(
                names == ["clip-paths", "ledger.sqlite", "manifests"],
                "no journal or WAL beside the input ledger: \(names)")
        }
    }

    // Row 14: --out may not be an input, even with --force.
    @Test func theOutputMayNotBeAPartition() async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        let before = try Self.snapshot(p.parts[0])
        let r = try merge(p, out: p.parts[0], extra: ["--force"])
        #expect(r.status == 73, "\(r.error)")
        #expect(r.error.contains("never writes into its inputs"), "\(r.error)")
        #expect(try Self.snapshot(p.parts[0]) == before)
    }

    // Row 17: a partition without a ledger is refused, and no ledger is created inside it.
    @Test func aPartitionWithoutALedgerIsRefusedWithoutWriting() async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        try FileManager.default.removeItem(atPath: p.parts[1] + "/.voxgate")
        let before = try Self.snapshot(p.parts[1])
        let r = try merge(p, out: p.dir + "/merged")
        #expect(r.status == 66, "\(r.error)")
        #expect(r.error.contains("has no ledger"), "\(r.error)")
        #expect(try Self.snapshot(p.parts[1]) == before)
        #expect(!FileManager.default.fileExists(atPath: p.dir + "/merged"))
    }

    // Row 16: the same merge command again finishes an interrupted merge (or remakes a finished one).
    @Test func rerunningAMergeFinishesIt() async throws {
        let p = try await Self.partitions()
        defer { p.remove() }
        let out = p.dir + "/merged"
        #expect(try merge(p, out: out).status == 0)
        let expected = try MergeTests.release(out)
        // As a merge killed after its ledger commit and before its published files leaves it.
        for file in ["decisions.jsonl", "totals.json", "totals.csv"] {
            try FileManager.default.removeItem(atPath: out + "/" + file)
        }
        let again = try merge(p, out: out)
        #expect(again.status == 0, "\(again.error)")
        #expect(try MergeTests.release(out) == expected)
        // Another set of partitions still needs --force.
        try await Self.runPartition(1, root: p.corpus.root, dir: p.dir, key: p.key, force: true)
        let other = try merge(p, out: out)
        #expect(other.status == 73 && other.error.contains("already holds a release"), "\(other.error)")
    }

    /// One ingest of the standard corpus into `out`.
    static func ingest(_ root: String, _ out: String, key: String? = nil, verifyHashes: Bool = false) async throws
        -> IngestSummary
    {
        var options = IngestOptions(root: root, output: out, config: PipelineConfig(), jobs: 2, speakerKeyPath: key)
        options.verifyHashes = verifyHashes
        return try await Ingest.run(options)
    }

    // Row 11 and `voxgate verify`: a flipped byte in a released shard member, same size.
    @Test func aChangedReleasedShardIsFound() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await Self.ingest(corpus.root, out)
        let intact = try Self.cli(["verify", out])
        #expect(intact.status == 0, "\(intact.error)")
        #expect(intact.output.contains("verified:"))
        let (shard, member, offset) = try Self.firstAudioMember(out)
        try Self.flipByte(out + "/" + shard, at: offset + 64)
        let before = try Self.snapshot(out)
        let verify = try Self.cli(["verify", out])
        #expect(verify.status == 65)
        #expect(verify.error.contains("member '\(member)' was changed"), "\(verify.error)")
        #expect(try Self.snapshot(out) == before, "verify writes nothing")
        let r = try Self.cli(["ingest", corpus.root, "--out", out, "--verify-hashes", "--quiet", "--no-report"])
        #expect(r.status == 76, "\(r.error)")
        #expect(r.error.contains("changed outside voxgate"), "\(r.error)")
        #expect(try Self.snapshot(out) == before, "the refused run publishes nothing")
    }

    // Row 1 (nightly): a withdrawal rewrites a shard only after checking it; a damaged member is never copied.
    @Test func aWithdrawalDoesNotCopyADamagedMember() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await Self.ingest(corpus.root, out)
        let clips = try Ledger(readingInput: out).clips()
        let withdrawn = try #require(clips["en/one.wav"])
        let kept = try #require(clips.values.first { $0.shard == withdrawn.shard && $0.path != withdrawn.path })
        let shard = out + "/" + withdrawn.shard!
        let member = try #require(
            try TarIndex.members(of: shard).first {
                TarIndex.key(of: $0.name) == kept.member && !$0.name.hasSuffix(".json")
            })
        try Self.flipByte(shard, at: member.offset + 10)
        let sidecar =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: corpus.root + "/en/one.json")))
            as! [String: Any]
        let before = try Self.snapshot(out)
        let r = try Self.cli(
            [
                "ingest", corpus.root, "--out", out, "--withdraw", sidecar["client_id"] as! String, "--quiet",
                "--no-report",
            ])
        #expect(r.status == 76, "\(r.error)")
        #expect(r.error.contains("changed outside voxgate") && r.error.contains(withdrawn.shard!), "\(r.error)")
        #expect(try Self.snapshot(out) == before, "nothing published, nothing rewritten")
    }

    @Test func verifyNamesADeletedShardAndAnEditedTotalsFile() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        _ = try await Self.ingest(corpus.root, dir + "/a")
        try TestSupport.must("cp", ["-a", dir + "/a", dir + "/b"])
        let shard = try #require(try Ledger(readingInput: dir + "/a").shards().first).path
        try FileManager.default.removeItem(atPath: dir + "/a/" + shard)
        let deleted = try Self.cli(["verify", dir + "/a"])
        #expect(deleted.status == 65)
        #expect(deleted.error.contains("shard '\(shard)' is missing"), "\(deleted.error)")
        let totals = dir + "/b/totals.json"
        try TestSupport.write(
            try String(contentsOfFile: totals, encoding: .utf8).replacingOccurrences(
                of: #""accepted": [0-9]+"#, with: #""accepted": 999"#, options: .regularExpression), to: totals)
        let edited = try Self.cli(["verify", dir + "/b"])
        #expect(edited.status == 65)
        #expect(edited.error.contains("'totals.json' was changed outside voxgate"), "\(edited.error)")
        #expect(!edited.error.contains("is missing"))
        let none = try Self.cli(["verify", dir + "/nothing-here"])
        #expect(none.status == 65 && none.error.contains("has no ledger"), "\(none.error)")
    }

    // Row 12: a 0-byte ledger is damage, not a new folder.
    @Test func anEmptyLedgerIsRefused() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await Self.ingest(corpus.root, out)
        try Data().write(to: URL(fileURLWithPath: out + "/" + Ledger.relativePath))
        let before = try Self.snapshot(out)
        let r = try Self.cli(["ingest", corpus.root, "--out", out, "--quiet", "--no-report"])
        #expect(r.status == 76, "\(r.error)")
        #expect(r.error.contains("is empty (0 bytes)"), "\(r.error)")
        #expect(try Self.snapshot(out) == before)
    }

    // Row 13: another speaker key is refused; racing first runs share one key.
    @Test func anotherSpeakerKeyIsRefused() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await Self.ingest(corpus.root, out)
        let other = out + "/../" + (out as NSString).lastPathComponent + "-other.key"
        defer { TestSupport.remove(other) }
        try TestSupport.write(String(repeating: "5a", count: 32), to: other)
        let before = try Self.snapshot(out)
        let r = try Self.cli([
            "ingest", corpus.root, "--out", out, "--speaker-key-file", other, "--quiet", "--no-report",
        ])
        #expect(r.status == 76, "\(r.error)")
        #expect(r.error.contains("is not the key this release was made with"), "\(r.error)")
        #expect(try Self.snapshot(out) == before)
    }

    @Test func racingRunsShareOneNewKey() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(dir) }
        for round in 0..<20 {
            let path = dir + "/key-\(round)"
            let ids = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let id = (try? SpeakerPseudonym(keyPath: path))?.keyID ?? "failed"
                ids.withLock { $0.append(id) }
            }
            let all = ids.withLock { $0 }
            #expect(Set(all).count == 1 && !all.contains("failed"), "round \(round): \(all)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".new") } == [])
        }
    }

    // Row 10: a FIFO named as metrics file or speaker key is refused, never replaced by a regular file.
    @Test func onlyRegularFilesAreReplaced() async throws {
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(dir) }
        try TestSupport.must("mkfifo", [dir + "/fifo"])
        let key = try Self.cli(
            [
                "ingest", TestSupport.testAudioUploads, "--out", dir + "/o", "--speaker-key-file", dir + "/fifo",
                "--quiet", "--no-report",
            ])
        #expect(key.status == 73 && key.error.contains("not a regular file"), "\(key.error)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o/decisions.jsonl"))
        var summary = IngestSummary(
            clips: 0, accepted: 0, rejectedByReason: [], languages: [], shards: 0, warnings: [], outputFolder: dir,
            elapsed: 0)
        summary.run = 1
        #expect(throws: RunError.self) { try MetricsFile.write(summary, to: dir + "/fifo") }
        var st = stat()
        #expect(lstat(dir + "/fifo", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        try MetricsFile.write(summary, to: "/dev/null")  // a character device is written through
        #expect(lstat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
    }

    // Row 15: a published file truncated by hand is regenerated by the next run, even with nothing new.
    @Test func aTruncatedDecisionsFileIsRegenerated() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await Self.ingest(corpus.root, out)
        let decisions = try Data(contentsOf: URL(fileURLWithPath: out + "/decisions.jsonl"))
        try decisions.prefix(decisions.count / 2).write(to: URL(fileURLWithPath: out + "/decisions.jsonl"))
        let again = try await Self.ingest(corpus.root, out)
        #expect(!again.upToDate)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/decisions.jsonl")) == decisions)
        #expect(try Self.cli(["verify", out]).status == 0)
    }

    // Row 18: a duration limit read from a pipeline file is capped.
    @Test func anAbsurdDurationLimitIsRefused() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(dir) }
        try TestSupport.write("checks:\n  max_duration_s: 1e15\n", to: dir + "/pipeline.yaml")
        let r = try Self.cli(
            [
                "ingest", TestSupport.testAudioUploads, "--out", dir + "/o", "--pipeline", dir + "/pipeline.yaml",
                "--quiet",
            ])
        #expect(r.status == 65, "\(r.error)")
        #expect(r.error.contains("checks.max_duration_s") && r.error.contains("3600"), "\(r.error)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o/decisions.jsonl"))
    }

    // Row 19: SIGHUP is handled as SIGTERM: exit 130, no partial files.
    @Test func aHangupStopsTheRunCleanly() throws {
        let out = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = [
            "ingest", TestSupport.testAudioUploads, "--out", out, "--jobs", "1", "--quiet", "--no-report",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the run is under way (its lock exists), then hang up.
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: out + "/" + RunLock.fileName) { usleep(10_000) }
        usleep(200_000)
        kill(process.processIdentifier, SIGHUP)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(process.terminationStatus)")
        let partials = FileManager.default.enumerator(atPath: out)!.compactMap { $0 as? String }.filter {
            $0.hasSuffix(".partial")
        }
        #expect(partials == [])
        #expect(!FileManager.default.fileExists(atPath: out + "/decisions.jsonl"))
    }

    // The smaller list: a zero key, foreign files under shards/, a report over a bad decisions line.
    @Test func smallerInputsAreRefusedNamingWhy() async throws {
        let dir = try TestSupport.temporaryFolder("voxgate-trust")
        defer { TestSupport.remove(dir) }
        try TestSupport.write(String(repeating: "00", count: 32), to: dir + "/zero.key")
        let zero = try Self.cli(
            [
                "ingest", TestSupport.testAudioUploads, "--out", dir + "/o", "--speaker-key-file", dir + "/zero.key",
                "--quiet", "--no-report",
            ])
        #expect(zero.status == 73 && zero.error.contains("all zero bytes"), "\(zero.error)")
        try FileManager.default.createDirectory(atPath: dir + "/mine/shards", withIntermediateDirectories: true)
        try TestSupport.write("precious", to: dir + "/mine/shards/notes.txt")
        let force = try Self.cli([
            "ingest", TestSupport.testAudioUploads, "--out", dir + "/mine", "--force", "--quiet", "--no-report",
        ])
        #expect(force.status == 76 && force.error.contains("shards/notes.txt"), "\(force.error)")
        #expect(FileManager.default.fileExists(atPath: dir + "/mine/shards/notes.txt"))
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        _ = try await Self.ingest(corpus.root, dir + "/r")
        let decisions = dir + "/r/decisions.jsonl"
        let lines = try String(contentsOfFile: decisions, encoding: .utf8).split(separator: "\n")
        try TestSupport.write(
            ([String(lines[0])] + [
                lines[1].replacingOccurrences(of: "\"rejected\"", with: "\"maybe\"").replacingOccurrences(
                    of: "\"accepted\"", with: "\"maybe\"")
            ]
                + lines.dropFirst(2).map(String.init)).joined(separator: "\n") + "\n", to: decisions)
        let report = try Self.cli(["report", dir + "/r"])
        #expect(report.status == 66 && report.error.contains("line 2"), "\(report.error)")
    }
}
