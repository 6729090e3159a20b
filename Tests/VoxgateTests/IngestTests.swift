import Foundation
import Testing
import VoxgateCorpus
import VoxgatePipeline

@testable import VoxgateOutputs
@testable import VoxgateRun

@Suite("Ingest: decisions, shards and totals")
struct IngestTests {
    @Test func sameInputGivesByteIdenticalOutputsWhateverTheJobs() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        var config = PipelineConfig()
        config.shards.maxSamples = 2  // several shards per language, so shard order matters too
        config.run.clipsInFlightPerJob = 1
        let one = try await corpus.ingest(jobs: 1, config: config)
        let two = try await corpus.ingest(jobs: 2, config: config)
        let four = try await corpus.ingest(jobs: 4, config: config)
        defer { [one.output, two.output, four.output].forEach(TestSupport.remove) }
        let deterministic = { (files: [String: Data]) in files.filter { $0.key != "run.json" } }
        let a = try deterministic(filesUnder(one.output))
        #expect(a.keys.contains("decisions.jsonl") && a.keys.contains("totals.json") && a.keys.contains("totals.csv"))
        #expect(a.keys.filter { $0.hasSuffix(".tar") }.count == 3)  // en: 2+2 samples, de: 2
        #expect(a == (try deterministic(filesUnder(two.output))))
        #expect(a == (try deterministic(filesUnder(four.output))))
    }

    @Test func decisionsFollowTheContract() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (summary, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let lines = try TestSupport.jsonLines(out + "/decisions.jsonl")
        #expect(
            lines.map { $0["clip"] as? String } == [
                "de/eins.wav", "de/zwei.flac", "en/four.flac", "en/one.wav", "en/three.wav", "en/two.flac",
            ])
        let contract = [
            "clip", "status", "reasons", "detail", "language", "duration_s", "sample_rate", "channels",
            "loudness_lufs", "snr_db", "duplicate_of",
        ]
        for line in lines {
            for field in contract { #expect(line.keys.contains(field), "missing \(field)") }
            #expect(line["status"] as? String == "accepted")
            #expect((line["reasons"] as? [Any])?.isEmpty == true)
            #expect(line["detail"] is NSNull)
            #expect(line["sample_rate"] as? Int == 16000 && line["channels"] as? Int == 1)
        }
        #expect(lines[1]["duration_s"] as? Double == 1.9)  // 30 400 frames / 16 000 Hz, exactly
        #expect(lines[0]["language"] as? String == "de")
        #expect(summary.accepted == 6 && summary.clips == 6)
        // The raw decisions text keeps the contract's field order.
        let first = try String(contentsOfFile: out + "/decisions.jsonl", encoding: .utf8).prefix(60)
        #expect(first.hasPrefix(#"{"clip":"de/eins.wav","status":"accepted","#))
    }

    @Test func totalsAreExactAndFollowCommonVoiceNames() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let totals =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json"))) as! [String: Any]
        let locales = totals["locales"] as! [String: [String: Any]]
        let en = locales["en"]!
        #expect(en["clips"] as? Int == 4 && en["accepted"] as? Int == 4 && en["rejected"] as? Int == 0)
        #expect(en["totalDurationSecs"] as? Double == 6.4)  // 1.5 + 2.0 + 1.2 + 1.7
        #expect(en["validHrs"] as? Double == 0.0018)  // 6.4 s, rounded to 4 places when printed
        #expect(en["avgDurationSecs"] as? Double == 1.6)
        #expect(en["users"] as? Int == 3)  // spk-0, spk-1, spk-2
        #expect(locales["de"]!["users"] as? Int == 2)
        #expect(totals["clips"] as? Int == 6 && totals["users"] as? Int == 3)
        #expect(totals["totalDurationSecs"] as? Double == 9.7)
        #expect(totals["duration"] as? Int == 9700)  // milliseconds, as Common Voice
        let enSize = try ["one.wav", "two.flac", "three.wav", "four.flac"].reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: corpus.root + "/en/" + $1)[.size] as! Int)
        }
        #expect(en["size"] as? Int == enSize)
        let byReason = en["rejectedByReason"] as! [String: Int]
        #expect(Set(byReason.keys) == Set(ReasonCode.allCases.map(\.rawValue)))
        let csv = try String(contentsOfFile: out + "/totals.csv", encoding: .utf8).split(separator: "\n")
        // header, every catalog language (zeros included), TOTAL
        #expect(csv.count == 1 + LanguageCatalog.shared.entries.count + 1)
        #expect(csv.contains { $0.hasPrefix("en,4,4,0,0.0018,0.0018,1.600,3,3,") })
        #expect(csv.contains { $0.hasPrefix("yo,0,0,0,0.0000,0.0000,,0,0,") })
        #expect(csv.last?.hasPrefix("TOTAL,6,6,0,") == true)
        #expect(locales.count == LanguageCatalog.shared.entries.count)
        #expect(locales["cy"]?["clips"] as? Int == 0)
    }

    @Test func shardsNeverMixLanguagesOrLicencesAndRespectTheirBounds() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        // A second licence for one English clip.
        try TestSupport.write(
            TestSupport.sidecar(sentence: "s", client: "spk-1", license: "CC-BY-4.0"), to: corpus.root + "/en/two.json")
        var config = PipelineConfig()
        config.shards.maxBytes = 1 << 20
        config.shards.maxSamples = 2
        let (summary, out) = try await corpus.ingest(jobs: 2, config: config)
        defer { TestSupport.remove(out) }
        let shards = try filesUnder(out).keys.filter { $0.hasSuffix(".tar") }.sorted()
        #expect(
            shards == [
                "shards/de/de-CC0-1.0-000000.tar",
                "shards/en/en-CC-BY-4.0-000000.tar",
                "shards/en/en-CC0-1.0-000000.tar",
                "shards/en/en-CC0-1.0-000001.tar",
            ])
        #expect(summary.shards == 4)
        let decisions = try TestSupport.jsonLines(out + "/decisions.jsonl")
        let two = decisions.first { $0["clip"] as? String == "en/two.flac" }!
        #expect(two["shard"] as? String == "shards/en/en-CC-BY-4.0-000000.tar")
    }

    @Test func shardsStayWithinTheByteBoundAndAnOversizedSampleGetsAShardOfItsOwn() async throws {
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 300, 25, ["-b", "24"]),  // 1.2 MB: larger than the bound on its own
            ("en/b.wav", 310, 19, ["-b", "24"]),  // 0.91 MB
            ("en/c.wav", 320, 1.1, ["-b", "16"]),  // 35 kB: fits beside b
        ])
        defer { corpus.remove() }
        var config = PipelineConfig()
        config.checks.maxDurationSeconds = 30
        config.shards.maxBytes = 1 << 20
        let (_, out) = try await corpus.ingest(jobs: 1, config: config)
        defer { TestSupport.remove(out) }
        let shards = try filesUnder(out).filter { $0.key.hasSuffix(".tar") }
        #expect(shards.keys.sorted() == ["shards/en/en-CC0-1.0-000000.tar", "shards/en/en-CC0-1.0-000001.tar"])
        let first = try TestSupport.must("tar", ["-tf", out + "/shards/en/en-CC0-1.0-000000.tar"])
        #expect(first.split(separator: "\n").count == 2)  // a.wav + a.json alone
        #expect(shards["shards/en/en-CC0-1.0-000001.tar"]!.count <= 1 << 20)
    }

    @Test func shardsAreReadBackByWebDatasetAndSoundfile() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        for audio in [ShardConfig.Audio.original, .flac] {
            var config = PipelineConfig()
            config.shards.audio = audio
            let (_, out) = try await corpus.ingest(jobs: 2, config: config)
            defer { TestSupport.remove(out) }
            let decisions = try TestSupport.jsonLines(out + "/decisions.jsonl")
            let read = try ShardReader.read(output: out)
            #expect(read.samples.count == decisions.count)
            for d in decisions {
                let clip = d["clip"] as! String
                guard let s = read.samples[clip] else {
                    Issue.record("\(clip) is not in any shard")
                    continue
                }
                #expect(s.frames == d["frames"] as? Int, "\(clip)")
                #expect(s.sampleRate == d["sample_rate"] as? Int)
                #expect(s.audio == (audio == .flac ? "flac" : (clip as NSString).pathExtension))
                #expect(s.json["sentence"] as? String != nil)
                let speaker = s.json["speaker"] as? String ?? ""
                #expect(speaker.count == 64 && !speaker.hasPrefix("spk-"))  // keyed hash, never the raw id
                #expect(s.json["license"] as? String == "CC0-1.0")
            }
        }
    }

    @Test func aSecondRunOverTheSameTreeDecodesNothingAndChangesNothing() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (first, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        #expect(first.decoded == first.clips && first.reused == 0)
        let before = try filesUnder(out)
        let (again, _) = try await corpus.ingest(jobs: 2, output: out)
        #expect(again.decoded == 0 && again.reused == first.clips)
        #expect(again.newShards == 0 && again.rewrittenShards == 0)
        #expect(try filesUnder(out).filter { $0.key != "run.json" } == before.filter { $0.key != "run.json" })

        // A killed run leaves .partial files behind; --force starts the folder over and removes them.
        try TestSupport.write("half a shard", to: out + "/shards/en/en-CC0-1.0-000009.tar.partial")
        var options = IngestOptions(
            root: corpus.root, output: out, config: PipelineConfig(), jobs: 1,
            speakerKeyPath: corpus.root + "/../voxgate-test-speaker.key", force: true)
        let forced = try await Ingest.run(options)
        #expect(forced.decoded == first.clips)
        let after = try filesUnder(out)
        #expect(after.keys.allSatisfy { !$0.hasSuffix(".partial") })
        #expect(after.filter { $0.key != "run.json" } == before.filter { $0.key != "run.json" })

        // A folder holding a run without a ledger (an older voxgate's) is not taken over silently.
        try FileManager.default.removeItem(atPath: out + "/.voxgate")
        options.force = false
        await #expect(throws: RunError.self) { _ = try await Ingest.run(options) }
        #expect(try filesUnder(out) == after)
    }

    @Test func anInterruptedRunLeavesNothingBehind() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        var config = PipelineConfig()
        config.shards.maxSamples = 1  // shards complete (and are renamed into place) before the interruption
        let options = IngestOptions(
            root: corpus.root, output: out, config: config, jobs: 1,
            speakerKeyPath: corpus.root + "/../voxgate-test-speaker.key")
        await #expect(throws: CancellationError.self) {
            _ = try await Ingest.run(options) { progress in
                if progress.done == 4 { withUnsafeCurrentTask { $0?.cancel() } }  // as SIGINT does in the CLI
            }
        }
        let left = try filesUnder(out).keys.sorted()
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func leftoversOfAKilledRunAreReplacedWithoutForce() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        // What a SIGKILL can leave: a completed shard, a partial one, totals, but no decisions.jsonl.
        try FileManager.default.createDirectory(atPath: out + "/shards/xx", withIntermediateDirectories: true)
        try TestSupport.write("old", to: out + "/shards/xx/xx-CC0-1.0-000007.tar")
        try TestSupport.write("half", to: out + "/shards/xx/xx-CC0-1.0-000008.tar.partial")
        try TestSupport.write("{}", to: out + "/totals.json")
        _ = try await corpus.ingest(jobs: 1, output: out)
        let files = try filesUnder(out).keys
        #expect(!files.contains { $0.hasPrefix("shards/xx/") })
        #expect(files.contains("decisions.jsonl"))
    }

    @Test func aSpeakerReadingTheSameSentenceAgainIsADuplicateUnlessConfiguredOff() async throws {
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 300, 1.5, ["-b", "16"]), ("en/b.wav", 320, 1.6, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        try TestSupport.write(
            TestSupport.sidecar(sentence: "Hello, world!", client: "spk-7"), to: corpus.root + "/en/a.json")
        try TestSupport.write(
            TestSupport.sidecar(sentence: "hello   WORLD", client: "spk-7"), to: corpus.root + "/en/b.json")
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        let b = try TestSupport.jsonLines(out + "/decisions.jsonl").first { $0["clip"] as? String == "en/b.wav" }!
        #expect(b["reasons"] as? [String] == ["duplicate"])
        #expect(b["duplicate_of"] as? String == "en/a.wav")
        #expect((b["detail"] as? String)?.contains("same speaker already recorded this sentence") == true)
        var config = PipelineConfig()
        config.dedupe.sameSpeakerSentence = false
        let (summary, off) = try await corpus.ingest(jobs: 1, config: config)
        defer { TestSupport.remove(off) }
        #expect(summary.accepted == 2)
    }

    /// A re-encoded copy of a clip uploaded to another language folder: `duplicate` of the kept original, with the
    /// similarity and offset; totals count one group of duplicates in that language.
    @Test func aReencodedCopyInAnotherLanguageIsANearDuplicate() async throws {
        // hz 308: the long rainbow sentence, so the clip does not loop (a loop would align at several offsets).
        let corpus = try CorpusFixture(clips: [
            ("en/a.wav", 308, 3.0, ["-b", "16"]), ("en/b.wav", 420, 2.0, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        try FileManager.default.createDirectory(atPath: corpus.root + "/fr", withIntermediateDirectories: true)
        try TestSupport.must(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-i", corpus.root + "/en/a.wav", "-af", "adelay=300", "-c:a",
                "libmp3lame", "-b:a", "48k", "-ar", "22050", corpus.root + "/fr/copie.mp3",
            ])
        try TestSupport.write(
            TestSupport.sidecar(sentence: "une phrase", client: "spk-fr"), to: corpus.root + "/fr/copie.json")
        let (summary, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let lines = try TestSupport.jsonLines(out + "/decisions.jsonl")
        let byClip = Dictionary(uniqueKeysWithValues: lines.map { ($0["clip"] as! String, $0) })
        #expect(byClip["en/a.wav"]?["status"] as? String == "accepted")
        #expect(byClip["en/b.wav"]?["status"] as? String == "accepted")
        let copy = try #require(byClip["fr/copie.mp3"])
        #expect(copy["reasons"] as? [String] == ["duplicate"])
        #expect(copy["duplicate_of"] as? String == "en/a.wav")
        let detail = copy["detail"] as? String ?? ""
        #expect(detail.hasPrefix("duplicate: the same recording as en/a.wav (similarity 0."), "\(detail)")
        // 300 ms of delay added, and the MP3 encoder's own delay (a few ms).
        let offset =
            detail.firstRange(of: /offset \+(\d+) ms/).map { Int(detail[$0].dropFirst(8).dropLast(3)) ?? -1 } ?? -1
        #expect((290...360).contains(offset), "\(detail)")
        #expect(summary.accepted == 2)
        let totals =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json")))
            as! [String: Any]
        let locales = totals["locales"] as! [String: [String: Any]]
        #expect(locales["fr"]?["duplicateGroups"] as? Int == 1)
        #expect(locales["en"]?["duplicateGroups"] as? Int == 0)
        #expect(totals["duplicateGroups"] as? Int == 1)
    }

    @Test func oneRunAtATimeAndAStaleLockIsTakenOver() async throws {
        let corpus = try CorpusFixture(clips: [("en/a.wav", 300, 1.2, ["-b", "16"])])
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        do {
            let holder = try RunLock(output: out)  // another run, as far as the next one can tell
            do {
                _ = try await corpus.ingest(jobs: 1, output: out)
                Issue.record("a second run went ahead while the lock was held")
            } catch let error as RunError {
                #expect(error.code == .busy)
                #expect(error.message.contains("pid \(getpid())"), "\(error.message)")
            }
            withExtendedLifetime(holder) {}
        }
        // The holder is gone; its lock file stays behind, as after a SIGKILL. The next run takes it over.
        #expect(FileManager.default.fileExists(atPath: out + "/.voxgate.lock"))
        _ = try await corpus.ingest(jobs: 1, output: out)
        #expect(FileManager.default.fileExists(atPath: out + "/decisions.jsonl"))
    }

    @Test func anAbandonedAtomicFileLeavesNothingBehind() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        do {
            let file = try AtomicFile(path: dir + "/x.tar")
            try file.write("partial content")
            #expect(FileManager.default.fileExists(atPath: dir + "/x.tar.partial"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.tar"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let done = try AtomicFile(path: dir + "/y.tar")
        try done.write("whole")
        try done.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["y.tar"])
    }

    @Test func tarHeadersAreReadByGNUTar() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let writer = ShardWriter(outputRoot: dir, maxBytes: 1 << 20, maxSamples: 10)
        try writer.add(
            language: "xx", terms: Terms(license: "CC0-1.0"),
            members: [
                ("k_1.json", .bytes(Array("{}".utf8))), ("k_1.wav", .bytes([UInt8](repeating: 7, count: 513))),
            ])
        let shards = try writer.finish()
        #expect(shards.map(\.path) == ["shards/xx/xx-CC0-1.0-000000.tar"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + shards[0].path))  // sealed, owed by a commit
        #expect(try AtomicFile.renameIntoPlace(dir + "/" + shards[0].path))
        let listing = try TestSupport.must("tar", ["-tvf", dir + "/" + shards[0].path])
        #expect(listing.contains("k_1.json") && listing.contains("513"))
        #expect(shards[0].bytes == 512 + 512 + 512 + 1024 + 1024)
    }
}

@Suite("Operating from cron")
struct MetricsFileTests {
    @Test func prometheusTextfileIsWellFormed() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (summary, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        try MetricsFile.write(summary, to: out + "/voxgate.prom")
        let text = try String(contentsOfFile: out + "/voxgate.prom", encoding: .utf8)
        // Every sample line is `name{labels} value` with a HELP and TYPE before its family.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(
                line.range(of: #"^voxgate_[a-z_]+(\{[a-z]+="[^"]*"\})? -?[0-9.e+]+$"#, options: .regularExpression)
                    != nil,
                "\(line)")
        }
        // The whole file, line by line: each family is `# HELP name …`, `# TYPE name gauge`, then one or more
        // samples of that name only; no family twice; the families of the README's list, in the file's order.
        let families = try Self.metricFamilies(text)
        #expect(
            families.map(\.name) == [
                "voxgate_clips", "voxgate_clips_accepted", "voxgate_clips_rejected", "voxgate_accepted_hours",
                "voxgate_clips_decoded", "voxgate_clips_reused", "voxgate_shards_new", "voxgate_shards_rewritten",
                "voxgate_run_duration_seconds", "voxgate_last_success_timestamp_seconds",
            ])
        #expect(families.first { $0.name == "voxgate_clips_rejected" }?.samples == ReasonCode.allCases.count)
        #expect(families.first { $0.name == "voxgate_accepted_hours" }?.samples == summary.languages.count)
        #expect(text.contains("voxgate_clips 6.0"))
        #expect(text.contains(#"voxgate_clips_rejected{reason="too_short"} 0.0"#))
        #expect(text.contains(#"voxgate_accepted_hours{language="en"}"#))
        #expect(text.contains("# TYPE voxgate_last_success_timestamp_seconds gauge"))
        for file in ["crontab", "voxgate-ingest.service", "voxgate-ingest.timer"] {
            #expect(FileManager.default.fileExists(atPath: TestSupport.packageRoot + "/pipelines/cron/" + file))
        }
    }

    /// The families of a Prometheus text file, in order, with their sample counts; throws at the first line out
    /// of order (a sample before its HELP and TYPE, a TYPE without its HELP, a family split or repeated).
    static func metricFamilies(_ text: String) throws -> [(name: String, samples: Int)] {
        var families: [(name: String, samples: Int)] = []
        var expecting = "HELP"  // HELP, then TYPE, then samples (or the next HELP once there is one)
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            let at = "line \(number + 1) '\(line)'"
            if fields.first == "#" && fields.count >= 3 && fields[1] == "HELP" {
                guard expecting == "HELP" || expecting == "sample or HELP" else {
                    throw TestFailure("\(at): HELP out of order")
                }
                guard !families.contains(where: { $0.name == fields[2] }) else {
                    throw TestFailure("\(at): family repeated")
                }
                families.append((fields[2], 0))
                expecting = "TYPE"
            } else if fields.first == "#" && fields.count == 4 && fields[1] == "TYPE" {
                guard expecting == "TYPE", fields[2] == families.last?.name else {
                    throw TestFailure("\(at): TYPE out of order")
                }
                guard fields[3] == "gauge" else { throw TestFailure("\(at): not a gauge") }
                expecting = "sample"
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                guard expecting.hasPrefix("sample"), name == families.last?.name else {
                    throw TestFailure("\(at): a sample outside its family \(families.last?.name ?? "(none)")")
                }
                families[families.count - 1].samples += 1
                expecting = "sample or HELP"
            }
        }
        guard expecting == "sample or HELP" else {
            throw TestFailure("the file ends inside a family (expecting \(expecting))")
        }
        return families
    }
}
