import Foundation
import Testing
import VoxgateLedger

/// Issue 23 row 16, the last window: a merge killed after it created its output ledger and before it recorded
/// which partitions it merges is finished by the same command, without `--force`. And partitions whose released
/// members carry no hash of their own (released before member hashes were recorded) are merged after their
/// shards are verified whole.
@Suite("Merge: resumed after any kill; older partitions verified by their shard hashes", .serialized)
struct MergeResumeTests {
    /// Starts `voxgate merge` and kills it with SIGKILL as soon as its output ledger appears; true when the kill
    /// landed before the merge recorded its identity in that ledger.
    static func killAfterTheLedgerAppears(_ arguments: [String], out: String) throws -> Bool {
        let ledger = out + "/" + Ledger.relativePath
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning && access(ledger, F_OK) != 0 { usleep(20) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard process.terminationReason == .uncaughtSignal, access(ledger, F_OK) == 0 else { return false }
        return ((try? Ledger(readingInput: out).fact("merged_from")) ?? nil) == nil
    }

    @Test func aMergeKilledBeforeItRecordedItsPartitionsIsFinishedByTheSameCommand() async throws {
        let p = try await InputTrustTests.partitions()
        defer { p.remove() }
        let reference = p.dir + "/reference"
        #expect(try InputTrustTests().merge(p, out: reference).status == 0)
        let out = p.dir + "/merged"
        let arguments = ["merge"] + p.parts + ["--out", out, "--speaker-key-file", p.key, "--quiet", "--no-report"]
        var landed = false
        for attempt in 0..<8 where !landed {
            TestSupport.remove(out)
            landed = try Self.killAfterTheLedgerAppears(arguments, out: out)
            if !landed { print("attempt \(attempt): the kill missed the window; again") }
        }
        try #require(landed, "no kill landed between the ledger's creation and the merge's identity")
        let again = try InputTrustTests.cli(arguments)
        #expect(again.status == 0, "the same command finishes the merge: \(again.error)")
        #expect(try MergeTests.release(out) == MergeTests.release(reference))
    }

    /// Removes the member hashes from a partition's ledger: what a partition released by an older voxgate and
    /// continued by this one holds.
    static func forgetMemberHashes(_ partition: String) throws {
        try TestSupport.must("sqlite3", [partition + "/" + Ledger.relativePath, "UPDATE clip SET audio_sha256 = NULL"])
    }

    @Test func membersWithoutTheirOwnHashAreVerifiedByTheirShard() async throws {
        let p = try await InputTrustTests.partitions()
        defer { p.remove() }
        let reference = p.dir + "/reference"
        #expect(try InputTrustTests().merge(p, out: reference).status == 0)
        for part in p.parts { try Self.forgetMemberHashes(part) }
        let out = p.dir + "/merged"
        let r = try InputTrustTests().merge(p, out: out)
        #expect(r.status == 0, "\(r.error)")
        #expect(try MergeTests.release(out) == MergeTests.release(reference), "the same release as from hashed members")

        // One flipped byte in such a shard: the whole-shard hash refuses the merge, naming what to do.
        let (shard, _, offset) = try InputTrustTests.firstAudioMember(p.parts[0])
        try InputTrustTests.flipByte(p.parts[0] + "/" + shard, at: offset + 64)
        let damaged = p.dir + "/damaged"
        let refused = try InputTrustTests().merge(p, out: damaged)
        #expect(refused.status == 65, "\(refused.error)")
        #expect(refused.error.contains(shard) && refused.error.contains("whole shard"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: damaged), "nothing published")
    }

    /// A partition whose ledger predates member hashes (its schema lacks the migration that added them) is
    /// refused, saying what to do: run the partition again with this voxgate, which upgrades its ledger.
    @Test func aPartitionWithAnOlderLedgerIsRefusedSayingWhatToDo() async throws {
        let p = try await InputTrustTests.partitions()
        defer { p.remove() }
        try TestSupport.must(
            "sqlite3", [p.parts[1] + "/" + Ledger.relativePath, "DELETE FROM grdb_migrations WHERE identifier = 'v2'"])
        let before = try InputTrustTests.snapshot(p.parts[1])
        let r = try InputTrustTests().merge(p, out: p.dir + "/merged")
        #expect(r.status == 66, "\(r.error)")
        #expect(
            r.error.contains("written by an older voxgate") && r.error.contains("run that run again with this voxgate"),
            "\(r.error)")
        #expect(try InputTrustTests.snapshot(p.parts[1]) == before, "the partition is not modified")
        #expect(!FileManager.default.fileExists(atPath: p.dir + "/merged"))
    }
}
