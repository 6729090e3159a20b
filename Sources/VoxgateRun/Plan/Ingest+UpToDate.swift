import Crypto
import Foundation
import Logging
import VoxgateAudio
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// Runs that find nothing changed since the last one.
extension Ingest {
    /// Whether the last run already decided exactly these clips under exactly these inputs, and its release
    /// is in place: then this run has nothing to decode, decide or write (the files it would regenerate would
    /// be byte for byte the same), as `make` skips an up-to-date target.
    static func isUpToDate(
        _ out: String, ledger: Ledger, plan: IncrementalPlan, inputsHash: String
    ) async throws(RunError) -> Bool {
        guard plan.isUnchanged, let last = try ledger.runs().last, last.published, last.inputsHash == inputsHash,
            try ledger.pendingFiles().isEmpty
        else { return false }
        let fm = FileManager.default
        guard [decisionsFile, "totals.json", "totals.csv"].allSatisfy({ fm.fileExists(atPath: out + "/" + $0) }) else {
            return false
        }
        // A published file changed outside voxgate (truncated, edited): regenerate the release's files. run.json
        // is rewritten by every run, so it is not checked here.
        guard let recorded = try PublishedFiles.recorded(ledger) else { return true }
        return await PublishedFiles.changed(out, recorded: recorded.filter { $0.key != "run.json" }).isEmpty
    }

    /// Records a run that found nothing to do, and summarises the release from the ledger (read with a cursor).
    static func recordUnchangedRun(
        _ options: IngestOptions, tree: CorpusInput, ledger: Ledger, inputsHash: String, basisHash: String,
        started: Date
    ) async throws(RunError) -> IngestSummary {
        var languages: [String: IngestSummary.Language] = [:]
        var reasons: [ReasonCode: Int] = [:]
        var (clips, accepted) = (0, 0)
        try ledger.forEachClip(light: true) { record in
            clips += 1
            var l =
                languages[record.language]
                ?? .init(tag: record.language, clips: 0, accepted: 0, totalHours: 0, acceptedHours: 0)
            l.clips += 1
            l.totalHours += (record.durationS ?? 0) / 3600
            if record.status == "accepted" {
                accepted += 1
                l.accepted += 1
                l.acceptedHours += (record.durationS ?? 0) / 3600
            }
            languages[record.language] = l
            for code in record.reasons.split(separator: ",") {
                if let reason = ReasonCode(rawValue: String(code)) { reasons[reason, default: 0] += 1 }
            }
        }
        let runID = try ledger.commit(
            LedgerChange(
                run: RunRecord(
                    started: Timestamp.iso(started), ended: Timestamp.iso(Date()), version: VoxgateVersion.current,
                    configHash: ConfigHash.of(options.config), inputsHash: inputsHash, root: options.root,
                    clips: clips, decoded: 0, reused: clips, accepted: accepted,
                    rejected: clips - accepted, newShards: 0, rewrittenShards: 0, withdrawnClips: 0,
                    basisHash: basisHash)))
        let shards = try ledger.shards().map(ShardInfo.init)
        try AtomicFile.write(
            manifest(options, tree: tree, shards: shards, elapsed: Date().timeIntervalSince(started)).pretty,
            to: options.output + "/run.json")
        try await PublishedFiles.record(options.output, ledger: ledger)
        try ledger.markPublished(run: runID)
        var summary = IngestSummary(
            clips: clips, accepted: accepted,
            rejectedByReason: ReasonCode.allCases.compactMap { r in reasons[r].map { (r, $0) } },
            languages: languages.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { languages[$0]! },
            shards: shards.count, warnings: tree.warnings, outputFolder: options.output,
            elapsed: Date().timeIntervalSince(started))
        summary.reused = clips
        summary.run = runID
        summary.notes.append("nothing changed since the last run: the release is up to date")
        summary.upToDate = true
        options.logger.notice(
            "run finished",
            metadata: [
                "run": "\(runID)", "clips": "\(summary.clips)", "accepted": "\(accepted)", "decoded": "0",
                "reused": "\(clips)", "up_to_date": "true",
                "elapsed_s": "\(String(format: "%.3f", summary.elapsed))",
            ])
        return summary
    }
}
