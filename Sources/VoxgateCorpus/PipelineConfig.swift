import Foundation

/// Thresholds of the clip checks (`checks:` in a pipeline file).
public struct CheckConfig: Sendable, Hashable, Codable {
    /// Clips shorter than this are `too_short`.
    public var minDurationSeconds = 1.0
    /// Clips longer than this are `too_long`.
    public var maxDurationSeconds = 20.0
    /// Clips whose mono RMS is below this are `silent` (as are clips where no speech is detected).
    public var silenceRMSDBFS = -60.0
    /// Speech whose integrated loudness is below this is `too_quiet`.
    public var tooQuietLUFS = -42.0
    /// Speech whose integrated loudness is above this is `too_loud`.
    public var tooLoudLUFS = -12.0
    /// Clips with at least `clippedMinRuns` full-scale runs covering at least this fraction of samples are `clipped`.
    public var clippedRatio = 0.001
    public var clippedMinRuns = 3
    /// Speech whose estimated SNR is below this is `low_snr`.
    public var minSNRDB = 15.0
    /// Sentences longer than this many characters are `invalid_metadata` (a prompt is one sentence; Common
    /// Voice's longest are a few hundred characters).
    public var maxSentenceChars = 5_000
    /// The largest duration limit a pipeline file may set: one hour, far beyond a speech clip. The analyzer
    /// sizes its frame count and a FLAC re-encode held in memory by the maximum.
    public static let durationCap = 3600.0
    public init() {}
}

/// How accepted clips are stored in shards (`shards:`).
public struct ShardConfig: Sendable, Hashable, Codable {
    /// The audio member of each sample.
    public enum Audio: String, Sendable, CaseIterable, Codable {
        /// The uploaded bytes, unchanged (named by their content's extension).
        case original
        /// Lossless FLAC of the decoded samples, encoded with libFLAC.
        case flac
    }
    public var audio = Audio.original
    /// A shard is closed before it would exceed this many bytes (a single larger sample gets a shard of its own).
    public var maxBytes = 256 * 1024 * 1024
    /// A shard is closed after this many samples.
    public var maxSamples = 10_000
    /// libFLAC's compression preset, 0…8.
    public var flacCompressionLevel = 5
    /// Resample every released clip to this rate (libsoxr, sox's `rate -v` quality); nil keeps each clip's rate.
    public var sampleRate: Int?
    /// Downmix every released clip to this many channels (only 1: the mean of the channels, as the meters
    /// measure); nil keeps each clip's channels.
    public var channels: Int?
    /// Shard audio is re-encoded to a uniform format (FLAC at `sampleRate`/`channels`): either is set.
    public var isUniform: Bool { sampleRate != nil || channels != nil }
    public init() {}
}

/// How the run streams and schedules work (`run:`).
public struct RunConfig: Sendable, Hashable, Codable {
    /// Frames decoded per block; memory per clip in flight is proportional to it.
    public var blockFrames = 4096
    /// Clips in flight per decode worker (decoded, measured, waiting to be written in order).
    public var clipsInFlightPerJob = 4
    public init() {}
}

/// Terms of use and privacy (`terms:`).
public struct TermsConfig: Sendable, Hashable, Codable {
    /// Clips whose sidecar and community terms name no licence are `invalid_metadata`.
    public var requireLicense = true
    /// Demographic breakdowns (age, gender) are published for a language only when its released
    /// clips come from at least this many distinct speakers ("rule of five").
    public var minSpeakersForDemographics = 5
    public init() {}
}

/// Speaker-disjoint train/dev/test splits (`splits:`), as fractions of speakers.
public struct SplitConfig: Sendable, Hashable, Codable {
    public var train = 0.8
    public var dev = 0.1
    public var test = 0.1
    public init() {}
}

/// Which recordings count as duplicates beyond identical samples (`dedupe:`).
public struct DedupeConfig: Sendable, Hashable, Codable {
    /// A second recording of the same sentence by the same speaker is a `duplicate`.
    public var sameSpeakerSentence = true
    public init() {}
}

/// A whole pipeline file (`pipelines/default.yaml`).
public struct PipelineConfig: Sendable, Hashable, Codable {
    public var checks = CheckConfig()
    public var shards = ShardConfig()
    public var run = RunConfig()
    public var terms = TermsConfig()
    public var splits = SplitConfig()
    public var dedupe = DedupeConfig()
    /// How many reviewers' votes lift or impose a rejection (`review:`; see ``ReviewPolicy``).
    public var review = ReviewConfig()
    /// The file this configuration was read from, or nil for the built-in defaults.
    public var source: String?
    public init() {}

    /// `review` is left out: it only matters when votes exist, and then it is part of the run's inputs hash
    /// with the votes (so folders without votes keep their configuration hash).
    enum CodingKeys: String, CodingKey { case checks, shards, run, terms, splits, dedupe, source }
}

extension PipelineConfig {
    /// The settings that decide what a run outputs, as canonical JSON (sorted keys): two configurations
    /// with the same text decide every clip the same way. Leaves out `run` (worker tuning) and `source`.
    public var decisionText: String {
        var canonical = self
        canonical.run = RunConfig()
        canonical.source = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(canonical)) ?? Data(), as: UTF8.self)
    }
}
