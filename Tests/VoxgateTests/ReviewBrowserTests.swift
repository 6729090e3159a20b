import Foundation
import Testing
import VoxgateCorpus
import VoxgateLedger

@testable import VoxgateOutputs

/// The review page: a browser session (HttpOnly, SameSite=Strict cookie; CSRF token on posts), over HTTP and
/// in headless Chromium driven through the DevTools protocol (scripts/review-in-chromium.py).
@Suite("Review page: sessions, CSRF, and a real browser", .serialized)
struct ReviewBrowserTests {
    static let hasChromium = (try? TestSupport.run("chromium", ["--version"]))?.status == 0

    static func signIn(_ server: RunningReviewServer, token: String) async throws -> (cookie: String, csrf: String) {
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let reply = try await server.request("POST", "/session", headers: form, body: Data("token=\(token)".utf8))
        #expect(reply.status == 303)
        let setCookie = reply.header("Set-Cookie") ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try await server.request("GET", reply.header("Location") ?? "/", headers: ["Cookie": cookie])
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        let csrf = html.components(separatedBy: "data-csrf=\"").dropFirst().first?.prefix { $0 != "\"" } ?? ""
        return (cookie, String(csrf))
    }

    @Test func browserSessionsNeedTheCSRFTokenOnEveryPost() async throws {
        let corpus = try ReviewServerTests.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let server = try await RunningReviewServer.start(output: out)
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        #expect(
            try await server.request("POST", "/session", headers: form, body: Data("token=wrong".utf8)).status == 401)
        let (cookie, csrf) = try await Self.signIn(server, token: RunningReviewServer.tokens["ben"]!)
        #expect(csrf.count == 64)
        let json = ["Content-Type": "application/json", "Cookie": cookie]
        let body = Data(#"{"clip": "en/one.wav", "vote": "accept"}"#.utf8)
        #expect(try await server.request("GET", "/api/queue?language=en", headers: ["Cookie": cookie]).status == 200)
        #expect(try await server.request("POST", "/api/votes", headers: json, body: body).status == 403)
        #expect(
            try await server.request(
                "POST", "/api/votes", headers: json.merging(["X-CSRF-Token": String(repeating: "0", count: 64)]) { $1 },
                body: body
            )
            .status == 403)
        #expect(
            try await server.request(
                "POST", "/api/votes",
                headers: json.merging(["X-CSRF-Token": csrf, "Origin": "http://evil.example"]) { $1 }, body: body
            ).status == 403)
        #expect(try VoteStore(output: out).count() == 0)
        #expect(
            try await server.request(
                "POST", "/api/votes", headers: json.merging(["X-CSRF-Token": csrf]) { $1 }, body: body
            ).status == 201)
        let formVote = Data("clip=en%2Ftwo.flac&vote=reject&csrf=\(csrf)".utf8)
        #expect(
            try await server.request(
                "POST", "/api/votes", headers: form.merging(["Cookie": cookie]) { $1 }, body: formVote
            ).status == 201)
        #expect(
            try VoteStore(output: out).votes(of: "ben").mapValues(\.accept) == [
                "en/one.wav": true, "en/two.flac": false,
            ])
        // The page itself: hostile text from the uploads stays text.
        let page = try await server.request("GET", "/review?language=en", headers: ["Cookie": cookie])
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
        #expect(try await server.request("GET", "/review?language=de", headers: ["Cookie": cookie]).status == 403)
        await server.stop()
    }

    @Test(.enabled(if: hasChromium, "chromium is not installed (apt-get install chromium)"))
    func aReviewerSignsInPlaysAndVotesByKeyboardInChromium() async throws {
        let corpus = try ReviewServerTests.corpus()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let server = try await RunningReviewServer.start(output: out)
        let r = try TestSupport.run(
            "python3",
            [
                TestSupport.packageRoot + "/scripts/review-in-chromium.py", server.base,
                RunningReviewServer.tokens["ana"]!, "en",
            ])
        await server.stop()
        let report = (try? JSONSerialization.jsonObject(with: Data(r.output.utf8))) as? [String: Any] ?? [:]
        #expect(r.status == 0, "\(r.output) \(r.error)")
        #expect(report["signed_in"] as? Bool == true)
        #expect(report["cookie_http_only"] as? Bool == true && report["cookie_visible_to_script"] as? Bool == false)
        #expect(report["played"] as? Bool == true)
        // The first clip of the queue is the flagged one; the keyboard vote is stored under the reviewer's name.
        #expect(report["voted_clip"] as? String == "en/mismatch.wav")
        #expect(try VoteStore(output: out).votes(of: "ana")["en/mismatch.wav"]?.accept == true)
        // The cross-site form post reached the server and was refused; no vote was stored by it.
        #expect(report["cross_site_path"] as? String == "/api/votes")
        #expect((report["cross_site_text"] as? String)?.contains("error") == true)
        #expect(try VoteStore(output: out).count() == 1)
    }
}
