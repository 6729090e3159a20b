public import VoxgateCorpus

/// Reviewers' votes in the decision (``ReviewPolicy``): the one place where they change an outcome.
extension ClipAnalyzer {
    /// Whether votes could lift all of `findings` for this clip (its audio must then be made shardable).
    func reviewMayLift(_ source: ClipSource, _ findings: [Finding]) -> Bool {
        guard let tally = reviews[source.clip] else { return false }
        return ReviewPolicy.effect(findings: findings, tally: tally, config: config.review) == .lift
    }

    /// Attaches the clip's votes and lifts findings votes may overrule (all but duplicates, which are
    /// decided later, in path order).
    func applyReview(_ outcome: inout ClipOutcome) {
        guard let tally = reviews[outcome.source.clip] else { return }
        outcome.review = tally
        if ReviewPolicy.effect(findings: outcome.findings, tally: tally, config: config.review) == .lift {
            outcome.reviewLifted = outcome.findings
            outcome.findings = []
        }
    }

    /// The duplicate check with votes: a clip reviewers rejected is rejected before it can be kept (so later
    /// copies are not measured against it), and a near-duplicate reviewers accepted keeps its audio.
    /// A withdrawn clip is not checked: a withdrawal supersedes every other finding (see ``decide``), and runs
    /// after it no longer hold the metadata or fingerprint a duplicate finding would come from.
    public func decideDuplicates(
        _ outcome: inout ClipOutcome, in duplicates: inout DuplicateIndex, standing: StandingNearDuplicate? = nil
    ) {
        if outcome.findings.contains(where: { $0.reason == .consentWithdrawn }) { return }
        guard let tally = outcome.review else {
            duplicates.decide(&outcome, standing: standing)
            return
        }
        if outcome.isAccepted, ReviewPolicy.effect(findings: [], tally: tally, config: config.review) == .reject {
            outcome.findings.append(ReviewPolicy.rejection(tally))
            outcome.shardAudio = nil
        }
        let audio = outcome.shardAudio
        let wasAccepted = outcome.isAccepted
        duplicates.decide(&outcome, standing: standing)
        guard wasAccepted, !outcome.isAccepted, audio != nil,
            ReviewPolicy.effect(findings: outcome.findings, tally: tally, config: config.review) == .lift
        else { return }
        outcome.reviewLifted += outcome.findings
        outcome.findings = []
        outcome.duplicateOf = nil
        outcome.shardAudio = audio
        duplicates.register(outcome)
    }
}
