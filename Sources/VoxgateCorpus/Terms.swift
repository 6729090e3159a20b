import Foundation
import VoxgateAudio
import Yams

/// The terms of use under which clips may be released: a licence plus what a community adds to it
/// (attribution, allowed regions and purposes, excluded users, price, conditions).
///
/// Communities set them in `<root>/<tag>/TERMS.yaml`; a clip inherits them and may narrow them in its
/// sidecar (`"license"`, `"terms": {…}`), never widen or contradict them. Shards are grouped by
/// identical terms, so a reader always knows the terms of every sample in a shard.
public struct Terms: Sendable, Hashable, Codable {
    /// An SPDX licence identifier (`CC0-1.0`, `CC-BY-4.0`) or an `https://` URL of a custom licence.
    public var license: String?
    /// The credit line the community asks for.
    public var attribution: String?
    /// ISO 3166-1 alpha-2 codes where use is allowed (nil: anywhere).
    public var regions: [String]?
    /// Allowed purposes, e.g. `research`, `education`, `commercial` (nil: any).
    public var purposes: [String]?
    /// Users (organisations) that may not use the data.
    public var excludedUsers: [String]?
    /// A price, as the community states it.
    public var price: String?
    /// Free-text conditions.
    public var conditions: String?

    public init(license: String? = nil) { self.license = license }

    static let keys = ["license", "attribution", "regions", "purposes", "excluded_users", "price", "conditions"]

    /// Whether the licence requires crediting contributors (CC BY family, ODC-By, custom licences).
    public var requiresAttribution: Bool {
        guard let license else { return false }
        let l = license.uppercased()
        return l.hasPrefix("CC-BY") || l.hasPrefix("ODC-BY") || l.hasPrefix("HTTP") || attribution != nil
    }

    /// Whether anything beyond the licence is set.
    public var hasConditions: Bool {
        attribution != nil || regions != nil || purposes != nil || excludedUsers != nil || price != nil
            || conditions != nil
    }

    /// `license` with `other` narrowing it. Returns the conflicts as sentences when `other` contradicts or
    /// widens these terms (a different licence or price, a region or purpose not allowed here, …).
    public func narrowed(by other: Terms) -> (Terms, conflicts: [String]) {
        var result = self
        var conflicts: [String] = []
        func single(_ name: String, _ mine: String?, _ theirs: String?) -> String? {
            guard let theirs else { return mine }
            if let mine, mine != theirs {
                conflicts.append("its \(name) '\(theirs)' differs from the community's '\(mine)'")
                return mine
            }
            return theirs
        }
        func subset(_ name: String, _ mine: [String]?, _ theirs: [String]?) -> [String]? {
            guard let theirs else { return mine }
            if let mine {
                let extra = Set(theirs).subtracting(mine)
                if !extra.isEmpty {
                    conflicts.append(
                        "its \(name) \(extra.sorted().joined(separator: ", ")) are not allowed by the community")
                }
                return theirs.filter(mine.contains)
            }
            return theirs
        }
        result.license = single("licence", license, other.license)
        result.attribution = attribution ?? other.attribution
        result.regions = subset("regions", regions, other.regions)
        result.purposes = subset("purposes", purposes, other.purposes)
        result.excludedUsers =
            excludedUsers.map { Array(Set($0 + (other.excludedUsers ?? []))).sorted() }
            ?? other.excludedUsers
        result.price = single("price", price, other.price)
        result.conditions = [conditions, other.conditions].compactMap { $0 }.joined(separator: "\n").nilIfEmpty
        return (result, conflicts)
    }

    /// Checks values: licence spelling, region codes. Returns problems as sentences.
    public func problems() -> [String] {
        var found: [String] = []
        if let license, !Self.isLicense(license) {
            found.append("licence '\(license)' is neither an SPDX identifier (CC0-1.0, CC-BY-4.0) nor an https:// URL")
        }
        for r in regions ?? [] where !(r.count == 2 && r.allSatisfy { $0.isASCII && $0.isUppercase }) {
            found.append("region '\(r)' is not an ISO 3166-1 alpha-2 code such as DE or KE")
        }
        return found
    }

    static func isLicense(_ s: String) -> Bool {
        if s.hasPrefix("https://") { return s.count <= 300 && !s.contains(where: \.isWhitespace) }
        return !s.isEmpty && s.count <= 64
            && s.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-.+".unicodeScalars.contains($0))
            }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Terms {
    /// Reads `<root>/<tag>/TERMS.yaml`. Every key but `license` is optional; unknown keys and wrong types
    /// are errors naming the file and the key.
    public static func load(path: String) throws(RunError) -> Terms {
        func fail(_ message: String) -> RunError {
            RunError(.inputUnusable, "\(path): \(message); fix the community's terms file", path: path)
        }
        let data: Data
        do { data = try RegularFile.contents(path, limit: maxFileBytes) } catch {
            throw fail("cannot be read: \(error.message)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The largest `TERMS.yaml` read.
    public static let maxFileBytes = 1 << 20

    /// Parses the text of a `TERMS.yaml` (`path` names it in errors).
    public static func parse(yaml: String, path: String) throws(RunError) -> Terms {
        func fail(_ message: String) -> RunError {
            RunError(.inputUnusable, "\(path): \(message); fix the community's terms file", path: path)
        }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw fail("is not valid YAML (\(ConfigError.excerpt(error)))")
        }
        guard let mapping = node?.mapping else { throw fail("must be a mapping of keys to values") }
        var terms = Terms()
        for (k, v) in mapping {
            guard let key = k.string, keys.contains(key) else {
                throw fail("unknown key '\(k.string ?? "?")'; known keys: " + keys.joined(separator: ", "))
            }
            func text() throws(RunError) -> String {
                guard let s = v.scalar?.string else { throw fail("\(key) must be text") }
                return s
            }
            func list() throws(RunError) -> [String] {
                guard let seq = v.sequence else { throw fail("\(key) must be a list") }
                var items: [String] = []
                for item in seq {
                    guard let s = item.scalar?.string else { throw fail("\(key) must list text values") }
                    items.append(s)
                }
                return items
            }
            switch key {
            case "license": terms.license = try text()
            case "attribution": terms.attribution = try text()
            case "regions": terms.regions = try list()
            case "purposes": terms.purposes = try list()
            case "excluded_users": terms.excludedUsers = try list()
            case "price": terms.price = try text()
            default: terms.conditions = try text()
            }
        }
        guard terms.license != nil else { throw fail("names no license") }
        if let problem = terms.problems().first { throw fail(problem) }
        return terms
    }

    /// The sidecar's `"terms"` object (same keys as TERMS.yaml), or a sentence saying what is wrong.
    static func fromSidecar(_ value: JSONValue) -> Result<Terms, TermsProblem> {
        guard case .object(let fields) = value else { return .failure(TermsProblem("\"terms\" must be an object")) }
        var terms = Terms()
        for (key, v) in fields {
            guard keys.contains(key) else { return .failure(TermsProblem("\"terms\" has an unknown key \"\(key)\"")) }
            switch (key, v) {
            case ("regions", .array(let a)), ("purposes", .array(let a)), ("excluded_users", .array(let a)):
                let strings = a.compactMap { if case .string(let s) = $0 { s } else { nil } }
                guard strings.count == a.count else {
                    return .failure(TermsProblem("\"terms.\(key)\" must list strings"))
                }
                switch key {
                case "regions": terms.regions = strings
                case "purposes": terms.purposes = strings
                default: terms.excludedUsers = strings
                }
            case ("license", .string(let s)): terms.license = s
            case ("attribution", .string(let s)): terms.attribution = s
            case ("price", .string(let s)): terms.price = s
            case ("conditions", .string(let s)): terms.conditions = s
            default:
                let expected =
                    ["regions", "purposes", "excluded_users"].contains(key) ? "a list of strings" : "a string"
                return .failure(TermsProblem("\"terms.\(key)\" must be \(expected)"))
            }
        }
        if let problem = terms.problems().first { return .failure(TermsProblem(problem)) }
        return .success(terms)
    }
}

/// A problem with a clip's own terms.
public struct TermsProblem: Error, Sendable, Hashable {
    public var message: String
    init(_ message: String) { self.message = message }
}
