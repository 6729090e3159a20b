public import VoxgateCorpus

extension ClipAnalysis {
    private static let storedKeys: Set<String> = [
        "sidecar", "measurement", "decodeFailure", "fileSHA256", "languageFindings", "languageRevision",
    ]
    private static let measurementKeys: Set<String> = [
        "frames", "sampleRate", "channels", "container", "contentExtension", "encoding", "rmsDBFS", "samplePeakDBFS",
        "signal", "pcmXXH3",
    ]

    /// An analysis from the text its `Codable` conformance wrote with sorted keys (the ledger's), read field by field
    /// (``StoredObject``); nil when the text holds anything else: the caller then decodes it with `JSONDecoder`.
    /// The fingerprint is not in the text (the ledger keeps it as binary): it is empty.
    public init?(storedJSON text: String) {
        guard let value = try? StrictJSON.parse(text.utf8, refusingUnderflow: true),
            let analysis = try? Self(stored: value)
        else { return nil }
        self = analysis
    }

    private init(stored value: JSONValue) throws(StoredObject.Mismatch) {
        let o = try StoredObject(value, keys: Self.storedKeys)
        var measurement: ClipMeasurement?
        if !o.isNil("measurement") {
            let m = try StoredObject(o["measurement"], keys: Self.measurementKeys)
            measurement = ClipMeasurement(
                frames: try m.int("frames"), sampleRate: try m.int("sampleRate"), channels: try m.int("channels"),
                container: try m.string("container"), contentExtension: try m.string("contentExtension"),
                encoding: try m.string("encoding"), rmsDBFS: try m.double("rmsDBFS"),
                samplePeakDBFS: try m.double("samplePeakDBFS"), signal: try SignalMetrics(stored: m["signal"]),
                pcmXXH3: try m.optionalString("pcmXXH3"), fingerprint: [])
        }
        self.init(
            sidecar: try SidecarReading(stored: o["sidecar"]), measurement: measurement,
            decodeFailure: try o.optionalString("decodeFailure"), fileSHA256: try o.optionalString("fileSHA256"))
        languageFindings = try o.optionalFindings("languageFindings")
        languageRevision = try o.optionalString("languageRevision")
    }
}
