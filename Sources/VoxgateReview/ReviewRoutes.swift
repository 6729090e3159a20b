import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VoxgateCorpus
import VoxgateLedger
import VoxgateReport

/// The JSON API: `/healthz`, `/api/queue`, `/api/clips/<clip>/audio`, `/api/votes`.
extension ReviewService {
    func addRoutes(to router: Router<ReviewContext>) {
        router.get("/healthz") { _, _ in Response.json(["status": "ok"]) }
        router.get("/api/queue") { request, context in await self.respond { try await self.queue(request, context) } }
        router.get("/api/clips/**") { request, context in await self.respond { try await self.audio(request, context) }
        }
        router.post("/api/votes") { request, context in await self.respond { try await self.vote(request, context) } }
        addPageRoutes(to: router)
    }

    func respond(_ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch let e as ErrorResponse { return e.response } catch {
            options.logger.error("request failed", metadata: ["error": "\(error)"])
            return ErrorResponse(.internalServerError, "the server could not answer (\(error))").response
        }
    }

    func caller(_ request: Request, _ context: ReviewContext) async throws -> Caller {
        switch await authenticate(request, context) {
        case .success(let caller): return caller
        case .failure(let error): throw error
        }
    }

    /// The clip (404 when the decisions do not list it) if the caller may review its language (else 403).
    func reviewable(_ path: String, by caller: Caller) throws -> ReviewCatalog.Clip {
        try? catalog.refresh()
        guard let clip = catalog.clip(path) else {
            throw ErrorResponse(.notFound, "no clip '\(path)' in this output folder's decisions")
        }
        guard caller.reviewer.mayReview(clip.language) else {
            throw ErrorResponse(.forbidden, "'\(caller.reviewer.name)' does not review language '\(clip.language)'")
        }
        return clip
    }

    func queue(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let caller = try await caller(request, context)
        guard let language = request.uri.queryParameters.get("language"), !language.isEmpty else {
            throw ErrorResponse(.badRequest, "name the language: /api/queue?language=TAG")
        }
        guard caller.reviewer.mayReview(language) else {
            throw ErrorResponse(.forbidden, "'\(caller.reviewer.name)' does not review language '\(language)'")
        }
        try? catalog.refresh()
        let mine = (try? votes.votes(of: caller.reviewer.name)) ?? [:]
        let tallies = (try? votes.tallies()) ?? [:]
        let clips = catalog.queue(language: language, sample: options.sample)
        let items: [[String: Any]] = clips.map { c in
            var item: [String: Any] = [
                "clip": c.clip, "status": c.accepted ? "accepted" : "rejected", "flagged": c.isFlagged,
                "reasons": c.reasons, "metrics": Dictionary(uniqueKeysWithValues: c.metrics),
                "audio_url": "/api/clips/" + Self.encode(c.clip) + "/audio",
            ]
            if let d = c.detail { item["detail"] = d }
            if let s = catalog.sentence(c.clip) { item["sentence"] = s }
            if let v = mine[c.clip] { item["my_vote"] = v.accept ? "accept" : "reject" }
            if let t = tallies[c.clip] { item["votes"] = ["accept": t.accept, "reject": t.reject] }
            return item
        }
        let voted = clips.filter { mine[$0.clip] != nil }.count
        return Response.json([
            "language": language, "reviewer": caller.reviewer.name, "clips": items,
            "progress": ["voted": voted, "total": clips.count],
        ])
    }

    func audio(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let caller = try await caller(request, context)
        let raw = request.uri.path
        let prefix = "/api/clips/"
        let suffix = "/audio"
        guard raw.hasPrefix(prefix), raw.hasSuffix(suffix), raw.count > prefix.count + suffix.count,
            let path = String(raw.dropFirst(prefix.count).dropLast(suffix.count)).removingPercentEncoding
        else { throw ErrorResponse(.notFound, "audio is at /api/clips/<clip>/audio") }
        let clip = try reviewable(path, by: caller)
        guard let found = ClipAudio.locate(clip, catalog: catalog), let data = ClipAudio.read(found) else {
            throw ErrorResponse(.notFound, "the audio of '\(path)' is neither in the upload folder nor in a shard")
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: found.contentType, .cacheControl: "private, max-age=3600",
                .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func vote(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let caller = try await caller(request, context)
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let isForm = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
        let fields: [String: Any]
        if isForm {
            fields = Self.formFields(String(buffer: body))
        } else {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            else {
                if let e = checkCSRF(caller, request, formToken: nil) { throw e }
                throw ErrorResponse(
                    .badRequest, "the body must be JSON: {\"clip\": …, \"vote\": \"accept\"|\"reject\", \"note\": …}")
            }
            fields = object
        }
        if let e = checkCSRF(caller, request, formToken: fields["csrf"] as? String) { throw e }
        guard let path = fields["clip"] as? String, !path.isEmpty else {
            throw ErrorResponse(.badRequest, "'clip' must be a clip path as decisions.jsonl gives it")
        }
        guard let choice = fields["vote"] as? String, choice == "accept" || choice == "reject" else {
            throw ErrorResponse(.badRequest, "'vote' must be \"accept\" or \"reject\"")
        }
        let note = fields["note"] ?? ""
        guard let noteText = note as? String, noteText.count <= 2000 else {
            throw ErrorResponse(.badRequest, "'note' must be text of at most 2000 characters")
        }
        let clip = try reviewable(path, by: caller)
        let at = ISO8601DateFormatter().string(from: Date())
        do {
            try votes.cast(
                VoteStore.Vote(
                    reviewer: caller.reviewer.name, clip: clip.clip, accept: choice == "accept", note: noteText, at: at)
            )
        } catch {
            throw ErrorResponse(.serviceUnavailable, "the vote could not be stored (\(error)); try again")
        }
        return Response.json(["clip": clip.clip, "vote": choice, "reviewer": caller.reviewer.name], status: .created)
    }

    /// Percent-encodes a clip path for a URL, keeping its slashes (the report's rule, ``HTML/url(_:)``).
    static func encode(_ path: String) -> String { HTML.url(path) }

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ body: String) -> [String: Any] {
        var fields: [String: Any] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first, fields[name] == nil { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
