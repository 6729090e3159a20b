import Foundation
package import VoxgateCorpus
import VoxgatePipeline

/// Per-language totals, accumulated clip by clip from exact frame counts; seconds and hours are
/// derived only when printed.
package struct LanguageTotals {
    package var clips = 0
    package var accepted = 0
    package var rejectedByReason: [ReasonCode: Int] = [:]
    /// Decoded frames per sample rate: exact, summed as integers.
    var frames: [Int: Int] = [:]
    var acceptedFrames: [Int: Int] = [:]
    var decodedClips = 0
    /// Distinct speakers (all, and of accepted clips), as 16-byte keys of their pseudonyms: only counted.
    var speakers: Set<Key128> = []
    var acceptedSpeakers: Set<Key128> = []
    /// Bytes of the input files.
    var size = 0
    var acceptedSize = 0
    /// Accepted clips and frames per split.
    var splitClips: [String: Int] = [:]
    var splitFrames: [String: [Int: Int]] = [:]
    /// Accepted clips per age and gender bucket (Common Voice's vocabulary; anything else is `other`).
    var ages: [String: Int] = [:]
    var genders: [String: Int] = [:]
    /// The kept clips this language's duplicates copy, as 16-byte keys of their paths: one per group of duplicates
    /// (of any kind), only counted.
    var duplicateGroups: Set<Key128> = []
    /// Clips with reviewers' votes, and those whose decision the votes changed (``ReviewPolicy``).
    var reviewed = 0
    var overturned = 0

    var rejected: Int { clips - accepted }

    /// - Parameter speaker: the key of the clip's speaker (``CorpusTotals`` computes it once for both tallies).
    mutating func add(_ outcome: ClipOutcome, split: String?, speaker: Key128?) {
        if outcome.isAccepted {
            if let split, let m = outcome.measurement {
                splitClips[split, default: 0] += 1
                splitFrames[split, default: [:]][m.sampleRate, default: 0] += m.frames
            }
            ages[Demographics.age(outcome.metadata?.age), default: 0] += 1
            genders[Demographics.gender(outcome.metadata?.gender), default: 0] += 1
        }
        clips += 1
        size += outcome.source.byteSize
        if let m = outcome.measurement {
            decodedClips += 1
            frames[m.sampleRate, default: 0] += m.frames
        }
        if let speaker { speakers.insert(speaker) }
        if outcome.isAccepted {
            accepted += 1
            acceptedSize += outcome.source.byteSize
            if let m = outcome.measurement { acceptedFrames[m.sampleRate, default: 0] += m.frames }
            if let speaker { acceptedSpeakers.insert(speaker) }
        }
        for reason in outcome.reasons { rejectedByReason[reason, default: 0] += 1 }
        if let kept = outcome.duplicateOf { duplicateGroups.insert(Key128(hashing: kept)) }
        if outcome.review != nil { reviewed += 1 }
        if !outcome.reviewLifted.isEmpty || outcome.reasons.contains(.rejectedByReview) { overturned += 1 }
    }

    mutating func merge(_ other: LanguageTotals) {
        clips += other.clips
        accepted += other.accepted
        rejectedByReason.merge(other.rejectedByReason, uniquingKeysWith: +)
        frames.merge(other.frames, uniquingKeysWith: +)
        acceptedFrames.merge(other.acceptedFrames, uniquingKeysWith: +)
        decodedClips += other.decodedClips
        size += other.size
        acceptedSize += other.acceptedSize
        speakers.formUnion(other.speakers)
        acceptedSpeakers.formUnion(other.acceptedSpeakers)
        ages.merge(other.ages, uniquingKeysWith: +)
        genders.merge(other.genders, uniquingKeysWith: +)
        duplicateGroups.formUnion(other.duplicateGroups)
        reviewed += other.reviewed
        overturned += other.overturned
        splitClips.merge(other.splitClips, uniquingKeysWith: +)
        splitFrames.merge(other.splitFrames) { $0.merging($1, uniquingKeysWith: +) }
    }

    /// Clips and hours per split.
    var splitsJSON: JSONText {
        .object(
            ["train", "dev", "test"].map { split in
                (
                    split,
                    .object([
                        ("clips", .int(splitClips[split] ?? 0)),
                        ("hours", .rounded(Self.seconds(splitFrames[split] ?? [:]) / 3600, places: 4)),
                    ])
                )
            })
    }

    /// Age and gender as fractions of accepted clips (as Common Voice publishes them), or nil when the
    /// released clips come from fewer than `minSpeakers` distinct speakers (the rule of five).
    func demographics(minSpeakers: Int) -> JSONText? {
        guard acceptedSpeakers.count >= minSpeakers, accepted > 0 else { return nil }
        func fractions(_ counts: [String: Int]) -> JSONText {
            .object(counts.keys.sorted().map { ($0, .rounded(Double(counts[$0]!) / Double(accepted), places: 4)) })
        }
        return .object([("age", fractions(ages)), ("gender", fractions(genders))])
    }

    /// Σ frames ÷ rate, one division per sample rate.
    static func seconds(_ frames: [Int: Int]) -> Double {
        frames.keys.sorted().reduce(0) { $0 + Double(frames[$1]!) / Double($1) }
    }

    package var totalSeconds: Double { Self.seconds(frames) }
    package var acceptedSeconds: Double { Self.seconds(acceptedFrames) }

    /// Field names follow Common Voice's release statistics where the meaning is the same.
    func json(users: Int, validUsers: Int) -> [(String, JSONText)] {
        [
            ("clips", .int(clips)),
            ("accepted", .int(accepted)),
            ("rejected", .int(rejected)),
            ("rejectedByReason", .object(ReasonCode.allCases.map { ($0.rawValue, .int(rejectedByReason[$0] ?? 0)) })),
            ("duration", .int(Int((totalSeconds * 1000).rounded()))),
            ("totalDurationSecs", .rounded(totalSeconds, places: 3)),
            ("validDurationSecs", .rounded(acceptedSeconds, places: 3)),
            ("avgDurationSecs", decodedClips == 0 ? .null : .rounded(totalSeconds / Double(decodedClips), places: 3)),
            ("totalHrs", .rounded(totalSeconds / 3600, places: 4)),
            ("validHrs", .rounded(acceptedSeconds / 3600, places: 4)),
            ("users", .int(users)),
            ("validUsers", .int(validUsers)),
            ("size", .int(size)),
            ("validSize", .int(acceptedSize)),
            ("duplicateGroups", .int(duplicateGroups.count)),
            ("reviewed", .int(reviewed)),
            ("overturned", .int(overturned)),
        ]
    }
}

/// The corpus totals: `totals.json` and `totals.csv`.
///
/// Memory: per-language aggregates, plus one 16-byte key per distinct speaker (in each language's sets and the
/// corpus's) and per group of duplicates; nothing per clip.
package struct CorpusTotals {
    package private(set) var languages: [String: LanguageTotals] = [:]
    private var allSpeakers: Set<Key128> = []
    private var allAcceptedSpeakers: Set<Key128> = []

    mutating func add(_ outcome: ClipOutcome, split: String?) {
        let speaker = outcome.metadata.map { Key128(hashing: $0.clientID) }
        languages[outcome.source.languageTag, default: LanguageTotals()].add(outcome, split: split, speaker: speaker)
        if let speaker {
            allSpeakers.insert(speaker)
            if outcome.isAccepted { allAcceptedSpeakers.insert(speaker) }
        }
    }

    package var sortedTags: [String] { languages.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// The key of the bucket that gathers tags outside the catalog (BCP-47 "undetermined").
    static let unknownBucket = "und"

    /// What totals report: every catalog language (zeros included) and one bucket for unknown tags.
    var reported: (languages: [String: LanguageTotals], unknownTags: [String]) {
        var out = Dictionary(uniqueKeysWithValues: LanguageCatalog.shared.entries.map { ($0.tag, LanguageTotals()) })
        var unknown: [String] = []
        for (tag, totals) in languages {
            if out[tag] != nil {
                out[tag] = totals
            } else {
                out[Self.unknownBucket, default: LanguageTotals()].merge(totals)
                unknown.append(tag)
            }
        }
        return (out, unknown.sorted())
    }

    package var overall: LanguageTotals {
        languages.values.reduce(into: LanguageTotals()) { $0.merge($1) }
    }

    func json(shards: [ShardInfo], config: TermsConfig, splitConflicts: [String: Int]) -> JSONText {
        let shardCount = Dictionary(grouping: shards, by: \.language).mapValues(\.count)
        let (reported, unknownTags) = self.reported
        let tags = reported.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let locales: [(String, JSONText)] = tags.map { tag in
            let t = reported[tag]!
            let demographics = t.demographics(minSpeakers: config.minSpeakersForDemographics)
            return (
                tag,
                .object(
                    t.json(users: t.speakers.count, validUsers: t.acceptedSpeakers.count) + [
                        ("shards", .int(shardCount[tag] ?? 0)),
                        ("splits", t.splitsJSON),
                        ("splitConflicts", .int(splitConflicts[tag] ?? 0)),
                        ("demographics", demographics ?? .null),
                        ("unknownTags", tag == Self.unknownBucket ? .array(unknownTags.map { .string($0) }) : .null),
                        (
                            "demographicsWithheld",
                            demographics == nil
                                ? .string(
                                    "released clips come from fewer than \(config.minSpeakersForDemographics) speakers")
                                : .null
                        ),
                    ])
            )
        }
        let all = overall
        return .object(
            [("locales", .object(locales))]
                + all.json(users: allSpeakers.count, validUsers: allAcceptedSpeakers.count)
                + [
                    ("shards", .int(shards.count)),
                    ("splits", all.splitsJSON),
                    ("splitConflicts", .int(splitConflicts.values.reduce(0, +))),
                    ("totalValidDurationSecs", .rounded(all.acceptedSeconds, places: 3)),
                    ("totalValidHrs", .rounded(all.acceptedSeconds / 3600, places: 4)),
                ])
    }

    func csv() -> String {
        let reasonColumns = ReasonCode.allCases.map(\.rawValue)
        var lines = [
            ([
                "locale", "clips", "accepted", "rejected", "totalHrs", "validHrs", "avgDurationSecs", "users",
                "validUsers", "size", "validSize",
            ] + reasonColumns + ["reviewed", "overturned"]).joined(separator: ",")
        ]
        func row(_ name: String, _ t: LanguageTotals, users: Int, validUsers: Int) -> String {
            let avg = t.decodedClips == 0 ? "" : String(format: "%.3f", t.totalSeconds / Double(t.decodedClips))
            return
                ([
                    csvField(name), String(t.clips), String(t.accepted), String(t.rejected),
                    String(format: "%.4f", t.totalSeconds / 3600), String(format: "%.4f", t.acceptedSeconds / 3600),
                    avg,
                    String(users), String(validUsers), String(t.size), String(t.acceptedSize),
                ]
                + ReasonCode.allCases.map { String(t.rejectedByReason[$0] ?? 0) }
                + [String(t.reviewed), String(t.overturned)]).joined(separator: ",")
        }
        let (reported, _) = self.reported
        for tag in reported.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let t = reported[tag]!
            lines.append(row(tag, t, users: t.speakers.count, validUsers: t.acceptedSpeakers.count))
        }
        lines.append(row("TOTAL", overall, users: allSpeakers.count, validUsers: allAcceptedSpeakers.count))
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting when needed.
    private func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// Common Voice's demographic vocabulary. Values outside it are counted as `other`, so no free text
/// from a sidecar ever reaches the totals.
enum Demographics {
    static let ages: Set<String> = [
        "teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties", "nineties",
    ]
    static let genders: Set<String> = [
        "male_masculine", "female_feminine", "intersex", "transgender", "non-binary", "do_not_wish_to_say",
        "male", "female", "other",
    ]

    static func age(_ value: String?) -> String { bucket(value, ages) }
    static func gender(_ value: String?) -> String { bucket(value, genders) }

    private static func bucket(_ value: String?, _ vocabulary: Set<String>) -> String {
        guard let value, !value.isEmpty else { return "" }
        return vocabulary.contains(value) ? value : "other"
    }
}
