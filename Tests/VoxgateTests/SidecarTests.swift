import Foundation
import Testing
import VoxgateCorpus

@Suite("Sidecars, consent and withdrawals")
struct SidecarTests {
    func reasons(_ json: String?, withdrawals: Set<String> = []) throws -> [ReasonCode] {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        var path: String?
        if let json {
            path = dir + "/c.json"
            try TestSupport.write(json, to: path!)
        }
        return ConsentCheck.findings(
            for: SidecarReading.read(path: path), withdrawals: Withdrawals(clientIDs: withdrawals)
        )
        .map(\.reason)
    }

    @Test(
        arguments: [
            (nil, [ReasonCode.noConsent]),
            (#"{"sentence": "s", "client_id": "c", "consent": true, "license": "CC0-1.0"}"#, []),
            (#"{"sentence": "s", "client_id": "c", "consent": false, "license": "CC0-1.0"}"#, [.noConsent]),
            (#"{"sentence": "s", "client_id": "c", "license": "CC0-1.0"}"#, [.noConsent]),
            (#"{"sentence": "s", "client_id": "c", "consent": "yes", "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"sentence": "s", "client_id": "c", "consent": 1, "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"sentence": "s", "consent": true, "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"client_id": "c", "consent": true, "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"sentence": " ", "client_id": "c", "consent": true, "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"sentence": 5, "client_id": "c", "consent": true, "license": "CC0-1.0"}"#, [.invalidMetadata]),
            (#"{"sentence": "s", "client_id": "c", "consent": true}"#, []),  // the licence may come from TERMS.yaml
            (#"{"sentence": "s", "client_id": "c", "consent": true, "license": "CC BY/4.0"}"#, [.invalidMetadata]),
            (
                #"{"sentence": "s", "client_id": "c", "consent": true, "license": "CC0-1.0", "gender": "x", "age": "twenties"}"#,
                []
            ),
            ("{not json", [.invalidMetadata]),
            ("[1, 2]", [.invalidMetadata]),
            ("", [.invalidMetadata]),
        ] as [(String?, [ReasonCode])])
    func sidecarDecides(json: String?, expected: [ReasonCode]) throws {
        #expect(try reasons(json) == expected)
    }

    @Test func withdrawnContributorIsRejected() throws {
        let ok = #"{"sentence": "s", "client_id": "gone", "consent": true, "license": "CC0-1.0"}"#
        #expect(try reasons(ok, withdrawals: ["gone"]) == [.consentWithdrawn])
        #expect(try reasons(ok, withdrawals: ["other"]) == [])
    }

    @Test func invalidMetadataSaysWhatIsWrong() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.write(#"{"sentence": "s", "consent": true, "license": "CC0-1.0"}"#, to: dir + "/c.json")
        guard case .invalid(let why) = SidecarReading.read(path: dir + "/c.json") else {
            Issue.record("accepted a sidecar without client_id")
            return
        }
        #expect(why.contains("lacks \"client_id\""))
    }
}

@Suite("Upload tree layout")
struct UploadTreeTests {
    @Test func listsClipsInByteOrderWithNFCNamesAndMatchesSidecarsAcrossNormalizations() throws {
        let root = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(root) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/en/nested", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/de", withIntermediateDirectories: true)
        let nfd = "cafe\u{301} noir"  // decomposed é
        for name in ["en/b.wav", "en/a.mp3", "en/\(nfd).wav", "de/z.flac", "en/.hidden.wav"] {
            #expect(fm.createFile(atPath: root + "/" + name, contents: Data([1, 2, 3])))
        }
        try TestSupport.write("{}", to: root + "/en/caf\u{e9} noir.json")  // composed sidecar name
        try TestSupport.write("{}", to: root + "/en/orphan.json")
        try TestSupport.write("spk-9\n# a comment\n\n  spk-10  \n", to: root + "/withdrawals.txt")
        try TestSupport.write("x", to: root + "/README")

        let tree = try UploadTree.scan(root: root)
        #expect(tree.clips.map(\.clip) == ["de/z.flac", "en/a.mp3", "en/b.wav", "en/caf\u{e9} noir.wav"])
        let cafe = tree.clips[3]
        #expect(cafe.clip.unicodeScalars.elementsEqual("en/caf\u{e9} noir.wav".unicodeScalars))  // NFC
        #expect(cafe.path.hasSuffix(nfd + ".wav"))  // opened as spelled on disk
        guard case .sidecar(let sidecar) = cafe.metadata else { throw TestFailure("no sidecar source") }
        #expect(sidecar?.hasSuffix("caf\u{e9} noir.json") == true)
        #expect(cafe.byteSize == 3)
        #expect(tree.withdrawals == ["spk-9", "spk-10"])
        #expect(tree.warnings.contains { $0.contains("orphan.json") })
        #expect(tree.warnings.contains { $0.contains("en/nested/") })
        #expect(tree.warnings.contains { $0.contains("README") })
    }

    @Test func missingRootIsARunError() {
        #expect(throws: RunError.self) { try UploadTree.scan(root: "/nonexistent/uploads") }
    }
}
