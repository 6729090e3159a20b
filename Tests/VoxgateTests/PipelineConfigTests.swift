import Foundation
import Testing
import VoxgateCorpus

@Suite("Pipeline files: strict, with errors that name the key and the file")
struct PipelineConfigTests {
    @Test func defaultFileSpellsOutTheBuiltInDefaults() throws {
        var fromFile = try PipelineConfig.load(path: TestSupport.packageRoot + "/pipelines/default.yaml")
        fromFile.source = nil
        #expect(fromFile == PipelineConfig())
    }

    @Test func valuesAreRead() throws {
        let c = try PipelineConfig.parse(
            yaml: """
                checks: {min_duration_s: 0.5, max_duration_s: 30, silence_rms_dbfs: -70}
                shards: {audio: flac, max_bytes: 2_000_000, max_samples: 3, flac_compression_level: 8}
                run: {block_frames: 1024, clips_in_flight_per_job: 2}
                """, file: "p.yaml")
        #expect(c.checks.minDurationSeconds == 0.5 && c.checks.maxDurationSeconds == 30)
        #expect(c.checks.silenceRMSDBFS == -70)
        #expect(c.shards.audio == .flac && c.shards.maxBytes == 2_000_000 && c.shards.maxSamples == 3)
        #expect(c.shards.flacCompressionLevel == 8)
        #expect(c.run.blockFrames == 1024 && c.run.clipsInFlightPerJob == 2)
    }

    @Test func uniformAudioIsReadAndImpliesFLAC() throws {
        let c = try PipelineConfig.parse(yaml: "shards: {sample_rate: 16000, channels: 1}", file: "p.yaml")
        #expect(c.shards.sampleRate == 16000 && c.shards.channels == 1 && c.shards.audio == .flac && c.shards.isUniform)
        #expect(!PipelineConfig().shards.isUniform)
    }

    @Test func emptyFileMeansDefaults() throws {
        var c = try PipelineConfig.parse(yaml: "", file: "empty.yaml")
        c.source = nil
        #expect(c == PipelineConfig())
    }

    @Test(arguments: [
        ("checks: {min_duration: 1}", "checks.min_duration", "unknown key"),
        ("chekcs: {}", "chekcs", "unknown key"),
        ("checks: {min_duration_s: one}", "checks.min_duration_s", "must be a number"),
        ("checks: {min_duration_s: '1.0'}", "checks.min_duration_s", "must be a number"),
        ("checks: {min_duration_s: -1}", "checks.min_duration_s", "out of range"),
        ("checks: {min_duration_s: 5, max_duration_s: 2}", "checks.max_duration_s", "greater than"),
        ("checks: {silence_rms_dbfs: 3}", "checks.silence_rms_dbfs", "out of range"),
        ("shards: {audio: mp3}", "shards.audio", "not one of"),
        ("shards: {max_bytes: 10}", "shards.max_bytes", "out of range"),
        ("shards: {max_samples: 2.5}", "shards.max_samples", "whole number"),
        ("shards: {flac_compression_level: 9}", "shards.flac_compression_level", "out of range"),
        ("shards: [1, 2]", "shards", "must be a mapping"),
        ("shards: {sample_rate: 4000}", "shards.sample_rate", "out of range"),
        ("shards: {channels: 2}", "shards.channels", "not supported"),
        ("shards: {audio: original, sample_rate: 16000}", "shards.audio", "set shards.audio: flac"),
        ("run: {block_frames: [1]}", "run.block_frames", "single value"),
        ("terms: {require_license: yes}", "terms.require_license", "true or false"),
        ("checks: {too_quiet_lufs: -20, too_loud_lufs: -30}", "checks.too_loud_lufs", "greater than"),
        ("checks: {min_snr_db: high}", "checks.min_snr_db", "must be a number"),
        ("checks: {clipped_ratio: 2}", "checks.clipped_ratio", "out of range"),
        ("terms: {min_speakers_for_demographics: 0}", "terms.min_speakers_for_demographics", "out of range"),
        ("splits: {train: 0.9, dev: 0.1, test: 0.1}", "splits", "must be 1"),
        ("splits: {holdout: 0.1}", "splits.holdout", "unknown key"),
    ])
    func badValuesAreErrorsNamingKeyAndFile(yaml: String, key: String, words: String) {
        do {
            _ = try PipelineConfig.parse(yaml: yaml, file: "pipelines/bad.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.key == key)
            #expect(error.description.hasPrefix("pipelines/bad.yaml: \(key): "), "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test func invalidYAMLAndMissingFilesAreErrors() {
        #expect(throws: ConfigError.self) { try PipelineConfig.parse(yaml: "checks: {a: [", file: "x.yaml") }
        #expect(throws: ConfigError.self) { try PipelineConfig.load(path: "/nonexistent/pipeline.yaml") }
    }

    /// A pipeline file over 64 KiB is refused before YAML parsing (whose time grows with the text), saying why;
    /// one just under the cap is parsed.
    @Test func aHugePipelineFileIsRefusedUnparsed() throws {
        let comment = "# " + String(repeating: "x", count: 77) + "\n"
        let under =
            String(repeating: comment, count: (PipelineConfig.maxFileBytes - 64) / comment.utf8.count)
            + "checks:\n  min_duration_s: 2\n"
        #expect(under.utf8.count <= PipelineConfig.maxFileBytes)
        #expect(try PipelineConfig.parse(yaml: under, file: "p.yaml").checks.minDurationSeconds == 2)
        let over = under + String(repeating: comment, count: 1)
        do {
            _ = try PipelineConfig.parse(yaml: over, file: "p.yaml")
            Issue.record("a \(over.utf8.count)-byte pipeline file was parsed")
        } catch {
            #expect(error.description.hasPrefix("p.yaml: is \(over.utf8.count) bytes, more than the 65536"), "\(error)")
            #expect(error.message.contains("check that --pipeline names the pipeline file"), "\(error)")
        }
    }
}
