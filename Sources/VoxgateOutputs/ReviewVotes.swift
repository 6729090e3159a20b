import Crypto
import Foundation
package import VoxgateCorpus
import VoxgateLedger

/// The reviewers' votes a run applies (``ReviewPolicy``): counts by clip from `<out>/.voxgate/votes.sqlite`,
/// read once at the start of the run (votes cast during the run count in the next one).
package enum ReviewVotes {
    /// The folder's vote counts; empty when nobody has voted.
    package static func load(output: String) throws(RunError) -> [String: ReviewTally] {
        guard let store = try VoteStore.existing(output: output) else { return [:] }
        do { return try store.tallies() } catch {
            throw RunError(
                .outputUnusable,
                "the review votes '\(store.path)' cannot be read (\(error)); restore the file from a backup or move "
                    + "it aside (its votes are then lost)", path: store.path)
        }
    }

    /// The run's inputs hash with the votes and the review policy in it, so that a run with new votes is never
    /// "up to date" even when no clip changed. Without votes, the hash is `base` unchanged.
    package static func inputsHash(_ base: String, votes: [String: ReviewTally], config: ReviewConfig) -> String {
        guard !votes.isEmpty else { return base }
        var text = "\(base)\u{0}review \(config.acceptVotes) \(config.rejectVotes)"
        for clip in votes.keys.sorted() {
            let t = votes[clip]!
            text += "\u{0}\(clip)\u{1}\(t.accept)\u{1}\(t.reject)"
        }
        return SHA256.hash(data: Data(text.utf8)).hexLowercased
    }
}
