import Foundation

/// A per-stage CPU clock for the decode-and-measure workers and the run's consumer, for benchmarks (issue 18's
/// per-stage budget).
///
/// Off unless the environment sets `VOXGATE_STAGE_CLOCK=1`: then ``ClipAnalyzer`` reads the calling thread's
/// CPU time (CLOCK_THREAD_CPUTIME_ID, so other processes on a shared machine do not count) around each stage
/// of each clip, sums them per clip in a local ``StageTimes`` and adds that to the process-wide total once per
/// clip; the consumer's stages (duplicates, shard writing, ledger) are timed the same way around each call
/// (``measure(_:_:)``), the release files with the whole process's CPU time (they are written after the workers
/// stop, partly on other threads). When off, each stage costs one test of a constant.
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
        /// Exact and near-duplicate decisions (the duplicate index), in path order on the consumer.
        case duplicates
        /// Writing accepted clips' audio and metadata into shards (tar members, their SHA-256 check).
        case shardWrite
        /// The ledger: each clip's record (its analysis JSON) and the run's commit.
        case ledger
        /// The release files after the commit: decisions, totals, splits, manifests, datasheets, their hashes.
        case releaseFiles

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
            case .duplicates: "duplicates"
            case .shardWrite: "shard_write"
            case .ledger: "ledger"
            case .releaseFiles: "release_files"
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

    /// The whole process's CPU time in nanoseconds (0 when the clock is off).
    static func processNow() -> UInt64 {
        guard isEnabled else { return 0 }
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Runs `body` and adds the CPU time it took to `stage`: the calling thread's (`body` must not wait for other
    /// threads' work), or with `wholeProcess` every thread's (for a phase nothing else runs beside).
    @inline(__always)
    public static func measure<T, E: Error>(
        _ stage: Stage, wholeProcess: Bool = false, _ body: () throws(E) -> T
    ) throws(E) -> T {
        guard isEnabled else { return try body() }
        let start = wholeProcess ? processNow() : now()
        defer {
            var times = StageTimes()
            times.nanoseconds[stage.rawValue] = (wholeProcess ? processNow() : now()) &- start
            add(times)
        }
        return try body()
    }

    /// ``measure(_:wholeProcess:_:)`` for an asynchronous phase (timed with the whole process's CPU time).
    public static func measureProcess<T>(_ stage: Stage, _ body: () async throws -> T) async rethrows -> T {
        guard isEnabled else { return try await body() }
        let start = processNow()
        defer {
            var times = StageTimes()
            times.nanoseconds[stage.rawValue] = processNow() &- start
            add(times)
        }
        return try await body()
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
    public var nanoseconds = SIMD16<UInt64>()
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
