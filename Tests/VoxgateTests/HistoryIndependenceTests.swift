import Foundation
import Testing
import VoxgateLedger

/// Issue 16 row 11: the decision on a clip does not depend on the history of runs. The same tree,
/// configuration and withdrawals give byte-identical outputs whether the withdrawal run was interrupted
/// (SIGKILL while `totals.json.partial` is being written, after the ledger commit) or not, and any later run
/// that rebuilds the release changes nothing.
@Suite("Decisions do not depend on the history of runs", .serialized)
struct HistoryIndependenceTests {
    /// `a` (spk-0), `b` (spk-1), `c` (spk-2); `d` is `a` made quieter, uploaded by spk-1 (a near-duplicate
    /// recording); `e` is a byte copy of `b` uploaded by spk-2 (an exact duplicate of a clip spk-1 withdraws).
    static func workspace() throws -> CrashSafetyTests.Workspace {
        let dir = try TestSupport.temporaryFolder("voxgate-history")
        try TestSupport.write(String(repeating: "5a", count: 32), to: dir + "/speaker.key")
        try TestSupport.write(CrashSafetyTests.pipeline, to: dir + "/pipeline.yaml")
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 300, 3.0, ["-b", "16"]), ("en/b.wav", 301, 3.0, ["-b", "16"]),
            ("en/c.wav", 302, 3.0, ["-b", "16"]),
        ])
        let en = corpus.root + "/en"
        try TestSupport.must("sox", [en + "/a.wav", en + "/d.wav", "vol", "0.7"])
        try TestSupport.write(TestSupport.sidecar(sentence: "sentence d", client: "spk-1"), to: en + "/d.json")
        try FileManager.default.copyItem(atPath: en + "/b.wav", toPath: en + "/e.wav")
        try TestSupport.write(TestSupport.sidecar(sentence: "sentence e", client: "spk-2"), to: en + "/e.json")
        return CrashSafetyTests.Workspace(dir: dir, corpus: corpus)
    }

    /// Runs the withdrawal night and kills it with SIGKILL as soon as `totals.json.partial` appears; true when
    /// the kill landed there (the partial file is still on disk and the run is committed but not published).
    static func killWhileWritingTotals(_ arguments: [String], out: String) throws -> Bool {
        let partial = out + "/totals.json.partial"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning && access(partial, F_OK) != 0 { usleep(20) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard process.terminationReason == .uncaughtSignal, access(partial, F_OK) == 0 else { return false }
        return try Ledger(output: out).runs().last?.published == false
    }

    static func decisions(_ out: String) throws -> [String: [String: Any]] {
        var byClip: [String: [String: Any]] = [:]
        for row in try TestSupport.jsonLines(out + "/decisions.jsonl") { byClip[row["clip"] as! String] = row }
        return byClip
    }

    @Test func aWithdrawalRunKilledWhileWritingTotalsEndsAsIfNeverKilled() throws {
        let w = try Self.workspace()
        defer {
            TestSupport.remove(w.dir)
            w.corpus.remove()
        }
        let withdraw = ["--withdraw", "spk-1"]
        let reference = w.dir + "/reference"
        try CrashSafetyTests.complete(w.arguments(out: reference))
        let night1 = try Self.decisions(reference)
        #expect(night1["en/d.wav"]?["reasons"] as? [String] == ["duplicate"], "d must start as a near-duplicate of a")
        #expect(night1["en/e.wav"]?["duplicate_of"] as? String == "en/b.wav", "e must start as a copy of b")
        try CrashSafetyTests.complete(w.arguments(out: reference, withdraw))

        // The same two nights, the second killed while it writes totals.json (after its ledger commit).
        let out = w.dir + "/killed"
        var landed = false
        for attempt in 0..<6 where !landed {
            TestSupport.remove(out)
            try CrashSafetyTests.complete(w.arguments(out: out))
            landed = try Self.killWhileWritingTotals(w.arguments(out: out, withdraw), out: out)
            if !landed { print("attempt \(attempt): the kill missed totals.json.partial; again") }
        }
        try #require(landed, "no kill landed while totals.json.partial was being written")
        try CrashSafetyTests.complete(w.arguments(out: out, withdraw))

        let expected = try CrashSafetyTests.release(reference)
        let got = try CrashSafetyTests.release(out)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from the uninterrupted run") }

        // The decision is the one a first run with the withdrawal gives: a withdrawal supersedes every other
        // finding, and a withdrawn clip keeps no copy out of the release.
        let after = try Self.decisions(reference)
        #expect(after["en/d.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])
        #expect(after["en/d.wav"]?["duplicate_of"] is NSNull)
        #expect(after["en/b.wav"]?["reasons"] as? [String] == ["consent_withdrawn"])
        #expect(after["en/e.wav"]?["status"] as? String == "accepted", "e is the only copy left of b's recording")
        let fresh = w.dir + "/fresh"
        try CrashSafetyTests.complete(w.arguments(out: fresh, withdraw))
        let first = try Self.decisions(fresh)
        for (clip, row) in after {
            for field in ["status", "reasons", "detail", "duplicate_of"] {
                #expect(
                    "\(row[field] ?? "-")" == "\(first[clip]?[field] ?? "-")",
                    "\(clip) \(field): incremental \(row[field] ?? "-"), first run \(first[clip]?[field] ?? "-")")
            }
        }

        // A later run that rebuilds the release (every file re-hashed) changes nothing.
        try CrashSafetyTests.complete(w.arguments(out: reference, withdraw + ["--verify-hashes"]))
        let rebuilt = try CrashSafetyTests.release(reference)
        for (path, bytes) in expected { #expect(rebuilt[path] == bytes, "\(path) changed in a later rebuild") }
    }
}
