import Foundation
import VoxgateCorpus
import VoxgateRun

/// The end-of-run summary on standard output.
enum SummaryPrinter {
    static func print(_ s: IngestSummary) {
        var lines: [String] = []
        for w in s.warnings { lines.append("warning: \(w)") }
        lines.append(
            "voxgate: \(s.clips) clips in \(String(format: "%.1f", s.elapsed)) s: \(s.accepted) accepted, "
                + "\(s.clips - s.accepted) rejected; \(s.shards) shards")
        lines.append(
            "this run: \(s.decoded) clips decoded, \(s.reused) re-decided from the ledger without decoding; "
                + "\(s.newShards) new shards, \(s.rewrittenShards) rewritten to remove clips"
                + (s.withdrawnClips > 0 ? "; \(s.withdrawnClips) clips newly withdrawn" : ""))
        if !s.rejectedByReason.isEmpty {
            lines.append("rejected by reason (a clip may have several):")
            for (reason, count) in s.rejectedByReason {
                lines.append("  " + reason.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + String(count))
            }
        }
        lines.append("per language:            clips  accepted   total h  accepted h")
        for l in s.languages {
            lines.append(
                "  " + l.tag.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + String(format: "%7d %9d %9.4f %11.4f", l.clips, l.accepted, l.totalHours, l.acceptedHours))
        }
        lines += s.notes
        lines.append(
            "outputs in \(s.outputFolder)/: decisions.jsonl, shards/, splits/, manifests/, datasheets/, totals.json, totals.csv"
        )
        Swift.print(lines.joined(separator: "\n"))
    }
}
