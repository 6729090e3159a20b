import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgateOutputs
@testable import VoxgateRun

/// Whether python3 imports every module named.
func pythonHas(_ modules: String...) -> Bool {
    (try? TestSupport.run("python3", ["-c", "import " + modules.joined(separator: ", ")]).status) == 0
}

/// Uniform audio (`shards.sample_rate`, `shards.channels`) and the manifests of `<out>/manifests/`, read back
/// by `scripts/check-manifests.py`: Hugging Face `datasets` itself, and checkers of NeMo's and Lhotse's rules.
@Suite("Uniform audio and the Hugging Face, NeMo and Lhotse manifests", .serialized)
struct ReleaseManifestTests {
    static let haveSoundfile = pythonHas("soundfile")
    static let haveHuggingFace = pythonHas("datasets", "pyarrow", "soundfile", "librosa")

    static func uniformConfig() -> PipelineConfig {
        var config = PipelineConfig()
        config.shards.sampleRate = 16000
        config.shards.channels = 1
        config.shards.audio = .flac
        return config
    }

    static func ingestTestAudio(_ config: PipelineConfig) async throws -> String {
        let out = try TestSupport.temporaryFolder("voxgate-manifests")
        _ = try await Ingest.run(
            IngestOptions(root: TestSupport.testAudioUploads, output: out, config: config, jobs: 2))
        return out
    }

    /// Runs the checker; `huggingFace` also loads every split with `datasets`.
    static func check(_ out: String, huggingFace: Bool) throws -> (status: Int32, summary: [String: Any], text: String)
    {
        let r = try TestSupport.run(
            "python3", [TestSupport.packageRoot + "/scripts/check-manifests.py", out],
            environment: ["VOXGATE_CHECK_HF": huggingFace ? "1" : "0"])
        let summary = (try? JSONSerialization.jsonObject(with: Data(r.output.utf8))) as? [String: Any] ?? [:]
        return (r.status, summary, r.output + r.error.suffix(3000))
    }

    /// (language, split) → keys, from decisions.jsonl: what the manifests must list.
    static func released(_ out: String) throws -> [String: Set<String>] {
        var keys: [String: Set<String>] = [:]
        for d in try TestSupport.jsonLines(out + "/decisions.jsonl") {
            if let split = d["split"] as? String, let key = d["key"] as? String {
                keys["\(d["language"] as! String)/\(split)", default: []].insert(key)
            }
        }
        return keys
    }

    static func nemoKeys(_ out: String) throws -> [String: Set<String>] {
        var keys: [String: Set<String>] = [:]
        for path in try filesUnder(out + "/manifests").keys where path.hasSuffix(".json") && path.contains("/nemo/") {
            let parts = path.split(separator: "/")
            let name = "\(parts[0])/\(parts[2].dropLast(5))"
            keys[name] = Set(
                try TestSupport.jsonLines(out + "/manifests/" + path).map {
                    String(($0["audio_filepath"] as! String).prefix { $0 != "." })
                })
        }
        return keys
    }

    @Test(.enabled(if: haveSoundfile, "needs python3 with soundfile (scripts/setup --test)"))
    func uniformReleaseIsFLACAt16kMonoAndItsManifestsHoldToNeMoAndLhotseRules() async throws {
        let out = try await Self.ingestTestAudio(Self.uniformConfig())
        defer { TestSupport.remove(out) }
        let samples = try ShardReader.read(output: out).samples
        #expect(samples.count > 15)
        for (clip, s) in samples {
            #expect(s.audio == "flac" && s.sampleRate == 16000, "\(clip): \(s.audio) at \(s.sampleRate)")
            #expect(s.json["audio_sample_rate"] as? Int == 16000 && s.json["audio_channels"] as? Int == 1, "\(clip)")
            #expect(s.json["audio_frames"] as? Int == s.frames, "\(clip)")
            // The measured duration (of the upload) and the resampled member's agree to within a frame.
            let measured = s.json["duration_s"] as! Double
            #expect(
                abs(Double(s.frames) / 16000 - measured) <= 1.0 / 16000, "\(clip): \(s.frames) frames, \(measured) s")
        }
        // A stereo 44.1 kHz upload: measured as it came, released as 16 kHz mono.
        let stereo = try #require(samples["en/stereo-44k.flac"])
        #expect(stereo.json["channels"] as? Int == 2 && stereo.json["sample_rate"] as? Int == 44100)

        #expect(try Self.nemoKeys(out) == (try Self.released(out)))
        let r = try Self.check(out, huggingFace: false)
        #expect(r.status == 0, "\(r.text)")
        #expect(r.summary["nemo"] as? Int == samples.values.filter { $0.json["split"] is String }.count)
        #expect(r.summary["lhotse"] as? Int == r.summary["nemo"] as? Int)
        let hf =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/manifests/en/huggingface.json"))) as! [String: Any]
        #expect(hf["loadable"] as? Bool == true)
    }

    @Test(
        .enabled(
            if: haveHuggingFace, "needs python3 with datasets<4, pyarrow, soundfile, librosa (scripts/setup --test)"))
    func huggingFaceDatasetsLoadsEverySplitAndDecodesEverySample() async throws {
        let out = try await Self.ingestTestAudio(Self.uniformConfig())
        defer { TestSupport.remove(out) }
        let r = try Self.check(out, huggingFace: true)
        #expect(r.status == 0, "\(r.text)")
        let expected = try Self.released(out).values.reduce(0) { $0 + $1.count }
        #expect(r.summary["hf"] as? Int == expected, "\(r.text)")
    }

    @Test(.enabled(if: haveSoundfile, "needs python3 with soundfile (scripts/setup --test)"))
    func defaultReleaseKeepsUploadsAsTheyCameAndSaysHuggingFaceCannotLoadIt() async throws {
        let out = try await Self.ingestTestAudio(PipelineConfig())
        defer { TestSupport.remove(out) }
        let samples = try ShardReader.read(output: out).samples
        #expect(samples.values.contains { $0.audio == "mp3" })
        for (clip, s) in samples { #expect(s.json["audio_sample_rate"] == nil, "\(clip)") }
        #expect(try Self.nemoKeys(out) == (try Self.released(out)))
        let hf =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/manifests/en/huggingface.json"))) as! [String: Any]
        #expect(hf["loadable"] as? Bool == false)
        #expect((hf["why_not"] as? String)?.contains("shards.audio: flac") == true)
        let r = try Self.check(out, huggingFace: Self.haveHuggingFace)
        #expect(r.status == 0, "\(r.text)")
    }

    @Test(.enabled(if: haveSoundfile, "needs python3 with soundfile (scripts/setup --test)"))
    func withdrawalsRemoveManifestEntriesAndTheCheckerCatchesAWrongDuration() async throws {
        let corpus = try CorpusFixture.standard()  // spk-1 recorded en/two.flac and de/eins.wav
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-manifests")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(LedgerTests.options(corpus, out, config: Self.uniformConfig()))
        let before = try LedgerTests.decisions(out)
        let withdrawn = try ["en/two.flac", "de/eins.wav"].map { try #require(before[$0]?["key"] as? String) }
        #expect(try Self.nemoKeys(out).values.contains { $0.contains(withdrawn[0]) })

        var options = LedgerTests.options(corpus, out, config: Self.uniformConfig())
        options.withdraw = ["spk-1"]
        _ = try await Ingest.run(options)
        #expect(try Self.nemoKeys(out) == (try Self.released(out)))
        for (name, data) in try filesUnder(out + "/manifests") {
            let text =
                name.hasSuffix(".gz")
                ? try TestSupport.must("gzip", ["-dc", out + "/manifests/" + name])
                : String(decoding: data, as: UTF8.self)
            for key in withdrawn { #expect(!text.contains(key), "\(key) still in \(name)") }
        }
        var r = try Self.check(out, huggingFace: false)
        #expect(r.status == 0, "\(r.text)")

        // A manifest whose duration is not the audio's fails the checker.
        let path =
            out + "/manifests/en/nemo/"
            + (try #require(try filesUnder(out + "/manifests/en/nemo").keys.first { $0.hasSuffix(".json") }))
        var lines = try TestSupport.jsonLines(path)
        lines[0]["duration"] = (lines[0]["duration"] as! Double) + 0.5
        try TestSupport.write(
            lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(
                separator: "\n") + "\n",
            to: path)
        r = try Self.check(out, huggingFace: false)
        #expect(r.status != 0 && r.text.contains("decodes to"), "\(r.text)")
    }

    @Test func mergedUniformPartitionsEqualASingleUniformRun() async throws {
        let corpus = try MergeTests.corpus()
        let dir = try TestSupport.temporaryFolder("voxgate-merge-uniform")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try MergeTests.key(dir)
        var config = Self.uniformConfig()
        config.shards.maxSamples = 2
        _ = try await Ingest.run(
            IngestOptions(root: corpus.root, output: dir + "/single", config: config, jobs: 2, speakerKeyPath: key))
        var parts: [String] = []
        for i in 0..<2 {
            var options = IngestOptions(
                root: corpus.root, output: dir + "/part-\(i)", config: config, jobs: 2, speakerKeyPath: key)
            options.partition = Partition(index: i, count: 2)
            _ = try await Ingest.run(options)
            parts.append(dir + "/part-\(i)")
        }
        _ = try await Merge.run(MergeOptions(partitions: parts, output: dir + "/merged", jobs: 2, speakerKeyPath: key))
        let expected = try MergeTests.release(dir + "/single")
        let got = try MergeTests.release(dir + "/merged")
        #expect(got.keys.sorted() == expected.keys.sorted())
        #expect(expected.keys.contains { $0.hasPrefix("manifests/") && $0.hasSuffix(".jsonl.gz") })
        for (path, bytes) in expected { #expect(got[path] == bytes, "\(path) differs from the single run") }
    }

    @Test func tarredAudioFilepathsAreNeMoBraceRanges() {
        let shards = [
            "shards/en/en-CC0-1.0-000000.tar", "shards/en/en-CC0-1.0-000001.tar", "shards/en/en-CC0-1.0-000002.tar",
            "shards/en/en-CC0-1.0-000005.tar", "shards/en/en-CC-BY-4.0-000000.tar",
        ]
        #expect(
            NeMoManifest.tarredAudioFilepaths(shards)
                == "_OP_shards/en/en-CC-BY-4.0-000000.tar,shards/en/en-CC0-1.0-_OP_000000..000002_CL_.tar,"
                + "shards/en/en-CC0-1.0-000005.tar_CL_")
        #expect(
            NeMoManifest.tarredAudioFilepaths([shards[0], shards[1]])
                == "shards/en/en-CC0-1.0-_OP_000000..000001_CL_.tar")
        #expect(NeMoManifest.tarredAudioFilepaths([shards[3]]) == "shards/en/en-CC0-1.0-000005.tar")
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 200_000])
    func gzipOfStoredBlocksIsReadByGzip(size: Int) throws {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        let folder = try TestSupport.temporaryFolder("voxgate-gzip")
        defer { TestSupport.remove(folder) }
        try Data(Gzip.stored(data)).write(to: URL(fileURLWithPath: folder + "/x.gz"))
        try TestSupport.must("gzip", ["-t", folder + "/x.gz"])
        try TestSupport.must("gzip", ["-d", folder + "/x.gz"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/x")) == Data(data))
    }
}
