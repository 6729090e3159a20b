import Foundation
import Testing
import VoxgateCorpus
import VoxgateOutputs
import VoxgateRun

@Suite("TestAudio: every fixture gets its expected decision", .serialized)
struct TestAudioTests {
    static func ingest(audio: ShardConfig.Audio = .original) async throws -> (String, [String: [String: Any]]) {
        let out = try TestSupport.temporaryFolder("voxgate-testaudio")
        var config = PipelineConfig()
        config.shards.audio = audio
        _ = try await Ingest.run(
            IngestOptions(root: TestSupport.testAudioUploads, output: out, config: config, jobs: 2))
        let lines = try TestSupport.jsonLines(out + "/decisions.jsonl")
        return (out, Dictionary(uniqueKeysWithValues: lines.map { ($0["clip"] as! String, $0) }))
    }

    @Test func decisionsMatchExpectedTSV() async throws {
        let (out, decisions) = try await Self.ingest()
        defer { TestSupport.remove(out) }
        let rows = try String(contentsOfFile: TestSupport.packageRoot + "/TestAudio/expected.tsv", encoding: .utf8)
            .split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == decisions.count, "one decision per audio file")
        for row in rows {
            guard let d = decisions[row[0]] else {
                Issue.record("no decision for \(row[0])")
                continue
            }
            #expect(d["status"] as? String == row[1], "\(row[0])")
            #expect((d["reasons"] as? [String])?.joined(separator: ",") == row[2], "\(row[0]): \(d["detail"] ?? "")")
            #expect((d["duplicate_of"] as? String ?? "") == row[3], "\(row[0])")
        }
        // Every reason code this stage owns appears.
        let seen = Set(decisions.values.flatMap { $0["reasons"] as! [String] })
        for code in [
            "decode_error", "too_short", "too_long", "silent", "duplicate", "no_consent",
            "consent_withdrawn", "invalid_metadata", "unknown_language", "language_mismatch", "too_quiet", "too_loud",
            "clipped", "low_snr",
        ] {
            #expect(seen.contains(code), "\(code) missing from TestAudio")
        }
    }

    @Test func detailsNameTheCause() async throws {
        let (out, d) = try await Self.ingest()
        defer { TestSupport.remove(out) }
        func detail(_ clip: String) -> String { d[clip]?["detail"] as? String ?? "" }
        #expect(detail("en/truncated.wav").contains("header declares"))
        #expect(detail("en/empty.wav").contains("no audio frames"))
        #expect(detail("en/corrupt.mp3").contains("not a recognised audio format"))
        #expect(detail("en/garbage.flac").contains("looks like flac"))
        #expect(detail("en/broken.webm").contains("WebM:") && detail("en/broken.webm").contains("truncated"))
        #expect(detail("en/safari.m4a").contains("MP4/AAC"))
        #expect(d["en/recording.webm"]?["format"] as? String == "webm/opus")
        #expect(detail("en/missing-client.flac").contains("client_id"))
        #expect(detail("en/withdrawn.flac").contains("withdrawals.txt"))
        #expect(detail("en/too-long.mp3").contains("20.0 s maximum"))
        #expect(d["en/flac-named-wav.wav"]?["format"] as? String == "flac/pcm_16")
        #expect(d["en/stereo-44k.flac"]?["channels"] as? Int == 2)
        #expect(d["en/stereo-44k.flac"]?["sample_rate"] as? Int == 44100)
        #expect(d["en/café noir.wav"]?["status"] as? String == "accepted")  // NFC key for an NFD file
        #expect(d["en/opus.opus"]?["sample_rate"] as? Int == 48000)
        #expect(d["en/mp3.mp3"]?["sample_rate"] as? Int == 32000)
    }

    @Test(arguments: [ShardConfig.Audio.original, .flac])
    func acceptedClipsAreReadBackFromShards(audio: ShardConfig.Audio) async throws {
        let (out, decisions) = try await Self.ingest(audio: audio)
        defer { TestSupport.remove(out) }
        let shards = try ShardReader.read(output: out)
        let accepted = decisions.values.filter { $0["status"] as? String == "accepted" }
        #expect(shards.samples.count == accepted.count)
        for d in accepted {
            let clip = d["clip"] as! String
            let s = try #require(shards.samples[clip], "\(clip) missing from the shards")
            #expect(s.frames == d["frames"] as? Int, "\(clip)")
            #expect(s.sampleRate == d["sample_rate"] as? Int, "\(clip)")
            #expect(!s.key.contains("."))
            if audio == .flac { #expect(s.audio == "flac") }
        }
        if audio == .original {
            #expect(shards.samples["en/flac-named-wav.wav"]?.audio == "flac")  // named by content
            #expect(shards.samples["en/opus.opus"]?.audio == "opus")
            #expect(shards.samples["de/rosen.flac"]?.json["license"] as? String == "CC-BY-4.0")
        }
    }
}
