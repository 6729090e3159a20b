import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdAuth
public import Logging
import NIOCore
public import VoxgateCorpus
import VoxgateLedger

/// What `voxgate review` was asked to do.
public struct ReviewServerOptions: Sendable {
    public var output: String
    public var host: String
    public var port: Int
    public var reviewers: ReviewerList
    /// Mark the session cookie `Secure` (served behind a TLS proxy).
    public var secureCookies = false
    /// Accepted clips sampled into each language's queue.
    public var sample = 20
    /// Failed token attempts per client per minute before it is refused (429).
    public var badTokenLimit = 5
    public var logger = Logger(label: "voxgate.review", factory: { _ in SwiftLogNoOpLogHandler() })

    public init(output: String, host: String, port: Int, reviewers: ReviewerList) {
        self.output = output
        self.host = host
        self.port = port
        self.reviewers = reviewers
    }
}

/// The request context: Hummingbird's, plus the peer's address (for the bad-token limiter).
public struct ReviewContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var peer: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// `voxgate review`: the review server over an output folder. It reads `decisions.jsonl`, `run.json`, the
/// uploads and shards, and writes only `<out>/.voxgate/votes.sqlite` (never the ledger, never the run lock).
public enum ReviewServer {
    /// Builds the server; `onRunning` gets the port it listens on (useful with port 0).
    public static func application(
        _ options: ReviewServerOptions, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(RunError) -> some ApplicationProtocol {
        let service = try ReviewService(options)
        let router = Router(context: ReviewContext.self)
        service.addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "voxgate-review"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: options.logger)
    }

    /// Runs the server until SIGINT/SIGTERM (`handleSignals`) or until the calling task is cancelled.
    /// - Throws: ``RunError`` when the folder, the votes or the address cannot be used.
    public static func serve(
        _ options: ReviewServerOptions, handleSignals: Bool = true,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = try application(options, onRunning: onRunning)
        if handleSignals { try await app.runService() } else { try await app.runService(gracefulShutdownSignals: []) }
    }

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
    public static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

/// Who is asking: a reviewer, and the CSRF token of their browser session (nil for a Bearer token).
struct Caller {
    var reviewer: Reviewer
    var csrf: String?
}

/// The server's state and its handlers.
final class ReviewService: Sendable {
    let options: ReviewServerOptions
    let catalog: ReviewCatalog
    let votes: VoteStore
    let limiter: BadTokenLimiter
    let sessions = SessionStore()
    static let cookie = "vg_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    init(_ options: ReviewServerOptions) throws(RunError) {
        self.options = options
        catalog = try ReviewCatalog(output: options.output)
        votes = try VoteStore(output: options.output)
        limiter = BadTokenLimiter(limit: options.badTokenLimit)
    }

    /// The address the limiter counts: the peer, or (behind a proxy on this host) the last hop it forwarded.
    func client(_ request: Request, _ context: ReviewContext) -> String {
        if ["127.0.0.1", "::1"].contains(context.peer),
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!],
            let last = forwarded.split(separator: ",").last
        {
            return last.trimmingCharacters(in: CharacterSet.whitespaces)
        }
        return context.peer
    }

    /// The caller, or the response refusing them (401, or 429 after repeated bad tokens).
    func authenticate(_ request: Request, _ context: ReviewContext) async -> Result<Caller, ErrorResponse> {
        if let header = request.headers[.authorization] {
            let client = client(request, context)
            if let wait = await limiter.retryAfter(client) { return .failure(.tooManyAttempts(wait)) }
            guard let bearer = request.headers.bearer,
                let reviewer = options.reviewers.authenticate(token: bearer.token)
            else {
                await limiter.failed(client)
                _ = header
                return .failure(
                    ErrorResponse(.unauthorized, "the Bearer token is not a reviewer's; check the token you were given")
                )
            }
            return .success(Caller(reviewer: reviewer, csrf: nil))
        }
        if let id = request.cookies[Self.cookie]?.value, let session = await sessions.session(id),
            let reviewer = options.reviewers.reviewers.first(where: { $0.name == session.reviewer })
        {
            return .success(Caller(reviewer: reviewer, csrf: session.csrf))
        }
        return .failure(
            ErrorResponse(.unauthorized, "sign in: send 'Authorization: Bearer <token>', or sign in on the page"))
    }

    /// A state-changing request from a browser session must carry the session's CSRF token (header or form
    /// field) and, when the browser names its origin, come from this server's own.
    func checkCSRF(_ caller: Caller, _ request: Request, formToken: String?) -> ErrorResponse? {
        guard let expected = caller.csrf else { return nil }  // Bearer: no ambient credential to forge
        if let origin = request.headers[.origin], let host = request.head.authority,
            URL(string: origin)?.host.map({ h in host == h || host.hasPrefix(h + ":") || host.hasPrefix("[" + h + "]") }
            ) != true
        {
            return ErrorResponse(.forbidden, "a cross-site request; vote from the review page")
        }
        guard let token = request.headers[Self.csrfHeader] ?? formToken, constantTimeEqual(token, expected) else {
            return ErrorResponse(.forbidden, "the form's CSRF token is missing or stale; reload the review page")
        }
        return nil
    }
}

/// An error as JSON: `{"error": "…"}`.
struct ErrorResponse: Error {
    var status: HTTPResponse.Status
    var message: String
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func tooManyAttempts(_ seconds: Int) -> ErrorResponse {
        var e = ErrorResponse(.tooManyRequests, "too many bad tokens from this address; try again in \(seconds) s")
        e.retryAfter = seconds
        return e
    }

    var response: Response {
        var r = Response.json(["error": message], status: status)
        if let retryAfter { r.headers[.retryAfter] = String(retryAfter) }
        if status == .unauthorized { r.headers[.wwwAuthenticate] = "Bearer realm=\"voxgate-review\"" }
        return r
    }
}

extension Response {
    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
