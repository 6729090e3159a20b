/// An object of JSON that voxgate wrote itself (the ledger's analyses), read field by field from ``StrictJSON``'s
/// values instead of Foundation's `JSONDecoder`, whose machinery was most of what re-deciding an unchanged clip cost.
///
/// Never more lenient than the types' `Codable`: a key it does not know, a field of another type, a missing
/// required field or a number that is not finite is a ``Mismatch``, and the caller then decodes the text with
/// `JSONDecoder` (which reads every form the `Codable` conformances accept, and reports what they refuse).
/// Non-finite levels are the strings `inf`, `-inf` and `nan`, as the ledger writes them.
package struct StoredObject {
    package struct Mismatch: Error {
        package init() {}
    }
    private let fields: [String: JSONValue]

    /// `value` as an object whose keys are all among `keys`.
    package init(_ value: JSONValue?, keys: Set<String>) throws(Mismatch) {
        guard case .object(let fields)? = value, fields.keys.allSatisfy(keys.contains) else { throw Mismatch() }
        self.fields = fields
    }

    package subscript(_ key: String) -> JSONValue? { fields[key] }

    /// Whether `key` is absent or null: an optional field that is nil.
    package func isNil(_ key: String) -> Bool { Self.isNil(fields[key]) }

    /// Whether an optional field's value (looked up once) is nil: absent or null.
    private static func isNil(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        default: false
        }
    }

    package func string(_ key: String) throws(Mismatch) -> String {
        guard case .string(let s)? = fields[key] else { throw Mismatch() }
        return s
    }

    package func optionalString(_ key: String) throws(Mismatch) -> String? {
        let value = fields[key]
        if Self.isNil(value) { return nil }
        guard case .string(let s)? = value else { throw Mismatch() }
        return s
    }

    package func bool(_ key: String) throws(Mismatch) -> Bool {
        guard case .bool(let b)? = fields[key] else { throw Mismatch() }
        return b
    }

    package func int(_ key: String) throws(Mismatch) -> Int {
        guard case .number(let d)? = fields[key], d == d.rounded(.towardZero), abs(d) <= 9_007_199_254_740_992 else {
            throw Mismatch()
        }
        return Int(d)
    }

    package func double(_ key: String) throws(Mismatch) -> Double { try Self.double(fields[key]) }

    private static func double(_ value: JSONValue?) throws(Mismatch) -> Double {
        switch value {
        case .number(let d)? where d.isFinite: return d
        case .string("inf")?: return .infinity
        case .string("-inf")?: return -.infinity
        case .string("nan")?: return .nan
        default: throw Mismatch()
        }
    }

    package func optionalDouble(_ key: String) throws(Mismatch) -> Double? {
        let value = fields[key]
        return Self.isNil(value) ? nil : try Self.double(value)
    }

    package func optionalStrings(_ key: String) throws(Mismatch) -> [String]? {
        let value = fields[key]
        if Self.isNil(value) { return nil }
        guard case .array(let items)? = value else { throw Mismatch() }
        return try items.map { v throws(Mismatch) in
            guard case .string(let s) = v else { throw Mismatch() }
            return s
        }
    }

    package func optionalFindings(_ key: String) throws(Mismatch) -> [Finding]? {
        let value = fields[key]
        if Self.isNil(value) { return nil }
        guard case .array(let items)? = value else { throw Mismatch() }
        return try items.map { v throws(Mismatch) in try Finding(stored: v) }
    }

    package func stringMap(_ key: String) throws(Mismatch) -> [String: String] {
        guard case .object(let o)? = fields[key] else { throw Mismatch() }
        var map: [String: String] = [:]
        for (k, v) in o {
            guard case .string(let s) = v else { throw Mismatch() }
            map[k] = s
        }
        return map
    }
}

extension SignalMetrics {
    private static let storedKeys: Set<String> = [
        "integratedLUFS", "maxMomentaryLUFS", "maxShortTermLUFS", "loudnessRangeLU", "truePeakDBTP",
        "clippedSampleRatio", "clippedRuns", "speechSeconds", "leadingSilenceSeconds", "trailingSilenceSeconds",
        "hasSpeech", "snrDB",
    ]

    /// The metrics as `Codable` stored them (``StoredObject``).
    package init(stored value: JSONValue?) throws(StoredObject.Mismatch) {
        let o = try StoredObject(value, keys: Self.storedKeys)
        self.init(
            integratedLUFS: try o.optionalDouble("integratedLUFS"),
            maxMomentaryLUFS: try o.optionalDouble("maxMomentaryLUFS"),
            maxShortTermLUFS: try o.optionalDouble("maxShortTermLUFS"),
            loudnessRangeLU: try o.optionalDouble("loudnessRangeLU"),
            truePeakDBTP: try o.optionalDouble("truePeakDBTP"),
            clippedSampleRatio: try o.double("clippedSampleRatio"), clippedRuns: try o.int("clippedRuns"),
            speechSeconds: try o.double("speechSeconds"), leadingSilenceSeconds: try o.double("leadingSilenceSeconds"),
            trailingSilenceSeconds: try o.double("trailingSilenceSeconds"), hasSpeech: try o.bool("hasSpeech"),
            snrDB: try o.optionalDouble("snrDB"))
    }
}

extension SidecarReading {
    private static let storedKeys: Set<String> = ["missing", "invalid", "valid"]
    private static let payloadKeys: Set<String> = ["_0"]
    private static let metadataKeys: Set<String> = [
        "sentence", "clientID", "consent", "terms", "attribution", "locale", "gender", "age", "accent", "release",
        "splitPoint",
    ]
    private static let termsKeys: Set<String> = [
        "license", "attribution", "regions", "purposes", "excludedUsers", "price", "conditions",
    ]

    /// The reading as `Codable` stored it (``StoredObject``): `{"missing":{}}`, `{"invalid":{"_0":why}}` or
    /// `{"valid":{"_0":metadata}}`.
    package init(stored value: JSONValue?) throws(StoredObject.Mismatch) {
        let o = try StoredObject(value, keys: Self.storedKeys)
        guard case .object(let cases)? = value, cases.count == 1 else { throw StoredObject.Mismatch() }
        if case .object(let empty)? = o["missing"], empty.isEmpty {
            self = .missing
        } else if o["invalid"] != nil {
            self = .invalid(try StoredObject(o["invalid"], keys: Self.payloadKeys).string("_0"))
        } else if o["valid"] != nil {
            let m = try StoredObject(
                try StoredObject(o["valid"], keys: Self.payloadKeys)["_0"], keys: Self.metadataKeys)
            let t = try StoredObject(m["terms"], keys: Self.termsKeys)
            var terms = Terms(license: try t.optionalString("license"))
            terms.attribution = try t.optionalString("attribution")
            terms.regions = try t.optionalStrings("regions")
            terms.purposes = try t.optionalStrings("purposes")
            terms.excludedUsers = try t.optionalStrings("excludedUsers")
            terms.price = try t.optionalString("price")
            terms.conditions = try t.optionalString("conditions")
            self = .valid(
                ClipMetadata(
                    sentence: try m.string("sentence"), clientID: try m.string("clientID"),
                    consent: try m.bool("consent"),
                    terms: terms, attribution: try m.optionalString("attribution"),
                    locale: try m.optionalString("locale"),
                    gender: try m.optionalString("gender"), age: try m.optionalString("age"),
                    accent: try m.optionalString("accent"), release: try m.stringMap("release"),
                    splitPoint: try m.optionalDouble("splitPoint")))
        } else {
            throw StoredObject.Mismatch()
        }
    }
}

extension Finding {
    private static let storedKeys: Set<String> = ["reason", "detail"]

    /// A finding as `Codable` stored it (``StoredObject``).
    package init(stored value: JSONValue) throws(StoredObject.Mismatch) {
        let o = try StoredObject(value, keys: Self.storedKeys)
        guard let reason = ReasonCode(rawValue: try o.string("reason")) else { throw StoredObject.Mismatch() }
        self.init(reason, try o.string("detail"))
    }
}
