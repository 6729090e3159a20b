import Crypto
import Foundation
public import VoxgateCorpus
import Yams

/// A person allowed to vote: a name, the SHA-256 of their secret token (the token itself is never
/// stored), and the language tags they may review.
public struct Reviewer: Sendable, Hashable {
    public var name: String
    public var tokenSHA256: [UInt8]
    public var languages: Set<String>

    public func mayReview(_ language: String) -> Bool { languages.contains(language) }
}

/// The reviewers file (`--reviewers`):
/// ```yaml
/// reviewers:
///   - name: ana
///     token_sha256: 3c0f…   # sha256sum of the token, 64 hex digits
///     languages: [en, de]
/// ```
public struct ReviewerList: Sendable {
    public var reviewers: [Reviewer]

    public init(reviewers: [Reviewer]) { self.reviewers = reviewers }

    /// Reads and checks a reviewers file; every problem names the file, the entry and what to do.
    public static func load(path: String) throws(RunError) -> ReviewerList {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunError(
                .inputUnusable, "cannot read the reviewers file '\(path)' (missing, unreadable or not UTF-8)",
                path: path)
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml: String, file: String) throws(RunError) -> ReviewerList {
        func fail(_ message: String) -> RunError { RunError(.inputUnusable, "\(file): \(message)", path: file) }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch { throw fail("is not valid YAML: \(error)") }
        guard let top = node?.mapping, let list = top["reviewers"]?.sequence else {
            throw fail("must be a mapping with a 'reviewers' list (name, token_sha256, languages per entry)")
        }
        var result: [Reviewer] = []
        for (i, entry) in list.enumerated() {
            let at = "reviewers[\(i)]"
            guard let m = entry.mapping else { throw fail("\(at) must be a mapping of name, token_sha256, languages") }
            for key in m.keys.compactMap(\.string) where !["name", "token_sha256", "languages"].contains(key) {
                throw fail("\(at).\(key): unknown key; known keys are languages, name, token_sha256")
            }
            guard let name = m["name"]?.scalar?.string, !name.isEmpty, name.count <= 100 else {
                throw fail("\(at).name: a non-empty name of at most 100 characters is required")
            }
            guard let hex = m["token_sha256"]?.scalar?.string.lowercased(), let digest = Self.bytes(hex: hex) else {
                throw fail(
                    "\(at).token_sha256 (\(name)): must be the SHA-256 of the token as 64 hex digits "
                        + "(e.g. printf %s \"$TOKEN\" | sha256sum)")
            }
            guard let tags = m["languages"]?.sequence?.compactMap(\.scalar?.string), !tags.isEmpty,
                tags.count == m["languages"]?.sequence?.count
            else { throw fail("\(at).languages (\(name)): must be a non-empty list of language tags") }
            guard !result.contains(where: { $0.name == name }) else {
                throw fail("\(at).name: '\(name)' is listed twice")
            }
            guard !result.contains(where: { $0.tokenSHA256 == digest }) else {
                throw fail(
                    "\(at).token_sha256 (\(name)): the same token as another reviewer; give each reviewer a token of their own"
                )
            }
            result.append(Reviewer(name: name, tokenSHA256: digest, languages: Set(tags)))
        }
        guard !result.isEmpty else { throw fail("lists no reviewers") }
        return ReviewerList(reviewers: result)
    }

    /// The reviewer whose token this is. Compares the token's SHA-256 with every reviewer's in constant time
    /// (no early exit on a byte or on a match), so response times say nothing about the tokens.
    public func authenticate(token: String) -> Reviewer? {
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
        var found: Reviewer?
        for reviewer in reviewers {
            var difference: UInt8 = 0
            for (a, b) in zip(digest, reviewer.tokenSHA256) { difference |= a ^ b }
            if difference == 0 && reviewer.tokenSHA256.count == digest.count { found = reviewer }
        }
        return found
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// SHA-256 of a token as lowercase hex: what a reviewers file lists.
    public static func hash(token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hexLowercased
    }
}
