import Foundation
import GRDB
import Testing

/// A night whose decisions rest on the last run's basis registers the unchanged released clips from the ledger
/// (`ClipRecord.kept`), not from their analyses: it must release exactly what a night that reads every analysis
/// releases, withdrawals included.
@Suite("Released clips registered from the ledger", .serialized)
struct StoredRegistrationTests {
    /// How many released clips the run registered from stored registrations (its `info` log line).
    static func fromStored(_ log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("released clips registered") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let n = object["from_stored_registrations"] as? Int
            else { continue }
            return n
        }
        return nil
    }

    static func night(_ w: CrashSafetyTests.Workspace, out: String, _ extra: [String] = []) throws -> String {
        let r = try TestSupport.run(
            CLITests.binary, w.arguments(out: out, extra + ["--log-format", "json", "--log-level", "info"]))
        guard r.status == 0 else { throw TestFailure("voxgate failed (\(r.status)): \(r.error)") }
        return r.error + r.output
    }

    @Test func aNightFromStoredRegistrationsReleasesWhatOneFromAnalysesDoes() throws {
        // a (spk-0), b (spk-1), c (spk-2); d: a made quieter by spk-1 (a near-duplicate); e: a byte copy of b by
        // spk-2. The second night withdraws spk-1: b leaves, so e, its copy, is released in b's place.
        let w = try HistoryIndependenceTests.workspace()
        defer {
            TestSupport.remove(w.dir)
            w.corpus.remove()
        }
        let (stored, analysed) = (w.dir + "/stored", w.dir + "/analysed")
        _ = try Self.night(w, out: stored)
        let ledger = "/.voxgate/ledger.sqlite"
        let kept = try DatabaseQueue(path: stored + ledger).read { db in
            try String.fetchAll(db, sql: "SELECT path FROM clip WHERE kept IS NOT NULL ORDER BY path")
        }
        #expect(kept == ["en/a.wav", "en/b.wav", "en/c.wav"], "the released clips keep their registration")
        // The same folder as a voxgate that kept no registration left it: every analysis is read.
        try FileManager.default.copyItem(atPath: stored, toPath: analysed)
        try DatabaseQueue(path: analysed + ledger).write { db in try db.execute(sql: "UPDATE clip SET kept = NULL") }

        let withdraw = ["--withdraw", "spk-1"]
        let storedLog = try Self.night(w, out: stored, withdraw)
        let analysedLog = try Self.night(w, out: analysed, withdraw)
        #expect(Self.fromStored(storedLog) == 2, "a and c from the ledger (b withdrew)")
        #expect(Self.fromStored(analysedLog) == 0)
        let expected = try CrashSafetyTests.release(analysed)
        let got = try CrashSafetyTests.release(stored)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected {
            #expect(got[path] == bytes, "\(path) differs from the night that read analyses")
        }
        let decisions = try HistoryIndependenceTests.decisions(stored)
        #expect(decisions["en/e.wav"]?["status"] as? String == "accepted", "e is the only copy left of b's recording")
        #expect(decisions["en/d.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])
        // A third night over the same tree registers the same clips from the ledger again: a, c and now e.
        #expect(Self.fromStored(try Self.night(w, out: stored)) == 3)
    }
}
