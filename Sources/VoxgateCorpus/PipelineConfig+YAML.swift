import Foundation
import VoxgateAudio
import Yams

/// A pipeline file that cannot be used. Names the file and the key; never replaced by a silent default.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    /// Dotted key path, e.g. `checks.min_duration_s`.
    public var key: String?
    public var message: String
    public var description: String {
        "\(file): " + (key.map { "\($0): " } ?? "") + message
    }
}

extension ConfigError {
    /// A parser's error as text of at most `limit` characters: YAML errors quote the offending line, which
    /// can be any length.
    public static func excerpt(_ error: any Error, limit: Int = 400) -> String {
        let text = "\(error)"
        guard text.count > limit else { return text }
        return text.prefix(limit) + "… (\(text.count - limit) more characters)"
    }
}

extension PipelineConfig {
    /// Reads a pipeline file. Every key is optional; an unknown key, a wrong type or an impossible
    /// value is an error that names the key and the file.
    public static func load(path: String) throws(ConfigError) -> PipelineConfig {
        let data: Data
        do { data = try RegularFile.contents(path, limit: maxFileBytes) } catch {
            throw ConfigError(file: path, message: "cannot read this pipeline file: \(error.message)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "cannot read this pipeline file (not UTF-8)")
        }
        return try parse(yaml: text, file: path)
    }

    /// The largest pipeline file parsed: a few settings take a few kB (pipelines/default.yaml, with its comments,
    /// is 3 kB); YAML parsing time grows with the text, so a larger file is refused before it is parsed.
    public static let maxFileBytes = 64 * 1024

    /// Parses pipeline YAML; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> PipelineConfig {
        guard yaml.utf8.count <= maxFileBytes else {
            throw ConfigError(
                file: file,
                message:
                    "is \(yaml.utf8.count) bytes, more than the \(maxFileBytes) a pipeline file may have; it was not "
                    + "parsed: check that --pipeline names the pipeline file (a few settings, see pipelines/default.yaml)"
            )
        }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw ConfigError(file: file, message: "is not valid YAML: \(ConfigError.excerpt(error))")
        }
        var config = PipelineConfig()
        config.source = file
        guard let node else { return config }  // an empty file: all defaults
        let reader = Reader(file: file)
        let top = try reader.mapping(
            node, key: nil, allowed: ["checks", "shards", "run", "terms", "splits", "dedupe", "review"])
        if let checks = top["checks"] {
            let m = try reader.mapping(
                checks, key: "checks",
                allowed: [
                    "min_duration_s", "max_duration_s", "silence_rms_dbfs", "too_quiet_lufs", "too_loud_lufs",
                    "clipped_ratio", "clipped_min_runs", "min_snr_db", "max_sentence_chars",
                ])
            var c = config.checks
            // Capped: the analyzer sizes its frame count (and a FLAC re-encode held in memory) by the maximum.
            if let v = m["min_duration_s"] {
                c.minDurationSeconds = try reader.double(
                    v, "checks.min_duration_s", min: 0, max: CheckConfig.durationCap)
            }
            if let v = m["max_duration_s"] {
                c.maxDurationSeconds = try reader.double(
                    v, "checks.max_duration_s", min: 0, max: CheckConfig.durationCap)
            }
            if let v = m["silence_rms_dbfs"] {
                c.silenceRMSDBFS = try reader.double(v, "checks.silence_rms_dbfs", min: -200, max: 0)
            }
            if let v = m["too_quiet_lufs"] {
                c.tooQuietLUFS = try reader.double(v, "checks.too_quiet_lufs", min: -70, max: 0)
            }
            if let v = m["too_loud_lufs"] {
                c.tooLoudLUFS = try reader.double(v, "checks.too_loud_lufs", min: -70, max: 10)
            }
            if let v = m["clipped_ratio"] {
                c.clippedRatio = try reader.double(v, "checks.clipped_ratio", min: 0, max: 1)
            }
            if let v = m["clipped_min_runs"] {
                c.clippedMinRuns = try reader.int(v, "checks.clipped_min_runs", min: 1, max: 1_000_000)
            }
            if let v = m["min_snr_db"] { c.minSNRDB = try reader.double(v, "checks.min_snr_db", min: -20, max: 100) }
            if let v = m["max_sentence_chars"] {
                c.maxSentenceChars = try reader.int(v, "checks.max_sentence_chars", min: 1, max: 100_000)
            }
            guard c.maxDurationSeconds > c.minDurationSeconds else {
                throw ConfigError(
                    file: file, key: "checks.max_duration_s",
                    message: "must be greater than checks.min_duration_s (\(c.minDurationSeconds))")
            }
            guard c.tooLoudLUFS > c.tooQuietLUFS else {
                throw ConfigError(
                    file: file, key: "checks.too_loud_lufs",
                    message: "must be greater than checks.too_quiet_lufs (\(c.tooQuietLUFS))")
            }
            config.checks = c
        }
        if let shards = top["shards"] {
            let m = try reader.mapping(
                shards, key: "shards",
                allowed: ["audio", "max_bytes", "max_samples", "flac_compression_level", "sample_rate", "channels"])
            if let v = m["audio"] {
                let s = try reader.string(v, "shards.audio")
                guard let audio = ShardConfig.Audio(rawValue: s) else {
                    throw ConfigError(
                        file: file, key: "shards.audio",
                        message: "'\(s)' is not one of: "
                            + ShardConfig.Audio.allCases.map(\.rawValue).joined(separator: ", "))
                }
                config.shards.audio = audio
            }
            if let v = m["max_bytes"] { config.shards.maxBytes = try reader.int(v, "shards.max_bytes", min: 1 << 20) }
            if let v = m["max_samples"] { config.shards.maxSamples = try reader.int(v, "shards.max_samples", min: 1) }
            if let v = m["flac_compression_level"] {
                config.shards.flacCompressionLevel = try reader.int(v, "shards.flac_compression_level", min: 0, max: 8)
            }
            if let v = m["sample_rate"] {
                config.shards.sampleRate = try reader.int(v, "shards.sample_rate", min: 8000, max: 192_000)
            }
            if let v = m["channels"] {
                let channels = try reader.int(v, "shards.channels", min: 1, max: 8)
                guard channels == 1 else {
                    throw ConfigError(
                        file: file, key: "shards.channels",
                        message: "\(channels) is not supported: 1 downmixes every clip to mono; "
                            + "remove the key to keep each clip's channels")
                }
                config.shards.channels = channels
            }
            if config.shards.isUniform, m["audio"] != nil, config.shards.audio != .flac {
                throw ConfigError(
                    file: file, key: "shards.audio",
                    message: "shards.sample_rate and shards.channels re-encode the audio to FLAC; "
                        + "set shards.audio: flac (or remove shards.audio)")
            }
            if config.shards.isUniform { config.shards.audio = .flac }
        }
        if let run = top["run"] {
            let m = try reader.mapping(run, key: "run", allowed: ["block_frames", "clips_in_flight_per_job"])
            if let v = m["block_frames"] {
                config.run.blockFrames = try reader.int(v, "run.block_frames", min: 256, max: 1 << 20)
            }
            if let v = m["clips_in_flight_per_job"] {
                config.run.clipsInFlightPerJob = try reader.int(v, "run.clips_in_flight_per_job", min: 1, max: 1024)
            }
        }
        if let terms = top["terms"] {
            let m = try reader.mapping(
                terms, key: "terms", allowed: ["require_license", "min_speakers_for_demographics"])
            if let v = m["require_license"] {
                config.terms.requireLicense = try reader.bool(v, "terms.require_license")
            }
            if let v = m["min_speakers_for_demographics"] {
                config.terms.minSpeakersForDemographics = try reader.int(
                    v, "terms.min_speakers_for_demographics", min: 1, max: 1_000_000)
            }
        }
        if let dedupe = top["dedupe"] {
            let m = try reader.mapping(dedupe, key: "dedupe", allowed: ["same_speaker_sentence"])
            if let v = m["same_speaker_sentence"] {
                config.dedupe.sameSpeakerSentence = try reader.bool(v, "dedupe.same_speaker_sentence")
            }
        }
        if let review = top["review"] {
            let m = try reader.mapping(review, key: "review", allowed: ["accept_votes", "reject_votes"])
            if let v = m["accept_votes"] {
                config.review.acceptVotes = try reader.int(v, "review.accept_votes", min: 1, max: 1_000)
            }
            if let v = m["reject_votes"] {
                config.review.rejectVotes = try reader.int(v, "review.reject_votes", min: 1, max: 1_000)
            }
        }
        if let splits = top["splits"] {
            let m = try reader.mapping(splits, key: "splits", allowed: ["train", "dev", "test"])
            if let v = m["train"] { config.splits.train = try reader.double(v, "splits.train", min: 0, max: 1) }
            if let v = m["dev"] { config.splits.dev = try reader.double(v, "splits.dev", min: 0, max: 1) }
            if let v = m["test"] { config.splits.test = try reader.double(v, "splits.test", min: 0, max: 1) }
            let sum = config.splits.train + config.splits.dev + config.splits.test
            guard abs(sum - 1) < 1e-9 else {
                throw ConfigError(
                    file: file, key: "splits", message: "train + dev + test must be 1 (they add up to \(sum))")
            }
        }
        return config
    }
}

/// Typed access to a YAML node tree with errors that name file and key.
private struct Reader {
    let file: String

    func fail(_ key: String?, _ message: String) -> ConfigError { ConfigError(file: file, key: key, message: message) }

    func mapping(_ node: Node, key: String?, allowed: Set<String>) throws(ConfigError) -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(key, "must be a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (k, v) in mapping {
            guard let name = k.string else { throw fail(key, "has a key that is not a string") }
            let path = key.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                throw fail(path, "unknown key; known keys here are: " + allowed.sorted().joined(separator: ", "))
            }
            guard result[name] == nil else { throw fail(path, "appears twice") }
            result[name] = v
        }
        return result
    }

    func scalar(_ node: Node, _ key: String) throws(ConfigError) -> Node.Scalar {
        guard let s = node.scalar else { throw fail(key, "must be a single value, not a list or mapping") }
        return s
    }

    func double(_ node: Node, _ key: String, min: Double = -.infinity, max: Double = .infinity) throws(ConfigError)
        -> Double
    {
        let s = try scalar(node, key)
        guard s.style == .plain, let v = Double(s.string), v.isFinite else {
            throw fail(key, "must be a number, not '\(s.string)'")
        }
        guard v >= min, v <= max else { throw fail(key, "\(v) is out of range \(min)…\(max)") }
        return v
    }

    func int(_ node: Node, _ key: String, min: Int = .min, max: Int = .max) throws(ConfigError) -> Int {
        let s = try scalar(node, key)
        let text = s.string.replacingOccurrences(of: "_", with: "")
        guard s.style == .plain, let v = Int(text) else { throw fail(key, "must be a whole number, not '\(s.string)'") }
        guard v >= min, v <= max else { throw fail(key, "\(v) is out of range \(min)…\(max)") }
        return v
    }

    func bool(_ node: Node, _ key: String) throws(ConfigError) -> Bool {
        let s = try scalar(node, key)
        switch (s.style, s.string) {
        case (.plain, "true"): return true
        case (.plain, "false"): return false
        default: throw fail(key, "must be true or false, not '\(s.string)'")
        }
    }

    func string(_ node: Node, _ key: String) throws(ConfigError) -> String {
        try scalar(node, key).string
    }
}
