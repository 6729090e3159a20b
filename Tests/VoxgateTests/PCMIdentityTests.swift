import Crypto
import Foundation
import GRDB
import Testing
import VoxgateAudio
import VoxgateCorpus
import VoxgatePipeline
import VoxgateRun

@testable import VoxgateLedger
@testable import VoxgateOutputs

/// The PCM identity, version 2 (XXH3-128 of the decoded samples, `pcm_xxh3_128`): what it equals and what it tells
/// apart, as published; the same value as Python's xxhash over the byte stream the README defines; and an output
/// folder whose ledger holds version-1 identities (SHA-256), re-identified once by its next run.
@Suite("PCM identity: XXH3-128 (version 2), and ledgers made before it", .serialized)
struct PCMIdentityTests {
    static let pythonXXHash = Prerequisite(
        present: pythonHas("xxhash", "soundfile", "webdataset"),
        reason: "python3 with xxhash, soundfile and webdataset is not installed (scripts/setup --test installs them)")

    /// `en/a.wav` (speech, 16-bit, 16 kHz mono, 3 s), and its samples as FLAC (`en/b.flac`), at 22.05 kHz
    /// (`en/c.wav`: the same samples, another rate) and as two channels (`en/d.wav`: the same samples interleaved
    /// as 1.5 s of stereo), each with a sidecar of another speaker.
    static func sameSamples() throws -> CorpusFixture {
        let corpus = try CorpusFixture(clips: [("en/a.wav", 300, 3.0, ["-b", "16"])])
        let en = corpus.root + "/en"
        try TestSupport.must("sox", [en + "/a.wav", en + "/b.flac"])
        try TestSupport.must("sox", ["-r", "22050", en + "/a.wav", en + "/c.wav"])
        let raw = corpus.root + "/a.raw"
        defer { TestSupport.remove(raw) }
        try TestSupport.must("sox", [en + "/a.wav", "-t", "raw", raw])
        try TestSupport.must(
            "sox", ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "2", raw, en + "/d.wav"])
        for (i, name) in ["b", "c", "d"].enumerated() {
            try TestSupport.write(
                TestSupport.sidecar(sentence: "another sentence \(i)", client: "spk-\(10 + i)"),
                to: en + "/\(name).json")
        }
        return corpus
    }

    static func decisions(_ out: String) throws -> [String: [String: Any]] {
        var byClip: [String: [String: Any]] = [:]
        for row in try TestSupport.jsonLines(out + "/decisions.jsonl") { byClip[row["clip"] as! String] = row }
        return byClip
    }

    @Test func aWAVAndAFLACOfTheSameSamplesShareTheIdentityAndAnotherRateOrLayoutDoesNot() async throws {
        let corpus = try Self.sameSamples()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let decisions = try Self.decisions(out)
        func identity(_ clip: String) -> String? { decisions[clip]?["pcm_xxh3_128"] as? String }
        let a = try #require(identity("en/a.wav"))
        #expect(a.utf8.count == 32 && a.allSatisfy { "0123456789abcdef".contains($0) }, "\(a)")
        #expect(identity("en/b.flac") == a)
        #expect(decisions["en/b.flac"]?["duplicate_of"] as? String == "en/a.wav")
        #expect(
            decisions["en/b.flac"]?["detail"] as? String
                == "duplicate: the same decoded samples as en/a.wav, which is kept")
        let c = try #require(identity("en/c.wav"))
        let d = try #require(identity("en/d.wav"))
        #expect(Set([a, c, d]).count == 3, "the same samples at another rate or channel count are another sound")
        for clip in ["en/c.wav", "en/d.wav"] {
            #expect((decisions[clip]?["detail"] as? String)?.contains("the same decoded samples") != true, "\(clip)")
        }
        // Identity version 1's field stays in the contract, null.
        for (clip, row) in decisions { #expect(row["pcm_sha256"] is NSNull, "\(clip)") }
    }

    /// The README's recipe, with Python's xxhash (its own copy of xxHash) and soundfile (libsndfile): the identity
    /// of each clip, in `decisions.jsonl` and in the released sample's JSON.
    @Test(.enabled(if: pythonXXHash.runs, pythonXXHash.comment))
    func theIdentityIsXXH3128OfTheDocumentedByteStream() async throws {
        try Self.pythonXXHash.require()
        let corpus = try Self.sameSamples()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        let clips = ["en/a.wav", "en/b.flac", "en/c.wav", "en/d.wav"]
        let script = """
            import struct, sys, soundfile, xxhash
            for path in sys.argv[1:]:
                x, rate = soundfile.read(path, dtype="float32", always_2d=True)
                stream = b"voxgate-pcm-f32le-v2" + struct.pack("<II", rate, x.shape[1]) + x.astype("<f4").tobytes()
                print(xxhash.xxh3_128(stream).hexdigest())
            """
        let python = try TestSupport.must("python3", ["-c", script] + clips.map { corpus.root + "/" + $0 })
        let expected = python.split(separator: "\n").map(String.init)
        try #require(expected.count == clips.count, "\(python)")
        let decisions = try Self.decisions(out)
        for (clip, value) in zip(clips, expected) {
            #expect(decisions[clip]?["pcm_xxh3_128"] as? String == value, "\(clip)")
        }
        let released = try ShardReader.read(output: out).samples
        let a = try #require(released["en/a.wav"], "en/a.wav is released")
        #expect(a.json["pcm_xxh3_128"] as? String == expected[0])
        #expect(a.json["pcm_sha256"] is NSNull)
    }

    /// SHA-256 of the file's decoded samples under identity version 1's tag: what voxgate 0.2 stored.
    static func version1Identity(_ path: String) throws -> String {
        var decoder = try AudioDecoder(path: path)
        let channels = decoder.info.channels
        var hasher = SHA256()
        hasher.update(data: Array("voxgate-pcm-f32le-v1".utf8))
        withUnsafeBytes(of: UInt32(decoder.info.sampleRate).littleEndian) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: UInt32(channels).littleEndian) { hasher.update(bufferPointer: $0) }
        var block = [Float](repeating: 0, count: 4096 * channels)
        while true {
            let got = try block.withUnsafeMutableBufferPointer { try decoder.read(into: $0) }
            if got == 0 { break }
            block.withUnsafeBytes {
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<got * channels * 4]))
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Rewrites `out`'s ledger as voxgate 0.2 left it: each analysis with its version-1 identity (`pcmSHA256`,
    /// computed from the upload) where version 2's was, and its runs made by 0.2.0.
    static func makeVersion1(_ out: String, root: String) throws {
        let db = try DatabaseQueue(path: out + "/" + Ledger.relativePath)
        try db.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT path, analysis FROM clip") {
                let path: String = row["path"]
                var analysis = try ClipAnalysis(ledgerJSON: row["analysis"])
                guard analysis.measurement != nil else { continue }
                analysis.measurement?.pcmXXH3 = nil
                // The keys are sorted: version 1's sat just before `rmsDBFS`, which only the measurement has.
                let v1 = try version1Identity(root + "/" + path)
                let text = analysis.ledgerJSON().replacingOccurrences(
                    of: #""rmsDBFS":"#, with: #""pcmSHA256":"\#(v1)","rmsDBFS":"#)
                let stored = try ClipAnalysis(ledgerJSON: text)
                #expect(text.contains(v1) && stored.lacksPCMIdentity)
                try db.execute(sql: "UPDATE clip SET analysis = ? WHERE path = ?", arguments: [text, path])
            }
            try db.execute(sql: "UPDATE run SET version = '0.2.0', inputs_hash = 'made by voxgate 0.2.0'")
        }
    }

    @Test func aLedgerOfVersion1IdentitiesIsReidentifiedOnceAndDecidesAsAFreshRun() async throws {
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 300, 2.0, ["-b", "16"]), ("en/b.wav", 340, 2.0, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        let (first, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        #expect(first.accepted == 2)
        try Self.makeVersion1(out, root: corpus.root)
        // Uploaded now by someone else: a's samples as FLAC, an exact duplicate of a released clip.
        try TestSupport.must("sox", [corpus.root + "/en/a.wav", corpus.root + "/en/c.flac"])
        try TestSupport.write(TestSupport.sidecar(sentence: "a copy", client: "spk-9"), to: corpus.root + "/en/c.json")

        let upgrade = try await corpus.ingest(jobs: 2, output: out).summary
        #expect(upgrade.reidentified == 2 && upgrade.decoded == 1, "a and b re-identified, c decoded")
        var decisions = try Self.decisions(out)
        #expect(decisions["en/c.flac"]?["duplicate_of"] as? String == "en/a.wav")
        #expect(
            decisions["en/c.flac"]?["detail"] as? String
                == "duplicate: the same decoded samples as en/a.wav, which is kept")
        let a = try #require(decisions["en/a.wav"]?["pcm_xxh3_128"] as? String)
        #expect(decisions["en/c.flac"]?["pcm_xxh3_128"] as? String == a)
        for (path, record) in try Ledger(output: out).clips() {
            let stored = try ClipAnalysis(record: record)
            #expect(!stored.lacksPCMIdentity, "\(path) still lacks the identity")
        }

        // Once: the next run (one new upload, b's samples as FLAC) decodes only the new clip, re-identifies nothing,
        // and finds its copy by the identity stored for b.
        try TestSupport.must("sox", [corpus.root + "/en/b.wav", corpus.root + "/en/e.flac"])
        try TestSupport.write(TestSupport.sidecar(sentence: "b again", client: "spk-8"), to: corpus.root + "/en/e.json")
        let next = try await corpus.ingest(jobs: 2, output: out).summary
        #expect(next.reidentified == 0 && next.decoded == 1)
        decisions = try Self.decisions(out)
        #expect(
            decisions["en/e.flac"]?["detail"] as? String
                == "duplicate: the same decoded samples as en/b.wav, which is kept")

        // The release is a fresh run's over the same tree, byte for byte (run.json aside).
        let (_, fresh) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(fresh) }
        let expected = try CrashSafetyTests.release(fresh)
        let got = try CrashSafetyTests.release(out)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from a fresh run's") }
    }

    /// A clip an older voxgate released whose upload is gone cannot be re-identified: it keeps its place and its
    /// record without an identity, and a copy of it is still found, as the same recording.
    @Test func aReleasedClipWhoseUploadIsGoneKeepsNoIdentityAndItsCopyIsStillADuplicate() async throws {
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 300, 2.0, ["-b", "16"]), ("en/b.wav", 340, 2.0, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        try Self.makeVersion1(out, root: corpus.root)
        try TestSupport.must("sox", [corpus.root + "/en/a.wav", corpus.root + "/en/c.flac"])
        try TestSupport.write(TestSupport.sidecar(sentence: "a copy", client: "spk-9"), to: corpus.root + "/en/c.json")
        TestSupport.remove(corpus.root + "/en/a.wav")

        let upgrade = try await corpus.ingest(jobs: 2, output: out).summary
        #expect(upgrade.reidentified == 1 && upgrade.decoded == 1, "b re-identified, c decoded, a's upload gone")
        let decisions = try Self.decisions(out)
        let a = try #require(decisions["en/a.wav"])
        #expect(a["status"] as? String == "accepted" && a["shard"] is String, "a keeps its place in the release")
        #expect(a["pcm_xxh3_128"] is NSNull)
        #expect(decisions["en/b.wav"]?["pcm_xxh3_128"] is String)
        let copy = try #require(decisions["en/c.flac"]?["detail"] as? String)
        #expect(copy.hasPrefix("duplicate: the same recording as en/a.wav (similarity 1.00"), "\(copy)")
        let record = try #require(try Ledger(output: out).clip(at: "en/a.wav"))
        #expect(try ClipAnalysis(record: record).lacksPCMIdentity)
    }
}
