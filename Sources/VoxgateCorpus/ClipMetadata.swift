import Foundation
import VoxgateAudio

/// What a contributor's sidecar (`<clip-id>.json`) says about a clip.
public struct ClipMetadata: Sendable, Hashable, Codable {
    public var sentence: String
    /// The contributor's id: as written in the sidecar while it is read, then (``SpeakerIDs/keep(_:)``) the
    /// corpus's pseudonym, which is all the ledger and the outputs ever hold.
    public var clientID: String
    /// `true` only when the sidecar says `"consent": true`.
    public var consent: Bool
    /// The clip's own terms: its `"license"` (SPDX id or https URL) and its optional `"terms"` object.
    /// They narrow the community's terms (`TERMS.yaml`); see ``TermsCheck``.
    public var terms: Terms
    /// The credit line the contributor asked for (`"attribution"`), published in ATTRIBUTION.md
    /// for licences that require attribution, never with their id.
    public var attribution: String?
    public var locale: String?
    public var gender: String?
    public var age: String?
    public var accent: String?
    /// Fields of a release's own record (e.g. Common Voice's `sentence_id`, `up_votes`, bucket), kept in
    /// the shard sample's JSON under `source`.
    public var release: [String: String] = [:]
    /// Set when `clientID` was replaced by the pseudonym: the speaker's point in [0, 1) that fixes their split
    /// (``SpeakerIDs/splitPoint``). Nil while the id is as read.
    public var splitPoint: Double?
}

/// The result of reading a sidecar: a clip without usable metadata is rejected, never an error.
public enum SidecarReading: Sendable, Hashable, Codable {
    case missing
    case invalid(String)
    case valid(ClipMetadata)

    /// The largest sidecar parsed: far more than any real one needs (a sentence is at most
    /// `checks.max_sentence_chars`); a larger one is rejected unread.
    public static let maxBytes = 1 << 20

    /// Reads and validates the sidecar at `path` (nil: the clip has none).
    public static func read(path: String?) -> SidecarReading {
        guard let path else { return .missing }
        let data: Data
        do { data = try RegularFile.contents(path, limit: maxBytes) } catch {
            return .invalid(error.message.replacingOccurrences(of: "the file", with: "the sidecar"))
        }
        return parse(data)
    }

    /// Validates a sidecar's bytes.
    public static func parse(_ data: some Collection<UInt8>) -> SidecarReading {
        let object: JSONValue
        do { object = try StrictJSON.parse(data) } catch {
            return .invalid(
                "the sidecar is not valid JSON (\(error.message)); it must be one object such as "
                    + #"{"sentence": "…", "client_id": "…", "consent": true, "license": "CC0-1.0"}"#)
        }
        guard case .object(let fields) = object else {
            return .invalid("the sidecar is JSON but not an object; it must be {\"sentence\": …, \"client_id\": …}")
        }
        var problems: [String] = []
        func string(_ key: String, required: Bool) -> String? {
            switch fields[key] {
            case nil, .null:
                if required { problems.append("lacks \"\(key)\"") }
                return nil
            case .string(let value):
                let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty && required { problems.append("has an empty \"\(key)\"") }
                return trimmed
            default:
                problems.append("has a \"\(key)\" that is not a string")
                return nil
            }
        }
        let sentence = string("sentence", required: true)
        let clientID = string("client_id", required: true)
        let license = string("license", required: false)
        var terms = Terms(license: license)
        if let license, !Terms.isLicense(license) {
            problems.append(
                "has a \"license\" that is neither an SPDX identifier (CC0-1.0, CC-BY-4.0) nor an https:// URL")
        }
        if let own = fields["terms"] {
            switch Terms.fromSidecar(own) {
            case .success(let t):
                let (merged, conflicts) = t.narrowed(by: Terms(license: license))
                terms = merged
                problems += conflicts.map { "has \"terms\" whose licence contradicts its \"license\" (\($0))" }
            case .failure(let problem): problems.append("has unusable \"terms\" (\(problem.message))")
            }
        }
        let attribution = string("attribution", required: false)
        var consent = false
        switch fields["consent"] {
        case nil, .null: consent = false
        case .bool(let value): consent = value
        default: problems.append("has a \"consent\" that is not true or false")
        }
        let locale = string("locale", required: false)
        let gender = string("gender", required: false)
        let age = string("age", required: false)
        let accent = string("accent", required: false)
        guard problems.isEmpty, let sentence, let clientID else {
            return .invalid("the sidecar " + problems.joined(separator: ", ") + "; fix the upload's metadata")
        }
        return .valid(
            ClipMetadata(
                sentence: sentence, clientID: clientID, consent: consent, terms: terms, attribution: attribution,
                locale: locale, gender: gender, age: age, accent: accent))
    }
}
