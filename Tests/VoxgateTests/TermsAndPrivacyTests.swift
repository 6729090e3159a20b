import Foundation
import Testing
import VoxgateCorpus
import VoxgateOutputs
import VoxgateRun

@Suite("Terms of use, privacy, rule of five and stable splits")
struct TermsAndPrivacyTests {
    /// Writes a sidecar with arbitrary fields for `stem` (a path without extension under the fixture root).
    func sidecar(_ corpus: CorpusFixture, _ stem: String, _ fields: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: corpus.root + "/" + stem + ".json"))
    }

    func decisions(_ out: String) throws -> [String: [String: Any]] {
        Dictionary(
            uniqueKeysWithValues: try TestSupport.jsonLines(out + "/decisions.jsonl").map {
                ($0["clip"] as! String, $0)
            })
    }

    @Test func shardsNeverMixTermsAndConflictsAreRejected() async throws {
        let corpus = try CorpusFixture(clips: (0..<6).map { ("de/c\($0).wav", 300 + 10 * $0, 1.2, ["-b", "16"]) })
        defer { corpus.remove() }
        try TestSupport.write(
            "license: CC-BY-4.0\nattribution: Deutsche Sprachgemeinschaft\nregions: [DE, AT]\npurposes: [research, education]\n",
            to: corpus.root + "/de/TERMS.yaml")
        let base: [String: Any] = ["sentence": "s", "client_id": "ID-SECRET-7", "consent": true]
        try sidecar(corpus, "de/c0", base.merging(["sentence": "inherits"]) { $1 })
        try sidecar(
            corpus, "de/c1",
            base.merging(["sentence": "same licence", "license": "CC-BY-4.0", "attribution": "Anna"]) { $1 })
        try sidecar(corpus, "de/c2", base.merging(["sentence": "narrower", "terms": ["regions": ["DE"]]]) { $1 })
        try sidecar(corpus, "de/c3", base.merging(["sentence": "other licence", "license": "CC0-1.0"]) { $1 })
        try sidecar(corpus, "de/c4", base.merging(["sentence": "wider", "terms": ["regions": ["FR"]]]) { $1 })
        try sidecar(corpus, "de/c5", base.merging(["sentence": "bad key", "terms": ["colour": "red"]]) { $1 })
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let d = try decisions(out)
        #expect((d["de/c0.wav"]?["reasons"] as? [String]) == [])
        #expect((d["de/c1.wav"]?["reasons"] as? [String]) == [])
        #expect((d["de/c2.wav"]?["reasons"] as? [String]) == [])
        for clip in ["de/c3.wav", "de/c4.wav", "de/c5.wav"] {
            #expect((d[clip]?["reasons"] as? [String]) == ["invalid_metadata"], "\(clip)")
        }
        #expect((d["de/c3.wav"]?["detail"] as? String)?.contains("differs from the community's 'CC-BY-4.0'") == true)
        #expect((d["de/c4.wav"]?["detail"] as? String)?.contains("regions FR are not allowed") == true)

        // c0 and c1 share the community's terms; c2 narrowed them: two groups, two shards, two terms.json.
        let files = try filesUnder(out).keys
        let tars = files.filter { $0.hasSuffix(".tar") }.sorted()
        #expect(tars.count == 2)
        #expect(files.filter { $0.hasSuffix(".terms.json") }.count == 2)
        let shards = try ShardReader.read(output: out)
        let groups = Dictionary(grouping: shards.samples.values) { $0.json["terms"] as? String ?? "" }
        #expect(groups.count == 2)
        for (label, samples) in groups {
            let terms =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: out + "/shards/de/de-\(label).terms.json")))
                as! [String: Any]
            #expect(terms["license"] as? String == "CC-BY-4.0")
            #expect(samples.allSatisfy { $0.json["license"] as? String == "CC-BY-4.0" })
        }
        let attribution = try String(contentsOfFile: out + "/shards/de/ATTRIBUTION.md", encoding: .utf8)
        #expect(attribution.contains("Deutsche Sprachgemeinschaft") && attribution.contains("- Anna"))
        #expect(!attribution.contains("ID-SECRET"))  // credit lines, never client_ids
    }

    @Test func aBrokenCommunityTermsFileStopsTheRunNamingTheKey() async throws {
        let corpus = try CorpusFixture(clips: [("de/c.wav", 300, 1.2, ["-b", "16"])])
        defer { corpus.remove() }
        try TestSupport.write("license: CC-BY-4.0\nregion: [DE]\n", to: corpus.root + "/de/TERMS.yaml")
        let run = await #expect(throws: RunError.self) { _ = try await corpus.ingest(jobs: 1) }
        let scan = #expect(throws: RunError.self) { _ = try InputLayouts.scan(root: corpus.root) }
        for error in [run, scan] {
            #expect(error?.message.contains("TERMS.yaml") == true, "\(String(describing: error))")
            #expect(error?.message.contains("unknown key 'region'") == true, "\(String(describing: error))")
        }
    }

    @Test func noPersonalFieldReachesAnyOutput() async throws {
        let corpus = try CorpusFixture(clips: (0..<6).map { ("en/p\($0).wav", 400 + 10 * $0, 1.2, ["-b", "16"]) })
        defer { corpus.remove() }
        for i in 0..<6 {
            try sidecar(
                corpus, "en/p\(i)",
                [
                    "sentence": "a sentence \(i)", "client_id": "PRIVATE-ID-MARKER-\(i)", "consent": true,
                    "license": "CC0-1.0",
                    "gender": "PRIVATE-GENDER-MARKER", "age": "PRIVATE-AGE-MARKER", "accent": "PRIVATE-ACCENT-MARKER",
                    "locale": i == 0 ? "PRIVATE-LOCALE-MARKER" : "en-GB", "email": "PRIVATE-EMAIL-MARKER@example.org",
                ])
        }
        try TestSupport.write("PRIVATE-ID-MARKER-5\n", to: corpus.root + "/withdrawals.txt")
        let (summary, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        #expect(summary.accepted == 4)  // p0's locale is not a language, p5 withdrew
        let marker = Data("PRIVATE-".utf8)
        for (name, data) in try filesUnder(out) {  // shards are searched byte for byte, members included
            #expect(data.range(of: marker) == nil, "a personal field leaked into \(name)")
        }
        // The ledger is the operator's private state (like the uploads), but it keeps nothing of the
        // contributor who withdrew.
        let ledger = try Data(contentsOf: URL(fileURLWithPath: out + "/.voxgate/ledger.sqlite"))
        #expect(ledger.range(of: Data("PRIVATE-ID-MARKER-5".utf8)) == nil)
        let printed = summary.warnings + summary.notes + summary.languages.map(\.tag)
        #expect(!printed.contains { $0.contains("PRIVATE-") })
    }

    @Test(arguments: [(4, false), (5, true)])
    func demographicsFollowTheRuleOfFive(speakers: Int, published: Bool) async throws {
        let corpus = try CorpusFixture(
            clips: (0..<speakers).map { ("eu/d\($0).wav", 500 + 10 * $0, 1.2, ["-b", "16"]) })
        defer { corpus.remove() }
        for i in 0..<speakers {
            try sidecar(
                corpus, "eu/d\(i)",
                [
                    "sentence": "s\(i)", "client_id": "speaker-\(i)", "consent": true, "license": "CC0-1.0",
                    "gender": i % 2 == 0 ? "female_feminine" : "male_masculine", "age": "thirties",
                ])
        }
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        let totals =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json"))) as! [String: Any]
        let eu = (totals["locales"] as! [String: [String: Any]])["eu"]!
        let datasheet = try String(contentsOfFile: out + "/datasheets/eu.md", encoding: .utf8)
        if published {
            let demographics = eu["demographics"] as? [String: [String: Double]]
            #expect(demographics?["age"]?["thirties"] == 1.0)
            #expect(demographics?["gender"]?["female_feminine"] == 0.6)
            #expect(datasheet.contains("female_feminine 60.0%"))
        } else {
            #expect(eu["demographics"] is NSNull)
            #expect((eu["demographicsWithheld"] as? String)?.contains("fewer than 5") == true)
            #expect(!datasheet.contains("female_feminine") && datasheet.contains("Withheld"))
        }
    }

    @Test func splitsAreStableAcrossReleasesAndSentencesNeverCrossThem() async throws {
        // Release 1: 12 speakers, each reading a unique sentence and a shared one.
        var clips: [(String, Int, Double, [String])] = []
        for s in 0..<12 {
            clips += [
                ("fr/a\(s)-1.wav", 300 + 7 * s, 1.1, ["-b", "16"]), ("fr/a\(s)-2.wav", 900 + 7 * s, 1.1, ["-b", "16"]),
            ]
        }
        let corpus = try CorpusFixture(clips: clips)
        defer { corpus.remove() }
        for s in 0..<12 {
            try sidecar(
                corpus, "fr/a\(s)-1",
                ["sentence": "phrase \(s)", "client_id": "spk-\(s)", "consent": true, "license": "CC0-1.0"])
            try sidecar(
                corpus, "fr/a\(s)-2",
                ["sentence": "La même phrase !", "client_id": "spk-\(s)", "consent": true, "license": "CC0-1.0"])
        }
        let (_, first) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(first) }
        let before = try decisions(first)

        // Release 2: the same uploads plus 8 new speakers.
        let more = try CorpusFixture(clips: (12..<20).map { ("fr/a\($0)-1.wav", 300 + 7 * $0, 1.1, ["-b", "16"]) })
        defer { more.remove() }
        for s in 12..<20 {
            try FileManager.default.copyItem(
                atPath: more.root + "/fr/a\(s)-1.wav", toPath: corpus.root + "/fr/a\(s)-1.wav")
            try sidecar(
                corpus, "fr/a\(s)-1",
                ["sentence": "phrase \(s)", "client_id": "spk-\(s)", "consent": true, "license": "CC0-1.0"])
        }
        let (_, second) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(second) }
        let after = try decisions(second)
        for (clip, d) in before {
            #expect((d["split"] as? String) == (after[clip]?["split"] as? String), "\(clip) moved")
        }
        let splits = Set(after.values.compactMap { $0["split"] as? String })
        #expect(splits.count >= 2)  // 20 speakers at 80/10/10: more than one split in use

        // The shared sentence stays in one split; the clips it would have crossed into are left out and counted.
        let shared = after.filter { $0.key.hasSuffix("-2.wav") }.values
        #expect(Set(shared.compactMap { $0["split"] as? String }).count == 1)
        let leftOut = shared.filter { $0["split"] is NSNull }.count
        let totals =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: second + "/totals.json"))) as! [String: Any]
        #expect((totals["locales"] as! [String: [String: Any]])["fr"]?["splitConflicts"] as? Int == leftOut)
        #expect(leftOut > 0)
        // Manifests list exactly the clips with a split (a split in use has its file, an unused one has none),
        // speaker-disjoint.
        var speakersBySplit: [String: Set<String>] = [:]
        for split in ["train", "dev", "test"] {
            let path = second + "/splits/fr/\(split).tsv"
            let wanted = Set(after.filter { $0.value["split"] as? String == split }.keys)
            guard FileManager.default.fileExists(atPath: path) else {
                #expect(wanted.isEmpty, "\(split).tsv is missing but decisions put \(wanted.sorted()) in \(split)")
                continue
            }
            let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            }
            #expect(rows.first == ["key", "shard", "clip", "speaker", "duration_s"])
            let body = rows.dropFirst()
            #expect(body.allSatisfy { $0.count == 5 }, "\(split).tsv has a row without 5 fields")
            let listed = body.map { $0[2] }
            #expect(listed.count == Set(listed).count, "\(split).tsv lists a clip twice")
            #expect(Set(listed) == wanted, "\(split).tsv lists \(listed.sorted()), decisions say \(wanted.sorted())")
            speakersBySplit[split] = Set(body.map { $0[3] })
        }
        #expect(
            speakersBySplit.count == splits.count,
            "split files \(speakersBySplit.keys.sorted()) for splits \(splits.sorted())")
        let all = speakersBySplit.values.flatMap { $0 }
        #expect(all.count == Set(all).count, "a speaker appears in two splits")
    }
}
