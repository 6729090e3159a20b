import Foundation
import Testing
import VoxgateCorpus
import VoxgateLedger

/// A run's clip records wait in the ledger's stage (a temporary table on disk) until its commit: a run's
/// memory does not hold one record per clip, and a run that never commits leaves no record behind.
@Suite("Ledger stage")
struct LedgerStagingTests {
    static func record(_ path: String, firstRun: Int64 = 0) -> ClipRecord {
        ClipRecord(
            path: path, language: "en", size: 10, mtimeNs: 1, sidecarSize: nil, sidecarMtimeNs: nil, fileSha256: "ab",
            analysis: "{\"n\": \"\(path)\"}", fingerprint: Data([1, 2, 3]), status: "accepted", reasons: "",
            detail: nil,
            duplicateOf: nil, durationS: 1.5, shard: nil, member: nil, split: "train", withdrawn: false,
            firstRun: firstRun, analysedRun: 0)
    }

    static func run() -> RunRecord {
        RunRecord(
            started: "2026-01-01T00:00:00Z", ended: "2026-01-01T00:00:01Z", version: "test", configHash: "c",
            inputsHash: "i", root: "/r", clips: 0, decoded: 0, reused: 0, accepted: 0, rejected: 0, newShards: 0,
            rewrittenShards: 0, withdrawnClips: 0)
    }

    @Test func stagedRecordsReachTheLedgerWithTheCommitAndGetItsRunID() throws {
        let out = try TestSupport.temporaryFolder("voxgate-stage")
        defer { TestSupport.remove(out) }
        let ledger = try Ledger(output: out)
        try ledger.stage([Self.record("en/a.wav"), Self.record("en/b.wav")])
        try ledger.stage([Self.record("en/c.wav")])
        // Not visible before the commit, not even to this connection's reads of `clip`.
        #expect(try ledger.clips().isEmpty)
        #expect(try Ledger(output: out).clips().isEmpty)
        var change = LedgerChange(run: Self.run())
        change.clips = [Self.record("en/d.wav")]
        let id = try ledger.commit(change)
        let clips = try Ledger(output: out).clips()
        #expect(clips.keys.sorted() == ["en/a.wav", "en/b.wav", "en/c.wav", "en/d.wav"])
        for record in clips.values {
            #expect(record.firstRun == id && record.analysedRun == id)
            #expect(record.fingerprint == Data([1, 2, 3]) && record.durationS == 1.5 && record.split == "train")
        }
        #expect(clips["en/b.wav"]?.analysis == "{\"n\": \"en/b.wav\"}")
        // The stage is empty after the commit: the next commit writes nothing more.
        _ = try ledger.commit(LedgerChange(run: Self.run()))
        #expect(try Ledger(output: out).clips().count == 4)
    }

    @Test func aStagedRecordReplacesTheLedgersAndKeepsItsFirstRun() throws {
        let out = try TestSupport.temporaryFolder("voxgate-stage")
        defer { TestSupport.remove(out) }
        let ledger = try Ledger(output: out)
        var change = LedgerChange(run: Self.run())
        change.clips = [Self.record("en/a.wav")]
        let first = try ledger.commit(change)
        var changed = Self.record("en/a.wav", firstRun: first)
        changed.status = "rejected"
        try ledger.stage([changed])
        let second = try ledger.commit(LedgerChange(run: Self.run()))
        let record = try #require(try ledger.clips()["en/a.wav"])
        #expect(record.status == "rejected" && record.firstRun == first && record.analysedRun == second)
    }

    @Test func recordsStagedWithoutACommitVanishWithTheConnectionOrADiscard() throws {
        let out = try TestSupport.temporaryFolder("voxgate-stage")
        defer { TestSupport.remove(out) }
        do {
            let ledger = try Ledger(output: out)
            try ledger.stage([Self.record("en/a.wav")])
        }
        let ledger = try Ledger(output: out)
        _ = try ledger.commit(LedgerChange(run: Self.run()))
        #expect(try ledger.clips().isEmpty)
        try ledger.stage([Self.record("en/b.wav")])
        try ledger.discardStage()
        _ = try ledger.commit(LedgerChange(run: Self.run()))
        #expect(try ledger.clips().isEmpty)
    }
}
