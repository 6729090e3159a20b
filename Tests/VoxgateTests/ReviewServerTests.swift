import Foundation
import Testing
import VoxgateCorpus
import VoxgateLedger
import VoxgateReview
import VoxgateRun

@testable import VoxgateOutputs

/// The review server over real HTTP on loopback, and the policy the next ingest applies to its votes.
@Suite("Review server: API, storage, and the votes' effect on the next run", .serialized)
struct ReviewServerTests {
    /// en: three clean clips, one whose sidecar names another locale (language_mismatch), one without
    /// consent (no_consent); de: two clean clips.
    static func corpus() throws -> CorpusFixture {
        let c = try CorpusFixture(clips: [
            ("en/one.wav", 300, 1.5, ["-b", "16"]),
            ("en/two.flac", 350, 2.0, []),
            ("en/mismatch.wav", 400, 1.2, ["-b", "16"]),
            ("en/noconsent.wav", 450, 1.7, ["-b", "16"]),
            ("de/eins.wav", 500, 1.4, ["-b", "16"]),
            ("de/zwei.flac", 550, 1.9, []),
        ])
        try TestSupport.write(
            #"{"sentence": "sentence <b>2</b>", "client_id": "spk-2", "consent": true, "license": "CC0-1.0", "locale": "de"}"#,
            to: c.root + "/en/mismatch.json")
        try TestSupport.write(
            TestSupport.sidecar(sentence: "sentence 3", client: "spk-0", consent: false),
            to: c.root + "/en/noconsent.json")
        return c
    }

    static func decisions(_ out: String) throws -> [String: [String: Any]] {
        Dictionary(
            uniqueKeysWithValues: try TestSupport.jsonLines(out + "/decisions.jsonl").map {
                ($0["clip"] as! String, $0)
            })
    }

    @Test func everyStatusCodeAndLanguageScoping() async throws {
        let corpus = try Self.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        #expect(try Self.decisions(out)["en/mismatch.wav"]?["reasons"] as? [String] == ["language_mismatch"])
        let server = try await RunningReviewServer.start(output: out, badTokenLimit: 3)
        defer { Task { await server.stop() } }
        let ana = RunningReviewServer.tokens["ana"]!, ben = RunningReviewServer.tokens["ben"]!

        #expect(try await server.request("GET", "/healthz").status == 200)
        #expect(try await server.request("GET", "/api/queue?language=en").status == 401)
        let bad = try await server.request("GET", "/api/queue?language=en", token: "not-a-token")
        #expect(bad.status == 401 && bad.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(try await server.request("GET", "/api/queue", token: ben).status == 400)
        #expect(try await server.request("GET", "/api/queue?language=de", token: ben).status == 403)

        let queue = try await server.request("GET", "/api/queue?language=en", token: ana)
        #expect(queue.status == 200)
        let clips = queue.json["clips"] as? [[String: Any]] ?? []
        // Flagged first (only reasons a listener can judge: not no_consent), then the accepted sample.
        #expect(clips.first?["clip"] as? String == "en/mismatch.wav")
        #expect(clips.first?["sentence"] as? String == "sentence <b>2</b>")
        #expect((clips.first?["metrics"] as? [String: Any])?["snr_db"] != nil)
        #expect(!clips.contains { $0["clip"] as? String == "en/noconsent.wav" })
        #expect(Set(clips.dropFirst().compactMap { $0["clip"] as? String }) == ["en/one.wav", "en/two.flac"])
        #expect(clips.allSatisfy { ($0["clip"] as? String)?.hasPrefix("en/") == true })

        // Audio: the upload's own bytes; other languages 403; unknown clips and paths outside the folder 404.
        let url = clips.first?["audio_url"] as? String ?? ""
        let audio = try await server.request("GET", url, token: ben)
        #expect(audio.status == 200 && audio.header("Content-Type") == "audio/wav")
        #expect(audio.body == FileManager.default.contents(atPath: corpus.root + "/en/mismatch.wav"))
        #expect(try await server.request("GET", "/api/clips/de/eins.wav/audio", token: ben).status == 403)
        #expect(try await server.request("GET", "/api/clips/en/nothing.wav/audio", token: ben).status == 404)
        #expect(try await server.request("GET", "/api/clips/en/one.json/audio", token: ben).status == 404)
        #expect(
            try await server.request("GET", "/api/clips/..%2F..%2F..%2Fetc%2Fpasswd/audio", token: ana).status == 404)
        #expect(try await server.request("GET", "/api/clips/en/one.wav/audio").status == 401)

        // Votes: 400 malformed, 404 unknown clip, 403 another language, 201 stored.
        let json = ["Content-Type": "application/json"]
        #expect(
            try await server.request("POST", "/api/votes", token: ben, headers: json, body: Data("{nope".utf8)).status
                == 400)
        #expect(try await server.vote("en/one.wav", "maybe", as: "ben").status == 400)
        #expect(
            try await server.request(
                "POST", "/api/votes", token: ben, headers: json, body: Data(#"{"vote":"accept"}"#.utf8)
            ).status == 400)
        #expect(try await server.vote("en/nothing.wav", "accept", as: "ben").status == 404)
        #expect(try await server.vote("de/eins.wav", "accept", as: "ben").status == 403)
        #expect(try await server.vote("en/one.wav", "accept", as: "cy").status == 403)
        #expect(try await server.request("POST", "/api/votes", headers: json, body: Data("{}".utf8)).status == 401)
        let created = try await server.vote("en/mismatch.wav", "accept", as: "ben", note: "clearly English")
        #expect(created.status == 201)
        #expect(try await server.vote("de/eins.wav", "reject", as: "cy").status == 201)
        let tallies = try VoteStore(output: out).tallies()
        #expect(tallies["en/mismatch.wav"] == ReviewTally(accept: 1, reject: 0))
        #expect(tallies["de/eins.wav"] == ReviewTally(accept: 0, reject: 1))

        // Repeated bad tokens from one address: refused (429) for a while, even with a good token.
        let from = ["X-Forwarded-For": "203.0.113.7"]
        for _ in 0..<3 {
            #expect(
                try await server.request("GET", "/api/queue?language=en", token: "guess", headers: from).status == 401)
        }
        let limited = try await server.request("GET", "/api/queue?language=en", token: ana, headers: from)
        #expect(limited.status == 429 && Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        // others unaffected
        #expect(try await server.request("GET", "/api/queue?language=en", token: ana).status == 200)
        await server.stop()
    }

    @Test func aLaterVoteReplacesTheEarlierAndVotesSurviveARestart() async throws {
        let corpus = try Self.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        var server = try await RunningReviewServer.start(output: out)
        #expect(try await server.vote("en/one.wav", "accept", as: "ana").status == 201)
        #expect(try await server.vote("en/one.wav", "reject", as: "ana").status == 201)
        #expect(try await server.vote("en/one.wav", "reject", as: "ben").status == 201)
        await server.stop()
        server = try await RunningReviewServer.start(output: out)
        let queue = try await server.request("GET", "/api/queue?language=en", token: RunningReviewServer.tokens["ana"])
        let one = (queue.json["clips"] as? [[String: Any]])?.first { $0["clip"] as? String == "en/one.wav" }
        #expect(one?["my_vote"] as? String == "reject")
        #expect((one?["votes"] as? [String: Int]) == ["accept": 0, "reject": 2])
        #expect((queue.json["progress"] as? [String: Int])?["voted"] == 1)
        #expect(try VoteStore(output: out).count() == 2)
        await server.stop()
    }

    @Test func votesArriveWhileAnIngestHoldsTheLock() async throws {
        let corpus = try Self.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let server = try await RunningReviewServer.start(output: out)
        // The run lock held (as a run holds it) and the ledger open: votes are stored all the same.
        do {
            let lock = try RunLock(output: out)
            defer { withExtendedLifetime(lock) {} }
            #expect(try await server.vote("en/one.wav", "accept", as: "ana").status == 201)
        }
        // A real run with clips to decode, while votes keep arriving: neither waits for the other.
        _ = try CorpusFixture(
            clips: [("en/five.wav", 600, 1.3, ["-b", "16"]), ("en/six.wav", 650, 1.6, ["-b", "16"])], into: corpus.root,
            firstIndex: 10)
        let run = Task { try await corpus.ingest(jobs: 2, output: out) }
        var statuses: [Int] = []
        for (i, clip) in ["en/two.flac", "en/mismatch.wav", "en/one.wav", "en/two.flac"].enumerated() {
            statuses.append(
                try await server.vote(clip, i % 2 == 0 ? "accept" : "reject", as: i < 2 ? "ana" : "ben").status)
        }
        let summary = try await run.value.summary
        #expect(statuses == [201, 201, 201, 201])
        #expect(summary.clips == 8 && summary.decoded == 2)
        #expect(try VoteStore(output: out).count() == 5)  // ana: one, two, mismatch; ben: one, two
        #expect(try Ledger(output: out).runs().count == 2)
        await server.stop()
    }

    @Test func theNextIngestAppliesThePolicy() async throws {
        let corpus = try Self.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 1)
        let (_, other) = try await corpus.ingest(jobs: 3)
        defer { [out, other].forEach(TestSupport.remove) }
        let server = try await RunningReviewServer.start(output: out)
        for reviewer in ["ana", "ben"] {
            #expect(
                try await server.vote("en/mismatch.wav", "accept", as: reviewer, note: "secret-note-\(reviewer)").status
                    == 201)
            #expect(try await server.vote("en/noconsent.wav", "accept", as: reviewer).status == 201)
            #expect(try await server.vote("en/two.flac", "reject", as: reviewer).status == 201)
        }
        #expect(try await server.vote("en/one.wav", "reject", as: "ana").status == 201)  // one reject: not enough
        await server.stop()
        // The same votes in a second folder, ingested with other --jobs: the outputs must be identical.
        let copy = try VoteStore(output: other)
        for reviewer in ["ana", "ben"] {
            for (clip, accept) in [("en/mismatch.wav", true), ("en/noconsent.wav", true), ("en/two.flac", false)] {
                try copy.cast(
                    .init(reviewer: reviewer, clip: clip, accept: accept, note: "", at: "2026-01-01T00:00:00Z"))
            }
        }
        try copy.cast(.init(reviewer: "ana", clip: "en/one.wav", accept: false, note: "", at: "2026-01-01T00:00:00Z"))

        // Nothing about the clips changed: only the votes did, and the next run must notice them.
        let (summary, _) = try await corpus.ingest(jobs: 1, output: out)
        #expect(!summary.upToDate)
        let d = try Self.decisions(out)
        #expect(d["en/mismatch.wav"]?["status"] as? String == "accepted")
        #expect((d["en/mismatch.wav"]?["review"] as? [String: Int]) == ["accept": 2, "reject": 0])
        #expect((d["en/mismatch.wav"]?["detail"] as? String)?.contains("overruling: language_mismatch") == true)
        #expect(d["en/mismatch.wav"]?["shard"] is String)
        #expect(d["en/noconsent.wav"]?["status"] as? String == "rejected")
        #expect(d["en/noconsent.wav"]?["reasons"] as? [String] == ["no_consent"])
        #expect(d["en/two.flac"]?["reasons"] as? [String] == ["rejected_by_review"])
        #expect(d["en/two.flac"]?["shard"] is NSNull)
        #expect(d["en/one.wav"]?["status"] as? String == "accepted")
        #expect((d["en/one.wav"]?["review"] as? [String: Int]) == ["accept": 0, "reject": 1])
        #expect(d["de/eins.wav"]?["review"] == nil)
        let totals =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/totals.json")))
            as! [String: Any]
        let en = (totals["locales"] as! [String: Any])["en"] as! [String: Any]
        #expect(en["reviewed"] as? Int == 4 && en["overturned"] as? Int == 2)
        #expect((en["rejectedByReason"] as? [String: Int])?["rejected_by_review"] == 1)
        // The release holds the lifted clip, not the rejected one, and no reviewer's name or note.
        let files = try filesUnder(out)
        for (name, data) in files {
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains("secret-note") && !text.contains("\"ana\"") && !text.contains("\"ben\""), "\(name)")
        }
        let shards = try ShardReader.read(output: out)
        #expect(shards.samples["en/mismatch.wav"] != nil)
        #expect(shards.samples["en/two.flac"] == nil)

        _ = try await corpus.ingest(jobs: 3, output: other)
        let deterministic = { (files: [String: Data]) in files.filter { $0.key != "run.json" } }
        #expect(deterministic(files) == deterministic(try filesUnder(other)))
        // A run after that with no new votes is up to date again.
        #expect(try await corpus.ingest(jobs: 2, output: out).summary.upToDate)
    }

    @Test func reviewersFileProblemsAreNamed() throws {
        func problem(_ yaml: String) -> String {
            do {
                _ = try ReviewerList.parse(yaml: yaml, file: "r.yaml")
                return ""
            } catch { return error.message }
        }
        let hash = ReviewerList.hash(token: "t")
        #expect(problem("reviewers: []").contains("lists no reviewers"))
        #expect(
            problem("reviewers:\n  - name: a\n    token_sha256: abc\n    languages: [en]").contains("64 hex digits"))
        #expect(
            problem("reviewers:\n  - name: a\n    token_sha256: \(hash)\n    languages: []").contains("non-empty list"))
        #expect(
            problem("reviewers:\n  - name: a\n    token_sha256: \(hash)\n    languages: [en]\n    token: t").contains(
                "unknown key"))
        #expect(
            problem(
                "reviewers:\n  - {name: a, token_sha256: \(hash), languages: [en]}\n  - {name: b, token_sha256: \(hash), languages: [en]}"
            )
            .contains("the same token"))
        let list = try ReviewerList.parse(
            yaml: "reviewers:\n  - {name: a, token_sha256: \(hash.uppercased()), languages: [en]}", file: "r")
        #expect(list.authenticate(token: "t")?.name == "a")
        #expect(list.authenticate(token: "u") == nil)
    }
}
