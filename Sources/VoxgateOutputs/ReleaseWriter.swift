import Crypto
import Foundation
package import VoxgateCorpus
package import VoxgatePipeline

/// The one consumer of a run's outcomes, in path order: it owns every output file (decisions, shards,
/// split manifests, attribution, datasheets, totals, audit) and is their only writer.
///
/// Clips released by earlier runs keep their place (shard, key, split); only newly accepted clips are
/// written, into new shards. Everything else is regenerated from all clips, every run.
package final class ReleaseWriter {
    /// The per-clip decisions file, regenerated every run.
    package static let decisionsFile = "decisions.jsonl"
    private let output: String
    private let config: PipelineConfig
    private let speaker: SpeakerPseudonym
    private let decisions: AtomicFile
    private let shards: ShardWriter
    private let manifests: SplitManifests
    private var splits: SplitAssigner
    private var attribution = AttributionLedger()
    private var splitConflicts: [String: Int] = [:]
    package private(set) var totals = CorpusTotals()
    package private(set) var audit: ReleaseAudit

    /// - Parameter released: the paths of the shards earlier runs released.
    package init(
        output: String, config: PipelineConfig, speaker: SpeakerPseudonym, input: CorpusInput, released: [String]
    ) throws(RunError) {
        self.output = output
        self.config = config
        self.speaker = speaker
        decisions = try AtomicFile(path: output + "/" + Self.decisionsFile)
        shards = ShardWriter(
            outputRoot: output, maxBytes: config.shards.maxBytes, maxSamples: config.shards.maxSamples,
            released: released)
        manifests = SplitManifests(outputRoot: output)
        splits = SplitAssigner(config: config.splits, pseudonym: speaker)
        audit = ReleaseAudit(input)
        attribution.community = input.communityTerms.compactMapValues(\.attribution)
    }

    /// Fixes the split of a sentence an earlier run released, before any clip is consumed.
    package func released(language: String, sentence: String, split: String?) {
        if let split, let s = SplitAssigner.Split(rawValue: split) {
            splits.fix(language: language, sentence: sentence, split: s)
        }
    }

    /// Writes everything one outcome contributes.
    /// - Parameter released: where an earlier run released this (accepted, unchanged) clip.
    /// - Returns: where the clip is released now, if accepted.
    @discardableResult
    package func consume(_ outcome: ClipOutcome, released: OutputRecords.Placement? = nil) throws(RunError)
        -> OutputRecords.Placement?
    {
        var placement: OutputRecords.Placement?
        if outcome.isAccepted, let meta = outcome.metadata, let terms = outcome.terms {
            if let released {
                placement = released
                if let split = released.split.flatMap(SplitAssigner.Split.init(rawValue:)) {
                    try manifests.add(
                        language: outcome.source.languageTag, split: split, key: released.key, shard: released.shard,
                        clip: outcome.source.clip, speaker: meta.clientID,
                        durationSeconds: outcome.measurement?.durationSeconds ?? 0)
                }
            } else if let audio = outcome.shardAudio {
                placement = try writeSample(outcome, audio: audio, metadata: meta, terms: terms)
            }
            if placement != nil, meta.terms.requiresAttribution || terms.requiresAttribution {
                attribution.add(language: outcome.source.languageTag, credit: meta.attribution)
            }
            if let placement, placement.split == nil {
                splitConflicts[outcome.source.languageTag, default: 0] += 1
            }
        }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        OutputRecords.decision(outcome, placement: placement).appendLine(to: &line)
        try decisions.write(line)
        totals.add(outcome, split: placement?.split)
        audit.add(outcome)
        return placement
    }

    private func writeSample(_ outcome: ClipOutcome, audio: ShardAudio, metadata: ClipMetadata, terms: Terms)
        throws(RunError) -> OutputRecords.Placement
    {
        let language = outcome.source.languageTag
        let digest = SHA256.hash(data: Data(outcome.source.clip.utf8)).hexLowercased
        let key = OutputRecords.key(for: outcome.source, clipDigest: digest)
        let split = splits.assign(language: language, speaker: metadata, sentence: metadata.sentence)
        let pseudonym = metadata.clientID  // pseudonymised as it was read (SpeakerIDs)
        let json = OutputRecords.sample(
            outcome, metadata: metadata, terms: terms, speaker: pseudonym, split: split?.rawValue,
            audioExtension: audio.fileExtension, audioSHA256: audio.sha256, audioFormat: audio.format)
        try shards.add(
            language: language, terms: terms,
            members: [
                ("\(key).\(audio.fileExtension)", audio.content, audio.sha256),
                ("\(key).json", .bytes(json.renderedUTF8), nil),
            ])
        let shard = shards.currentShardPath(language: language, terms: terms)
        if let split {
            try manifests.add(
                language: language, split: split, key: key, shard: shard, clip: outcome.source.clip, speaker: pseudonym,
                durationSeconds: outcome.measurement?.durationSeconds ?? 0)
        }
        return OutputRecords.Placement(shard: shard, key: key, split: split?.rawValue, audioSHA256: audio.sha256)
    }

    /// Seals this run's new shards (still `.partial`: the ledger commit owes their renames).
    /// - Returns: the shards, and the `terms.json` files beside them (also still `.partial`).
    package func sealShards() throws(RunError) -> (shards: [ShardInfo], termsFiles: [String]) {
        (try shards.finish(), shards.sealedTermsFiles)
    }

    /// Writes the files regenerated every run, from all clips (`shards`: every released shard), and
    /// `decisions.jsonl` last.
    package func publish(shards shardList: [ShardInfo], manifest: (_ shards: [ShardInfo]) -> JSONText)
        async throws(RunError)
    {
        try manifests.commit()
        try await ReleaseManifests.write(into: output, shards: shardList)
        try attribution.write(into: output)
        let datasheets = Datasheets(config: config, totals: totals, shards: shardList, conflicts: splitConflicts)
        try datasheets.write(into: output)
        try AtomicFile.write(
            totals.json(shards: shardList, config: config.terms, splitConflicts: splitConflicts).pretty,
            to: output + "/totals.json")
        try AtomicFile.write(totals.csv(), to: output + "/totals.csv")
        if audit.isApplicable { try AtomicFile.write(audit.json().pretty, to: output + "/audit.json") }
        try AtomicFile.write(manifest(shardList).pretty, to: output + "/run.json")
        try decisions.commit()
    }

    /// Removes what this run wrote and did not commit: for a run that failed or was interrupted. Files of
    /// earlier runs are left as they were.
    package func discard() { shards.removeSealed() }
}

/// The credit lines of a language's released clips whose terms require attribution: `ATTRIBUTION.md`.
struct AttributionLedger {
    /// Each community's own attribution text, by language.
    var community: [String: String] = [:]
    private var credits: [String: Set<String>] = [:]
    private var uncredited: [String: Int] = [:]

    mutating func add(language: String, credit: String?) {
        if let credit, !credit.isEmpty {
            credits[language, default: []].insert(credit)
        } else {
            uncredited[language, default: 0] += 1
        }
    }

    func write(into output: String) throws(RunError) {
        for language in Set(credits.keys).union(uncredited.keys).sorted() {
            var text = "# Attribution: \(language)\n\n"
            if let c = community[language] { text += "\(c)\n\n" }
            text += "Recordings in these shards are released under licences that require attribution.\n"
            let lines = (credits[language] ?? []).sorted()
            if !lines.isEmpty {
                text +=
                    "Contributors who asked to be credited:\n\n" + lines.map { "- \(Markdown.escape($0))\n" }.joined()
            }
            if let n = uncredited[language] {
                text += "\n\(n) further recording(s) by contributors who gave no credit line.\n"
            }
            try AtomicFile.write(text, to: output + "/shards/\(TagFileName.of(language))/ATTRIBUTION.md")
        }
    }
}

enum Markdown {
    /// Neutralises Markdown and HTML in text that came from uploads.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s where c != "\n" && c != "\r" {
            if "\\`*_{}[]()#+-.!<>|&".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
