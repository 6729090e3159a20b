import Crypto
import Foundation
import VoxgateCorpus

/// How terms of use appear in the outputs: a shard group's label and its `terms.json`.
enum TermsRecords {
    /// The machine-readable terms, keys in a fixed order.
    static func json(_ t: Terms) -> JSONText {
        func list(_ l: [String]?) -> JSONText { l.map { .array($0.sorted().map { .string($0) }) } ?? .null }
        return .object([
            ("license", .optional(t.license)),
            ("attribution", .optional(t.attribution)),
            ("regions", list(t.regions)),
            ("purposes", list(t.purposes)),
            ("excluded_users", list(t.excludedUsers)),
            ("price", .optional(t.price)),
            ("conditions", .optional(t.conditions)),
            ("requires_attribution", .bool(t.requiresAttribution)),
        ])
    }

    /// The shard-group label: the SPDX id for plain licences (`CC0-1.0`), else the id (or `custom` for a
    /// licence URL) plus `+` and 8 hex digits of SHA-256 of the terms, so different terms never share shards.
    static func label(_ t: Terms) -> String {
        let license = t.license ?? "unlicensed"
        let isURL = license.hasPrefix("https://")
        guard isURL || t.hasConditions else { return license }
        let digest = SHA256.hash(data: Data(json(t).rendered.utf8)).prefix(4).hexLowercased
        return (isURL ? "custom" : license) + "+" + digest
    }
}
