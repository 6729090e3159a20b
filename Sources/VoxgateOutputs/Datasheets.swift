import Foundation
import VoxgateCorpus

/// `<out>/datasheets/<tag>.md`: one datasheet per language, in the spirit of Common Voice's per-locale
/// datasheets and "Datasheets for Datasets" (Gebru et al., 2021): what is in it, under which terms, how
/// it was checked, and what it does not tell.
struct Datasheets {
    let config: PipelineConfig
    let totals: CorpusTotals
    let shards: [ShardInfo]
    let conflicts: [String: Int]

    func write(into output: String) throws(RunError) {
        guard !totals.languages.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: output + "/datasheets", withIntermediateDirectories: true)
        } catch {
            throw RunError(.outputUnusable, "cannot create '\(output)/datasheets'", path: output)
        }
        for tag in totals.sortedTags {
            try AtomicFile.write(sheet(tag), to: output + "/datasheets/\(TagFileName.of(tag)).md")
        }
    }

    func sheet(_ tag: String) -> String {
        let t = totals.languages[tag]!
        let c = config.checks
        func hours(_ s: Double) -> String { String(format: "%.4f", s / 3600) }
        var md = "# Datasheet: \(Markdown.escape(tag))\n\n"
        md += "## Composition\n\n"
        md += "| | all clips | accepted |\n|---|---:|---:|\n"
        md += "| clips | \(t.clips) | \(t.accepted) |\n"
        md += "| hours (from decoded frames) | \(hours(t.totalSeconds)) | \(hours(t.acceptedSeconds)) |\n"
        md += "| speakers (distinct client_ids) | \(t.speakers.count) | \(t.acceptedSpeakers.count) |\n"
        md += "| bytes of uploads | \(t.size) | \(t.acceptedSize) |\n\n"
        md +=
            "## Splits\n\nSpeaker-disjoint; a speaker's split is a keyed hash of their id and never changes "
            + "while the corpus keeps its speaker key. A sentence appears in one split only.\n\n"
        md += "| split | clips | hours |\n|---|---:|---:|\n"
        for split in ["train", "dev", "test"] {
            md +=
                "| \(split) | \(t.splitClips[split] ?? 0) | \(hours(LanguageTotals.seconds(t.splitFrames[split] ?? [:]))) |\n"
        }
        md +=
            "\n\(conflicts[tag] ?? 0) accepted clip(s) were left out of every split because their sentence is "
            + "already in another split.\n\n"
        md += "## Demographics\n\n"
        if t.demographics(minSpeakers: config.terms.minSpeakersForDemographics) != nil, t.accepted > 0 {
            for (name, counts) in [("Age", t.ages), ("Gender", t.genders)] {
                md += "\(name) (share of accepted clips, self-reported): "
                md +=
                    counts.keys.sorted().map {
                        "\($0.isEmpty ? "not given" : $0) \(String(format: "%.1f", 100 * Double(counts[$0]!) / Double(t.accepted)))%"
                    }.joined(separator: ", ") + "\n\n"
            }
        } else {
            md +=
                "Withheld: the released clips come from fewer than \(config.terms.minSpeakersForDemographics) "
                + "speakers, so a breakdown could identify them.\n\n"
        }
        md += "## Terms of use\n\n"
        let groups = Dictionary(grouping: shards.filter { $0.language == tag }, by: \.terms)
        if groups.isEmpty { md += "No clips were released.\n\n" }
        for label in groups.keys.sorted() {
            let g = groups[label]!
            md +=
                "- `\(label)`: licence \(g[0].license), \(g.count) shard(s), \(g.reduce(0) { $0 + $1.samples }) samples; "
                + "full terms in `shards/\(TagFileName.of(tag))/\(TagFileName.of(tag))-\(label).terms.json`\n"
        }
        md += "\n## Checks applied\n\n| check | threshold | clips rejected |\n|---|---|---:|\n"
        let rows: [(ReasonCode, String)] = [
            (.decodeError, "decodes by content (WAV, FLAC, Ogg Vorbis/Opus, MP3, WebM/Opus)"),
            (.tooShort, "≥ \(c.minDurationSeconds) s"), (.tooLong, "≤ \(c.maxDurationSeconds) s"),
            (.silent, "speech detected; mono RMS ≥ \(c.silenceRMSDBFS) dBFS"),
            (.tooQuiet, "integrated loudness ≥ \(c.tooQuietLUFS) LUFS"),
            (.tooLoud, "integrated loudness ≤ \(c.tooLoudLUFS) LUFS"),
            (.clipped, "fewer than \(c.clippedMinRuns) full-scale runs or under \(c.clippedRatio * 100)% of samples"),
            (.lowSNR, "estimated SNR ≥ \(c.minSNRDB) dB"),
            (.unknownLanguage, "the folder's tag is a catalog language"),
            (.languageMismatch, "locale, script and text language agree with the folder"),
            (.duplicate, "XXH3-128 of decoded samples, first in path order kept"),
            (.noConsent, "sidecar says \"consent\": true"), (.consentWithdrawn, "client_id not in withdrawals.txt"),
            (.invalidMetadata, "sentence, client_id and a licence present; terms agree with the community's"),
        ]
        for (reason, threshold) in rows {
            md += "| `\(reason.rawValue)` | \(threshold) | \(t.rejectedByReason[reason] ?? 0) |\n"
        }
        md += "\n## Known limitations\n\n"
        md += "- The language is checked against the sentence's script and text, not against the audio.\n"
        md += "- Duplicates are exact (identical decoded samples); re-encoded copies are not detected.\n"
        md += "- Demographics are self-reported and optional.\n"
        return md
    }
}
