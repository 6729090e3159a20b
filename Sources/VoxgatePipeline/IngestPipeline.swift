import Dispatch
public import VoxgateCorpus

/// The staged run: decode+measure in parallel workers, then decide duplicates and hand each final
/// outcome, in path order, to one consumer (the writers).
///
/// At most `jobs` clips are being decoded at once and at most `jobs × clipsInFlightPerJob` are
/// between decoding and the consumer, so peak memory depends on those numbers and on the longest
/// acceptable clip, never on the size of the corpus. The consumer sees the same sequence whatever
/// `jobs` is: outputs are deterministic.
public struct IngestPipeline: Sendable {
    public var clips: ClipList
    /// For each clip, an earlier run's analysis when its file is unchanged (it is then not decoded); empty: none.
    public var earlier: [ClipAnalysis?]
    /// The clips (indices) an earlier run released: their audio is in a shard already.
    public var released: Set<Int> = []
    /// Shard audio already at hand, by clip index (a merge's partition shard members).
    public var audio: [Int: ShardAudio] = [:]
    public var analyzer: ClipAnalyzer
    public var jobs: Int
    public var window: Int

    /// - Parameters:
    ///   - clips: the clips to process, in path order.
    ///   - earlier: aligned with `clips`: the analysis to reuse instead of decoding, or nil (empty: none).
    ///   - jobs: decode workers (≥ 1).
    public init(
        clips: ClipList, earlier: [ClipAnalysis?] = [], config: PipelineConfig, withdrawals: Withdrawals,
        communityTerms: [String: Terms] = [:], reviews: [String: ReviewTally] = [:], speakerIDs: SpeakerIDs = .asRead,
        jobs: Int
    ) {
        precondition(jobs >= 1)
        precondition(earlier.isEmpty || earlier.count == clips.count)
        self.clips = clips
        self.earlier = earlier  // empty: no slot per clip (an optional analysis is hundreds of bytes even when nil)
        self.analyzer = ClipAnalyzer(config: config, withdrawals: withdrawals, communityTerms: communityTerms)
        self.analyzer.reviews = reviews
        self.analyzer.speakerIDs = speakerIDs
        self.jobs = jobs
        self.window = max(jobs, jobs * config.run.clipsInFlightPerJob)
    }

    /// An earlier run's analysis of a clip, whether that run released it (its audio is in a shard already), its
    /// near-duplicate decision when it stands (``StandingNearDuplicate``), and the analyzer's
    /// ``ClipAnalyzer/reassess(_:analysis:isReleased:audio:)`` of it when the provider made it already (on another
    /// thread, ahead of the run; nil: the run reassesses it).
    public typealias Earlier = (
        analysis: ClipAnalysis, isReleased: Bool, standing: StandingNearDuplicate?, reassessed: ClipOutcome?
    )

    /// Runs every clip and calls `consume` once per clip, in path order, on one task at a time.
    /// - Parameters:
    ///   - duplicates: the duplicate index, holding the clips kept by earlier runs (consumed: pass it with `consume`).
    ///   - earlier: the earlier analysis of the clip at an index, or nil to decode it; asked once per clip, in
    ///     index order, as the clip is started (so the caller reads analyses as the run reaches them and never
    ///     holds them all). Nil: ``earlier`` and ``released``.
    /// - Throws: what `earlier` or `consume` throw (output errors stop the run), or `CancellationError`.
    public func run(
        duplicates: consuming DuplicateIndex? = nil, earlier provide: ((Int) async throws -> Earlier?)? = nil,
        _ consume: (ClipOutcome) async throws -> Void
    ) async throws {
        // Consumed, not copied: the caller's index (the released clips) is this run's, and a second owner would
        // make copy-on-write duplicate every buffer the run writes to (measured: 734 instead of 382 B/clip).
        var duplicates =
            (consume duplicates) ?? DuplicateIndex(sameSpeakerSentence: analyzer.config.dedupe.sameSpeakerSentence)
        var pending: [Int: ClipOutcome] = [:]
        var standing: [Int: StandingNearDuplicate] = [:]  // of the clips in `pending`
        var next = 0  // index of the next clip to start
        var emit = 0  // index of the next clip to hand to the consumer
        let analyzer = analyzer
        let clips = clips
        let earlier = earlier
        let released = released
        let audio = audio
        try await withThrowingTaskGroup(of: (Int, ClipOutcome).self) { group in
            var running = 0
            func startMore() async throws {
                while running < jobs, next < clips.count, next < emit + window {
                    let index = next
                    let source = clips[index]
                    var stored: Earlier?
                    if let provide {
                        stored = try await provide(index)
                    } else if !earlier.isEmpty {
                        stored = earlier[index].map { ($0, released.contains(index), nil, nil) }
                    }
                    if let stored {
                        // No decoding: cheap enough to run here, unless its shard audio must be re-encoded.
                        if let outcome = stored.reassessed
                            ?? analyzer.reassess(
                                source, analysis: stored.analysis, isReleased: stored.isReleased, audio: audio[index])
                        {
                            pending[index] = outcome
                            standing[index] = stored.standing
                            next += 1
                            continue
                        }
                    }
                    group.addTask { (index, await BlockingWork.run { analyzer.analyze(source) }) }
                    next += 1
                    running += 1
                }
            }
            func drain() async throws {
                while var ready = pending.removeValue(forKey: emit) {
                    let standing = standing.removeValue(forKey: emit)
                    StageClock.measure(.duplicates) {
                        analyzer.decideDuplicates(&ready, in: &duplicates, standing: standing)
                    }
                    try await consume(ready)
                    emit += 1
                }
            }
            try await startMore()
            try await drain()
            while emit < clips.count {
                if running == 0 {  // everything in the window was reused: no task to wait for
                    try await startMore()
                    try await drain()
                    try Task.checkCancellation()
                    continue
                }
                guard let (index, outcome) = try await group.next() else { break }
                running -= 1
                pending[index] = outcome
                // Refill the worker before the consumer runs: the writers take ~2 ms a clip, and a worker left
                // waiting for them was a core idle for that long after every clip (issue 18).
                try await startMore()
                try await drain()
                try Task.checkCancellation()
                try await startMore()
                try await drain()
            }
        }
    }
}

/// Blocking work (C decoders, file reads) kept off Swift's cooperative thread pool.
public enum BlockingWork {
    /// Runs `work` on a Dispatch worker thread and resumes the caller with its result.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
