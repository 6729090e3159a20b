/// How many reviewers' votes change a decision (`review:` in a pipeline file).
public struct ReviewConfig: Sendable, Hashable, Codable {
    /// A clip rejected only for reasons a listener can judge is accepted with at least this many accepts
    /// (and more accepts than rejects).
    public var acceptVotes = 2
    /// An accepted clip is rejected `rejected_by_review` with at least this many rejects (and more rejects
    /// than accepts).
    public var rejectVotes = 2
    public init() {}
}

/// The votes cast on one clip: counts only (who voted and their notes stay in the review database).
public struct ReviewTally: Sendable, Hashable, Codable {
    public var accept: Int
    public var reject: Int
    public init(accept: Int, reject: Int) {
        self.accept = accept
        self.reject = reject
    }
}

/// What reviewers' votes may change, applied by every run to the checks' findings.
///
/// Votes lift a rejection only when every reason is one a listener can judge (``judgeable``, and a
/// near-duplicate: the same recording, not the same samples). They never lift missing or withdrawn
/// consent, a decode error, invalid metadata, an unknown language or an exact duplicate.
public enum ReviewPolicy {
    /// Reasons a person listening to the clip can overrule.
    public static let judgeable: Set<ReasonCode> = [.languageMismatch, .lowSNR, .tooQuiet, .tooLoud, .clipped, .silent]

    /// The prefix of a near-duplicate's `duplicate` detail (``DuplicateIndex``): the only duplicate votes lift.
    public static let nearDuplicatePrefix = "the same recording as "

    /// Whether votes may lift `finding`.
    public static func isJudgeable(_ finding: Finding) -> Bool {
        judgeable.contains(finding.reason)
            || (finding.reason == .duplicate && finding.detail.hasPrefix(nearDuplicatePrefix))
    }

    /// What the votes do to a clip with these findings: `.lift` (accept it), `.reject` (reject it
    /// `rejected_by_review`) or nil (nothing).
    public enum Effect: Sendable, Equatable { case lift, reject }

    public static func effect(findings: [Finding], tally: ReviewTally?, config: ReviewConfig) -> Effect? {
        guard let t = tally else { return nil }
        if findings.isEmpty {
            return t.reject >= config.rejectVotes && t.reject > t.accept ? .reject : nil
        }
        guard findings.allSatisfy(isJudgeable) else { return nil }
        return t.accept >= config.acceptVotes && t.accept > t.reject ? .lift : nil
    }

    /// The finding a review rejection adds.
    public static func rejection(_ t: ReviewTally) -> Finding {
        Finding(.rejectedByReview, "reviewers rejected the clip (\(t.accept) accept, \(t.reject) reject votes)")
    }

    /// The sentence a decision's detail carries when votes lifted its reasons.
    public static func liftNote(_ lifted: [Finding], _ t: ReviewTally) -> String {
        let codes = Array(Set(lifted.map(\.reason))).sorted().map(\.rawValue).joined(separator: ", ")
        return "reviewers accepted the clip (\(t.accept) accept, \(t.reject) reject votes), overruling: \(codes)"
    }
}
