/// Thresholds of the clip checks (`checks:` in a pipeline file).
public struct CheckConfig: Sendable, Hashable {
    /// Clips shorter than this are `too_short`.
    public var minDurationSeconds = 1.0
    /// Clips longer than this are `too_long`.
    public var maxDurationSeconds = 20.0
    /// Clips whose mono RMS is below this are `silent`.
    public var silenceRMSDBFS = -60.0
    public init() {}
}

/// How accepted clips are stored in shards (`shards:`).
public struct ShardConfig: Sendable, Hashable {
    /// The audio member of each sample.
    public enum Audio: String, Sendable, CaseIterable {
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
    public init() {}
}

/// How the run streams and schedules work (`run:`).
public struct RunConfig: Sendable, Hashable {
    /// Frames decoded per block; memory per clip in flight is proportional to it.
    public var blockFrames = 4096
    /// Clips in flight per decode worker (decoded, measured, waiting to be written in order).
    public var clipsInFlightPerJob = 4
    public init() {}
}

/// A whole pipeline file (`pipelines/default.yaml`).
public struct PipelineConfig: Sendable, Hashable {
    public var checks = CheckConfig()
    public var shards = ShardConfig()
    public var run = RunConfig()
    /// The file this configuration was read from, or nil for the built-in defaults.
    public var source: String?
    public init() {}
}
