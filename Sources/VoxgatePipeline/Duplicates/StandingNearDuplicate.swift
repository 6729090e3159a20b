import Foundation
import VoxgateCorpus

/// A near-duplicate decision an earlier run made, which stands while nothing it rests on changed.
///
/// A clip rejected as the same recording as a kept clip is, on the next run, still the same recording as that clip
/// as long as both fingerprints and the matching rules are unchanged: the lookup would find the kept clip again at
/// the same similarity. So an unchanged clip whose kept clip is still kept is not looked up again (the lookup is
/// most of a nightly run's duplicate stage); it keeps the finding it had, word for word. A fresh lookup could name
/// a different kept clip of the same recording (one released since, or one that sorts after it); the standing
/// decision does not move from one kept clip to another from night to night.
///
/// It stands only when (the caller checks the first two, ``DuplicateIndex/decide(_:standing:)`` the rest):
/// - the clip was not decoded again (same file, so the same fingerprint);
/// - the run that made the decision had the same voxgate version and decision settings as this one;
/// - the kept clip is one an earlier run released and this run keeps (registered as released);
/// - no exact copy (the same samples) or same-speaker reading comes first: those checks run as always.
public struct StandingNearDuplicate: Sendable, Equatable {
    /// The kept clip the earlier run named.
    public var kept: String
    /// The earlier run's finding, word for word (`the same recording as … (similarity … at offset … ms), which is
    /// kept`).
    public var detail: String

    public init(kept: String, detail: String) {
        self.kept = kept
        self.detail = detail
    }

    /// The standing decision in a ledger record: `duplicateOf` and the record's detail (every finding as
    /// `reason: detail`, joined by `; `, as ``ClipOutcome/detail`` writes it). Nil unless the record's duplicate
    /// finding is a near-duplicate one of `duplicateOf`.
    public init?(duplicateOf: String?, detail: String?) {
        guard let kept = duplicateOf, let detail else { return nil }
        let head = "\(ReasonCode.duplicate.rawValue): " + Self.prefix(kept)
        guard let start = detail.range(of: head) else { return nil }
        let tail = detail[start.upperBound...]
        guard let end = tail.range(of: Self.suffix) else { return nil }
        let figures = tail[..<end.lowerBound]  // "0.93 at offset +20"
        guard figures.utf8.allSatisfy({ Self.figureBytes.contains($0) }) else { return nil }
        self.kept = kept
        self.detail = Self.prefix(kept) + figures + Self.suffix
    }

    /// The finding's words before the similarity, and after the offset (``DuplicateIndex/decide(_:standing:)``).
    static func prefix(_ kept: String) -> String { "the same recording as \(kept) (similarity " }
    static let suffix = " ms), which is kept"
    /// What may stand between them: digits, a point, signs, spaces and the words "at offset".
    private static let figureBytes = Set("0123456789.+- atofse".utf8)
}
