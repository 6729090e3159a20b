import Foundation
import Testing
import VoxgateLedger

/// A run killed with SIGKILL at any moment leaves no partial output visible, and the next run finishes the
/// work with outputs byte-identical to a run that was never interrupted.
@Suite("Crash safety: SIGKILL at random moments", .serialized)
struct CrashSafetyTests {
    /// Forty 6 s clips in three languages, FLAC shards of three samples: long enough (about a second per run)
    /// to be killed in every phase (decoding, sealing, committing, renaming, publishing).
    static func corpus() throws -> CorpusFixture {
        let languages = ["en", "de", "fr"]
        return try CorpusFixture(
            clips: (0..<40).map { i in ("\(languages[i % 3])/clip\(i).wav", 300 + i, 6.0, ["-b", "16"]) })
    }

    static let pipeline = "shards:\n  audio: flac\n  max_samples: 3\n"

    struct Workspace {
        let dir: String
        let corpus: CorpusFixture
        var key: String { dir + "/speaker.key" }
        var pipeline: String { dir + "/pipeline.yaml" }

        func arguments(out: String, _ extra: [String] = []) -> [String] {
            ["ingest", corpus.root, "--out", out, "--jobs", "2", "--quiet", "--speaker-key", key, "--pipeline", pipeline]
                + extra
        }
    }

    static func workspace() throws -> Workspace {
        let dir = try TestSupport.temporaryFolder("voxgate-crash")
        try TestSupport.write(String(repeating: "5a", count: 32), to: dir + "/speaker.key")
        try TestSupport.write(pipeline, to: dir + "/pipeline.yaml")
        return Workspace(dir: dir, corpus: try corpus())
    }

    /// Runs voxgate to completion; returns its wall time.
    @discardableResult
    static func complete(_ arguments: [String]) throws -> Double {
        let started = Date()
        let r = try TestSupport.run(CLITests.binary, arguments)
        guard r.status == 0 else { throw TestFailure("voxgate failed (\(r.status)): \(r.error)") }
        return Date().timeIntervalSince(started)
    }

    /// Starts voxgate and kills it with SIGKILL after `delay` seconds (if it is still running).
    static func kill(_ arguments: [String], after delay: Double) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// What a reader may see in the folder after a kill: only whole files. Every visible shard is a complete
    /// tar that the ledger lists, and `decisions.jsonl`, when present, is whole JSON lines.
    static func expectNothingPartialVisible(_ out: String, moment: String) throws {
        let listed = Set(((try? Ledger(output: out).shards()) ?? []).map(\.path))
        for (path, data) in try filesUnder(out) {
            if path.hasSuffix(".partial") { continue }  // not a visible name: removed by the next run
            if path.hasSuffix(".tar") {
                #expect(listed.contains(path), "\(moment): unlisted shard \(path) visible")
                let r = try TestSupport.run("tar", ["-tf", out + "/" + path])
                #expect(r.status == 0, "\(moment): \(path) is not a whole tar: \(r.error)")
            }
            if path == "decisions.jsonl" {
                let text = String(decoding: data, as: UTF8.self)
                #expect(text.isEmpty || text.hasSuffix("\n"), "\(moment): decisions.jsonl is cut short")
                for line in text.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
                }
            }
        }
    }

    /// The outputs that must be byte-identical: the whole release (report included) but `run.json`, which
    /// holds wall times.
    static func release(_ out: String) throws -> [String: Data] {
        try filesUnder(out).filter { $0.key != "run.json" }
    }

    static func killTimes(count: Int, within seconds: Double, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Double(rng.next() % 10_000) / 10_000 * seconds }
    }

    @Test func aFirstRunKilledAtRandomMomentsEndsAsIfNeverKilled() throws {
        let w = try Self.workspace()
        defer {
            TestSupport.remove(w.dir)
            w.corpus.remove()
        }
        let reference = w.dir + "/reference"
        let duration = try Self.complete(w.arguments(out: reference))
        let out = w.dir + "/killed"
        for (i, t) in Self.killTimes(count: 8, within: duration * 1.1, seed: 0x5EED_0001).enumerated() {
            try Self.kill(w.arguments(out: out), after: t)
            try Self.expectNothingPartialVisible(out, moment: "kill \(i) at \(String(format: "%.3f", t)) s")
        }
        try Self.complete(w.arguments(out: out))
        let expected = try Self.release(reference)
        let got = try Self.release(out)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from the uninterrupted run") }
        #expect(try Ledger(output: out).pendingFiles().isEmpty)
    }

    @Test func aWithdrawalRunKilledAtRandomMomentsEndsAsIfNeverKilled() throws {
        let w = try Self.workspace()
        defer {
            TestSupport.remove(w.dir)
            w.corpus.remove()
        }
        // Night one, then night two withdraws spk-1 (a third of the clips, in every language): shards are
        // rewritten and renamed, the riskiest moments.
        let reference = w.dir + "/reference"
        try Self.complete(w.arguments(out: reference))
        let duration = try Self.complete(w.arguments(out: reference, ["--withdraw", "spk-1"]))
        let out = w.dir + "/killed"
        try Self.complete(w.arguments(out: out))
        for (i, t) in Self.killTimes(count: 8, within: duration * 1.2, seed: 0x5EED_0002).enumerated() {
            try Self.kill(w.arguments(out: out, ["--withdraw", "spk-1"]), after: t)
            try Self.expectNothingPartialVisible(out, moment: "kill \(i) at \(String(format: "%.3f", t)) s")
        }
        try Self.complete(w.arguments(out: out, ["--withdraw", "spk-1"]))
        let expected = try Self.release(reference)
        let got = try Self.release(out)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from the uninterrupted run") }
    }
}
