import Logging
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// The analyse stage: the pipeline that decodes new and changed clips and re-decides unchanged ones from their
/// stored analyses, and the clips earlier runs released, registered before any clip is decided.
extension Ingest {
    /// The pipeline over the plan's clips, with the shard audio the job already holds.
    static func pipeline(for job: ReleaseJob) -> IngestPipeline {
        let (options, plan) = (job.options, job.plan)
        var pipeline = IngestPipeline(
            clips: plan.sources, config: options.config, withdrawals: job.withdrawals,
            communityTerms: job.tree.communityTerms, reviews: job.reviews, speakerIDs: plan.speakerIDs,
            jobs: options.jobs)
        for (i, source) in plan.sources.enumerated() {
            if let audio = job.audio[source.clip] { pipeline.audio[i] = audio }
        }
        return pipeline
    }

    /// Whether the plan's clip at an index is one an earlier run released (in a shard, not withdrawn).
    static func isReleased(in plan: IncrementalPlan) -> @Sendable (Int) -> Bool {
        let ledgered = plan.ledgered
        return { ledgered[$0].contains(.released) }
    }

    /// Registers the clips earlier runs released, and still may, in `duplicates`, and fixes their sentences'
    /// splits in `writer`: they are the kept ones. One this run rejects (withdrawn now, say) is not kept: a copy
    /// of it is decided as in every later run. Their analyses are read from the ledger in path order as this pass
    /// reaches them, and read again by the pipeline: no analysis of every clip is held.
    /// - Returns: the PCM identities this pass read again from files (not read twice).
    static func keepReleased(
        _ job: ReleaseJob, pipeline: IngestPipeline, writer: ReleaseWriter, duplicates: inout DuplicateIndex
    ) async throws -> [String: String] {
        let (plan, sources) = (job.plan, job.plan.sources)
        let isReleased = isReleased(in: plan)
        let stands = try registrationsStand(job)
        let releasedAnalyses = StoredAnalyses(plan: plan, ledger: job.ledger, wanted: { isReleased($0) && !stands($0) })
        let keys = ReleasedKeys(plan: plan, ledger: job.ledger, wanted: stands, withdrawals: job.withdrawals)
        var fromKeys = 0
        for (i, source) in sources.enumerated() where plan.reuse[i] && isReleased(i) {
            if stands(i) {
                // Unchanged, accepted under the same basis: still accepted unless its contributor withdrew.
                guard let key = try await keys.key(i) else {
                    throw RunError(
                        .ledgerUnusable,
                        "the ledger's registration of '\(source.clip)' cannot be read; restore the ledger from a "
                            + "backup, or rerun with --force", path: source.clip)
                }
                let r = key.registration
                guard !key.withdrawn else { continue }
                duplicates.register(
                    released: source.clip, identity: r.identity, reading: key.reading, fingerprint: key.fingerprint)
                writer.released(language: source.languageTag, sentence: r.sentence, split: key.split)
                fromKeys += 1
                continue
            }
            guard let earlier = try await releasedAnalyses.earlier(i), source.refusal == nil,
                pipeline.analyzer.reassess(source, analysis: earlier.analysis, isReleased: true)?.isAccepted == true
            else { continue }
            let kept = ClipOutcome(source: source, earlier: earlier.analysis)
            duplicates.register(released: kept)
            if let meta = kept.metadata {
                writer.released(language: source.languageTag, sentence: meta.sentence, split: earlier.before.split)
            }
        }
        job.options.logger.info(
            "released clips registered", metadata: ["from_stored_registrations": "\(fromKeys)"])
        return releasedAnalyses.reidentified
    }

    /// Which released clips are registered from the ledger's registration (``KeptRegistration``) instead of their
    /// analyses: when the last run's decisions rested on this run's basis (``RunRecord/basisHash``: version,
    /// language revision, decision settings, terms, votes, key, partition), an unchanged released clip (the same
    /// file and sidecar, no refusal or conflict now, not erased) was accepted under it and still is, unless its
    /// contributor withdrew since (checked on the registration's client_id, as the consent check does).
    static func registrationsStand(_ job: ReleaseJob) throws(RunError) -> (Int) -> Bool {
        let plan = job.plan
        guard let basis = job.basisHash, try job.ledger.runs().last?.basisHash == basis else { return { _ in false } }
        let erased = job.withdrawals.erasedClips
        return { i in
            let source = plan.sources[i]
            guard plan.reuse[i], plan.ledgered[i].isSuperset(of: [.released, .keptStored, .sidecarSame]),
                case .sidecar = source.metadata, source.refusal == nil, source.conflict == nil
            else { return false }
            return !erased.contains(source.clip)
        }
    }
}
