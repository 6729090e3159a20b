import Foundation
import VoxgateCorpus

/// Repeated bad tokens: after `limit` failures from one client within `window` seconds, that client's
/// sign-ins and token requests are refused (429) until the window has passed, whatever token it sends.
actor BadTokenLimiter {
    let limit: Int
    let window: Double
    private var failures: [String: [Double]] = [:]

    init(limit: Int = 5, window: Double = 60) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until `client` may try again, or nil when it may now.
    func retryAfter(_ client: String, now: Double = Date().timeIntervalSince1970) -> Int? {
        let recent = (failures[client] ?? []).filter { now - $0 < window }
        failures[client] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return max(1, Int((window - (now - oldest)).rounded(.up)))
    }

    func failed(_ client: String, now: Double = Date().timeIntervalSince1970) {
        failures[client, default: []].append(now)
        if failures.count > 100_000 { failures = failures.filter { now - ($0.value.last ?? 0) < window } }
    }
}

/// Signed-in browsers: an opaque session id (the HttpOnly cookie) → the reviewer and the session's CSRF
/// token, which every form post must carry. Kept in memory: a restart signs everyone out (votes stay).
actor SessionStore {
    struct Session {
        var reviewer: String
        var csrf: String
        var expires: Double
    }
    static let lifetime = 12.0 * 3600
    private var sessions: [String: Session] = [:]

    func open(reviewer: String) -> (id: String, csrf: String) {
        let now = Date().timeIntervalSince1970
        if sessions.count > 10_000 { sessions = sessions.filter { $0.value.expires > now } }
        let id = Self.randomToken()
        let csrf = Self.randomToken()
        sessions[id] = Session(reviewer: reviewer, csrf: csrf, expires: now + Self.lifetime)
        return (id, csrf)
    }

    func session(_ id: String) -> Session? {
        guard let s = sessions[id] else { return nil }
        guard s.expires > Date().timeIntervalSince1970 else {
            sessions[id] = nil
            return nil
        }
        return s
    }

    func close(_ id: String) { sessions[id] = nil }

    /// 32 random bytes as hex (SystemRandomNumberGenerator: the kernel's CSPRNG).
    static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }.hexLowercased
    }
}

/// Constant-time equality of two strings' bytes (CSRF tokens).
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var d: UInt8 = 0
    for i in 0..<x.count { d |= x[i] ^ y[i] }
    return d == 0
}
