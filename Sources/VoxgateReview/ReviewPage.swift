import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VoxgateCorpus
import VoxgateReport

/// The page for people: sign in once with the token, then one language's queue with a player per clip,
/// the machine's reasons and metrics, and keyboard shortcuts. Every value from the output folder is put on
/// the page as text (escaped server-side with the report's rules, or set with `textContent` by the script).
extension ReviewService {
    func addPageRoutes(to router: Router<ReviewContext>) {
        router.get("/") { request, context in
            if case .success(let caller) = await self.authenticate(request, context) {
                let first = caller.reviewer.languages.sorted().first ?? ""
                return Self.redirect("/review?language=" + Self.encode(first))
            }
            return Self.page(Self.signInBody(message: nil))
        }
        router.post("/session") { request, context in
            var request = request
            let client = self.client(request, context)
            if let wait = await self.limiter.retryAfter(client) {
                return Self.page(
                    Self.signInBody(message: "Too many wrong tokens; try again in \(wait) s."), status: .tooManyRequests
                )
            }
            let body = (try? await request.collectBody(upTo: 16 * 1024)).map { String(buffer: $0) } ?? ""
            guard let token = Self.formFields(body)["token"] as? String,
                let reviewer = self.options.reviewers.authenticate(token: token)
            else {
                await self.limiter.failed(client)
                return Self.page(Self.signInBody(message: "That token is not a reviewer's."), status: .unauthorized)
            }
            let (id, _) = await self.sessions.open(reviewer: reviewer.name)
            var response = Self.redirect("/review?language=" + Self.encode(reviewer.languages.sorted().first ?? ""))
            response.setCookie(
                Cookie(
                    name: Self.cookie, value: id, maxAge: Int(SessionStore.lifetime), path: "/",
                    secure: self.options.secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
        router.post("/session/end") { request, context in
            var request = request
            guard case .success(let caller) = await self.authenticate(request, context), caller.csrf != nil,
                let id = request.cookies[Self.cookie]?.value
            else { return Self.redirect("/") }
            let body = (try? await request.collectBody(upTo: 16 * 1024)).map { String(buffer: $0) } ?? ""
            if let e = self.checkCSRF(caller, request, formToken: Self.formFields(body)["csrf"] as? String) {
                return e.response
            }
            await self.sessions.close(id)
            var response = Self.redirect("/")
            response.setCookie(
                Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/review") { request, context in
            guard case .success(let caller) = await self.authenticate(request, context), let csrf = caller.csrf else {
                return Self.redirect("/")
            }
            let language = request.uri.queryParameters.get("language") ?? ""
            guard caller.reviewer.mayReview(language) else {
                return Self.page("<p>You do not review language \(HTML.escape(language)).</p>", status: .forbidden)
            }
            return Self.page(Self.reviewBody(caller.reviewer, language: language, csrf: csrf))
        }
        router.get("/review.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: ReviewScript.source)))
        }
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func page(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1">
            <title>voxgate review</title><style>
            body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
            .clip{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}.clip.current{border-color:#1a56db;box-shadow:0 0 0 2px #c3d4fb}
            .reason{display:inline-block;background:#fde8e8;color:#8a1c1c;border-radius:3px;padding:0 .35rem;margin-right:.3rem;font-size:.85em}
            .sentence{font-size:1.15em;margin:.3rem 0}.metrics{color:#555;font-size:.85em}.voted-accept{color:#1e6b2e}.voted-reject{color:#8a1c1c}
            kbd{border:1px solid #bbb;border-radius:3px;padding:0 .25rem}
            </style></head><body>
            \(body)
            </body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
                .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func signInBody(message: String?) -> String {
        """
        <h1>voxgate review</h1>
        \(message.map { "<p role=alert>\(HTML.escape($0))</p>" } ?? "")
        <form method=post action="/session"><label>Your reviewer token <input id=token name=token type=password autocomplete=off required autofocus></label>
        <button type=submit id=signin>Sign in</button></form>
        """
    }

    static func reviewBody(_ reviewer: Reviewer, language: String, csrf: String) -> String {
        let others = reviewer.languages.sorted().map {
            "<a href=\"/review?language=\(HTML.escape(encode($0)))\">\(HTML.escape($0))</a>"
        }.joined(separator: " ")
        return """
            <h1>Review <span id=lang>\(HTML.escape(language))</span></h1>
            <p>Signed in as <b>\(HTML.escape(reviewer.name))</b> · languages: \(others) ·
            <span id=progress>loading…</span></p>
            <form method=post action="/session/end"><input type=hidden name=csrf value="\(HTML.escape(csrf))"><button type=submit>Sign out</button></form>
            <p class=metrics>Keys: <kbd>p</kbd> or <kbd>space</kbd> play · <kbd>a</kbd> accept · <kbd>r</kbd> reject · <kbd>n</kbd> next · <kbd>b</kbd> back.
            Flagged clips (rejected for reasons a listener can judge) come first, then a sample of accepted ones.</p>
            <div id=queue data-language="\(HTML.escape(language))" data-csrf="\(HTML.escape(csrf))"></div>
            <p id=status role=status></p>
            <script src="/review.js"></script>
            """
    }
}
