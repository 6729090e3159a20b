import Foundation
import VoxgateReview

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A review server started in the test process on a free loopback port, and a small HTTP client for it
/// (real HTTP over TCP: URLSession, no redirects followed, no cookies kept).
final class RunningReviewServer: @unchecked Sendable {
    let port: Int
    let output: String
    private let task: Task<Void, any Error>

    static let tokens = ["ana": "tok-ana-0001", "ben": "tok-ben-0002", "cy": "tok-cy-0003"]

    /// ana reviews en and de, ben en only, cy de only.
    static func reviewersYAML() -> String {
        """
        reviewers:
          - name: ana
            token_sha256: \(ReviewerList.hash(token: tokens["ana"]!))
            languages: [en, de]
          - name: ben
            token_sha256: \(ReviewerList.hash(token: tokens["ben"]!))
            languages: [en]
          - name: cy
            token_sha256: \(ReviewerList.hash(token: tokens["cy"]!))
            languages: [de]
        """
    }

    private init(port: Int, output: String, task: Task<Void, any Error>) {
        self.port = port
        self.output = output
        self.task = task
    }

    static func start(output: String, badTokenLimit: Int = 5) async throws -> RunningReviewServer {
        var options = ReviewServerOptions(
            output: output, host: "127.0.0.1", port: 0,
            reviewers: try ReviewerList.parse(yaml: reviewersYAML(), file: "reviewers.yaml"))
        options.badTokenLimit = badTokenLimit
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            do {
                try await ReviewServer.serve(options, handleSignals: false) { port in continuation.yield(port) }
            } catch {
                continuation.finish()
                throw error
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the review server did not start") }
        return RunningReviewServer(port: port, output: output, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    var base: String { "http://127.0.0.1:\(port)" }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
        ) { completionHandler(nil) }
    }

    private static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.httpShouldSetCookies = false
        c.httpCookieAcceptPolicy = .never
        c.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: c, delegate: NoRedirects(), delegateQueue: nil)
    }()

    func request(
        _ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Reply {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = method
        if let token { r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        r.httpBody = body
        let (data, response) = try await Self.session.data(for: r)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h["\(k)"] = "\(v)" }
        return Reply(status: http.statusCode, headers: h, body: data)
    }

    func vote(_ clip: String, _ vote: String, as reviewer: String, note: String = "") async throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: ["clip": clip, "vote": vote, "note": note])
        return try await request(
            "POST", "/api/votes", token: Self.tokens[reviewer], headers: ["Content-Type": "application/json"],
            body: body)
    }
}
