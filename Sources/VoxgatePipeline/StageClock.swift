import Foundation

/// A per-stage CPU clock for the decode-and-measure workers, for benchmarks (issue 18's per-stage budget).
///
/// Off unless the environment sets `VOXGATE_STAGE_CLOCK=1`: then ``ClipAnalyzer`` reads the calling thread's
/// CPU time (CLOCK_THREAD_CPUTIME_ID, so other processes on a shared machine do not count) around each stage
/// of each clip, sums them per clip in a local ``StageTimes`` and adds that to the process-wide total once per
/// clip. When off, each stage costs one test of a constant.
public enum StageClock {
    /// The stages a worker spends a clip's CPU time in.
    public enum Stage: Int, CaseIterable, Sendable {
        /// Opening the file, recognising its content and the decoder's own work (libsndfile, mpg123, libopus…).
        case decode
        /// The mix-down and every signal meter (level, K-weighted loudness, true peak, clipping, speech/SNR).
        case meters
        /// The speech fingerprint (resampling to 8 kHz, FFT, bands).
        case fingerprint
        /// XXH3-128 of the decoded samples (the clip's sound identity, ``PCMDigest``).
        case pcmHash
        /// SHA-256 of the file's bytes.
        case fileHash
        /// Sidecar reading, consent, language (catalog, script, text LID) and terms checks.
        case metadata
        /// The shard's FLAC (re-)encoding, when one is made.
        case shardEncode
        /// Everything else a worker does for a clip (buffers, decisions, results).
        case otherAnalysis

        public var name: String {
            switch self {
            case .decode: "decode"
            case .meters: "meters"
            case .fingerprint: "fingerprint"
            case .pcmHash: "pcm_xxh3"
            case .fileHash: "file_sha256"
            case .metadata: "metadata_lid"
            case .shardEncode: "shard_flac"
            case .otherAnalysis: "other_analysis"
            }
        }
    }

    /// Whether the clock runs (read once, at first use).
    public static let isEnabled = ProcessInfo.processInfo.environment["VOXGATE_STAGE_CLOCK"] == "1"

    /// The calling thread's CPU time in nanoseconds (0 when the clock is off).
    @inline(__always)
    static func now() -> UInt64 {
        guard isEnabled else { return 0 }
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var totals = StageTimes()

    static func add(_ times: StageTimes) {
        guard isEnabled else { return }
        lock.lock()
        defer { lock.unlock() }
        totals.add(times)
    }

    /// The CPU nanoseconds every worker spent in each stage so far, and the decoded samples (frames × channels).
    public static func snapshot() -> StageTimes {
        lock.lock()
        defer { lock.unlock() }
        return totals
    }
}

/// CPU nanoseconds per ``StageClock/Stage``, and the samples decoded (no allocation: one vector).
public struct StageTimes: Sendable {
    public var nanoseconds = SIMD8<UInt64>()
    public var samples = 0
    public var clips = 0

    public init() {}

    /// Adds the time since `start` to `stage` and returns the clock's new reading (the next stage's start).
    @inline(__always)
    @discardableResult
    mutating func lap(_ stage: StageClock.Stage, since start: UInt64) -> UInt64 {
        guard StageClock.isEnabled else { return 0 }
        let t = StageClock.now()
        nanoseconds[stage.rawValue] &+= t &- start
        return t
    }

    mutating func add(_ other: StageTimes) {
        nanoseconds &+= other.nanoseconds
        samples += other.samples
        clips += other.clips
    }

    public subscript(stage: StageClock.Stage) -> UInt64 { nanoseconds[stage.rawValue] }
}
