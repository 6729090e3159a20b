import Foundation
import Testing
import VoxgateCorpus

/// Issue 16: an upload tree written by a hostile or careless uploader. Every bad clip becomes one
/// rejection with its reason, the good clip is accepted, the run ends in bounded time and memory, and no
/// byte of a file outside the upload root reaches any output.
@Suite("hostile uploads")
struct HostileUploadTests {
    /// A marker that only exists outside the root: it must appear in no output.
    static let secret = "TOP-SECRET-\(UInt64.random(in: 0...UInt64.max))"

    /// A 2,044-byte PCM WAV whose header declares `rate` frames per second.
    static func wav(rate: UInt32) -> Data {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(2036); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(1); u32(rate); u32(rate &* 2); u16(2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(2000)
        d.append(contentsOf: (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        return d
    }

    struct Tree {
        var base: String
        var root: String { base + "/root" }
        var outside: String { base + "/outside" }
    }

    /// Builds the tree: every row of the issue that concerns uploaded files, plus a good clip.
    static func makeTree() throws -> Tree {
        let tree = Tree(base: try TestSupport.temporaryFolder("voxgate-hostile"))
        let fm = FileManager.default
        let en = tree.root + "/en"
        try fm.createDirectory(atPath: en, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: tree.outside, withIntermediateDirectories: true)
        let good = TestSupport.packageRoot + "/TestAudio/uploads/en/flac.flac"
        let sidecar = { (client: String) in TestSupport.sidecar(sentence: "a test sentence", client: client) }
        func clip(_ name: String, audio: String = good, json: String? = nil) throws {
            try fm.copyItem(atPath: audio, toPath: en + "/" + name)
            let stem = (name as NSString).deletingPathExtension
            try TestSupport.write(json ?? sidecar("spk-\(stem)"), to: en + "/" + stem + ".json")
        }
        // The good clip, first in path order (the others that share its audio are rejected anyway).
        try clip("aaa-good.flac")
        // Row 1: a named pipe and a link to /dev/zero.
        #expect(mkfifo(en + "/fifo.wav", 0o644) == 0)
        try TestSupport.write(sidecar("spk-fifo"), to: en + "/fifo.json")
        try fm.createSymbolicLink(atPath: en + "/zero.wav", withDestinationPath: "/dev/zero")
        try TestSupport.write(sidecar("spk-zero"), to: en + "/zero.json")
        // Row 2: absurd sample rates.
        try wav(rate: 2_147_483_647).write(to: URL(fileURLWithPath: en + "/rate-max.wav"))
        try TestSupport.write(sidecar("spk-rate1"), to: en + "/rate-max.json")
        try wav(rate: 999_999_999).write(to: URL(fileURLWithPath: en + "/rate-1g.wav"))
        try TestSupport.write(sidecar("spk-rate2"), to: en + "/rate-1g.json")
        // Row 4: a duplicated key.
        try clip(
            "dupkey.flac",
            json:
                #"{"sentence": "a test sentence", "client_id": "spk-d", "consent": true, "license": "CC0-1.0", "consent": false}"#
        )
        // Row 5: links out of the root, to a secret and to audio; a sidecar linked to a secret sentence.
        try TestSupport.write("root:x:0:0:\(secret):/root:/bin/bash\n", to: tree.outside + "/passwd")
        try fm.createSymbolicLink(atPath: en + "/passwd.wav", withDestinationPath: tree.outside + "/passwd")
        try TestSupport.write(sidecar("spk-passwd"), to: en + "/passwd.json")
        try TestSupport.tone(tree.outside + "/outside.flac", seconds: 2, soxOutputArgs: ["-b", "16"])
        try fm.createSymbolicLink(
            atPath: en + "/outside-audio.flac", withDestinationPath: tree.outside + "/outside.flac")
        try TestSupport.write(sidecar("spk-outside"), to: en + "/outside-audio.json")
        try TestSupport.write(
            TestSupport.sidecar(sentence: secret, client: "spk-secret"), to: tree.outside + "/side.json")
        try fm.copyItem(atPath: good, toPath: en + "/linked-sidecar.flac")
        try fm.createSymbolicLink(atPath: en + "/linked-sidecar.json", withDestinationPath: tree.outside + "/side.json")
        // A language folder linked out of the root: never listed.
        try fm.createSymbolicLink(atPath: tree.root + "/fr", withDestinationPath: tree.outside)
        // Row 7: compressed streams cut at 60% of their bytes (an MP3 with an Info frame count; Ogg without
        // its end-of-stream page).
        for (source, name) in [
            ("de/zug.mp3", "cut-mp3.mp3"), ("en/opus.opus", "cut-opus.opus"), ("en/vorbis.ogg", "cut-vorbis.ogg"),
        ] {
            let bytes = try Data(
                contentsOf: URL(fileURLWithPath: TestSupport.packageRoot + "/TestAudio/uploads/" + source))
            try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: en + "/" + name))
            try TestSupport.write(
                sidecar("spk-" + name), to: en + "/" + (name as NSString).deletingPathExtension + ".json")
        }
        // Row 8: a very long sentence, and a sidecar over the size limit.
        try clip(
            "long-sentence.flac",
            json: TestSupport.sidecar(sentence: String(repeating: "word ", count: 4_000), client: "spk-l"))
        try clip(
            "huge-sidecar.flac",
            json: TestSupport.sidecar(sentence: String(repeating: "a", count: 2 << 20), client: "spk-h"))
        // Issue 23 row 6 (sidecar part): a NUL in a string, and a byte that is not UTF-8.
        try clip(
            "nul.flac", json: #"{"sentence": "a\u0000b", "client_id": "spk-n", "consent": true, "license": "CC0-1.0"}"#)
        try clip("latin1.flac")
        var latin1 = Data(#"{"sentence": "caf"#.utf8)
        latin1.append(0xE9)
        latin1.append(contentsOf: Array(#"", "client_id": "spk-x", "consent": true, "license": "CC0-1.0"}"#.utf8))
        try latin1.write(to: URL(fileURLWithPath: en + "/latin1.json"))
        // Row 10: a withdrawal with a comment on its line.
        try clip("withdrawn.flac", json: sidecar("spk-gdpr"))
        try TestSupport.write("spk-gdpr  # GDPR request\n", to: tree.root + "/withdrawals.txt")
        // A text file named like audio: its detected type is reported, never its bytes.
        try TestSupport.write("\(secret)=hunter2\n", to: en + "/notes.wav")
        try TestSupport.write(sidecar("spk-notes"), to: en + "/notes.json")
        return tree
    }

    /// Every file under `dir`, recursively, as bytes.
    static func allBytes(under dir: String) -> [(String, Data)] {
        let walker = FileManager.default.enumerator(atPath: dir)
        var files: [(String, Data)] = []
        while let relative = walker?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: dir + "/" + relative) { files.append((relative, data)) }
        }
        return files
    }

    /// The listing examines each file once (``ListedStamps``): a clip's stamps are its files' own (a link's are its
    /// target's, as opening it reads), and only a clip whose file and sidecar are regular files reached without a
    /// link is `plain`, so the confinement skips only those; every other one is refused as before, and a link
    /// inside the root is still followed.
    @Test func listingStampsEachFileOnceAndConfinesEveryLink() throws {
        let tree = try Self.makeTree()
        defer { TestSupport.remove(tree.base) }
        let en = tree.root + "/en"
        try FileManager.default.createSymbolicLink(atPath: en + "/zz-inside.flac", withDestinationPath: "aaa-good.flac")
        try TestSupport.write(TestSupport.sidecar(sentence: "inside", client: "spk-in"), to: en + "/zz-inside.json")
        let input = try InputLayouts.scan(root: tree.root)
        let byName = Dictionary(uniqueKeysWithValues: input.clips.map { ($0.clipID, $0) })
        func stamp(_ path: String) -> FileStamp? { FileStamp(path: path) }  // stat: follows a link
        for name in ["aaa-good", "zz-inside", "zero", "passwd", "outside-audio", "linked-sidecar", "fifo"] {
            let clip = try #require(byName[name], "\(name) listed")
            let listed = try #require(clip.listed, "\(name) stamped")
            #expect(listed.file == stamp(clip.path), "\(name)")
            #expect(listed.sidecar == stamp(en + "/" + name + ".json"), "\(name)")
            #expect(listed.plain == (name == "aaa-good"), "\(name)")
        }
        #expect(byName["aaa-good"]!.refusal == nil && byName["zz-inside"]!.refusal == nil)
        for name in ["zero", "passwd", "outside-audio", "fifo"] {
            #expect(byName[name]!.refusal != nil, "\(name) refused")
        }
        guard case .parsed(.invalid(let detail)) = byName["linked-sidecar"]!.metadata else {
            Issue.record("the sidecar linked out of the root is read: \(byName["linked-sidecar"]!.metadata)")
            return
        }
        #expect(detail.contains("sidecar is a symbolic link"))
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs /usr/bin/time for peak memory"))
    func everyRowRejectedGoodClipAcceptedNothingFromOutside() throws {
        let tree = try Self.makeTree()
        defer { TestSupport.remove(tree.base) }
        let out = tree.base + "/out"
        let started = Date()
        let r = try TestSupport.run(
            "/usr/bin/time",
            ["-f", "maxrss_kb=%M", CLITests.binary, "ingest", tree.root, "--out", out, "--jobs", "2", "--quiet"])
        let seconds = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.error)")
        #expect(seconds < 60, "the run took \(seconds) s")
        let rss = r.error.split(separator: "\n").last { $0.hasPrefix("maxrss_kb=") }.flatMap { Int($0.dropFirst(10)) }
        #expect((rss ?? .max) < 1 << 20, "peak RSS \(rss ?? -1) kB")

        let decisions = try TestSupport.jsonLines(out + "/decisions.jsonl")
        var byClip: [String: [String: Any]] = [:]
        for d in decisions { byClip[d["clip"] as! String] = d }
        func expectRejected(_ clip: String, _ reason: String, mentioning words: [String] = []) {
            guard let d = byClip[clip] else {
                Issue.record("\(clip) has no decision")
                return
            }
            #expect(d["status"] as? String == "rejected", "\(clip): \(d)")
            #expect((d["reasons"] as? [String])?.contains(reason) == true, "\(clip): \(d["reasons"] ?? "")")
            let detail = (d["detail"] as? String) ?? ""
            for w in words { #expect(detail.contains(w), "\(clip): \(detail)") }
        }
        #expect(byClip["en/aaa-good.flac"]?["status"] as? String == "accepted", "\(byClip["en/aaa-good.flac"] ?? [:])")
        expectRejected("en/fifo.wav", "decode_error", mentioning: ["named pipe"])
        expectRejected("en/zero.wav", "decode_error", mentioning: ["outside the upload root"])
        expectRejected("en/rate-max.wav", "decode_error", mentioning: ["2147483647 Hz"])
        expectRejected("en/rate-1g.wav", "decode_error", mentioning: ["999999999 Hz"])
        expectRejected("en/cut-mp3.mp3", "decode_error", mentioning: ["truncated", "frames its header declares"])
        expectRejected("en/cut-opus.opus", "decode_error", mentioning: ["truncated", "end-of-stream page"])
        expectRejected("en/cut-vorbis.ogg", "decode_error", mentioning: ["truncated", "end-of-stream page"])
        expectRejected("en/dupkey.flac", "invalid_metadata", mentioning: [#""consent" appears twice"#])
        expectRejected("en/passwd.wav", "decode_error", mentioning: ["outside the upload root"])
        expectRejected("en/outside-audio.flac", "decode_error", mentioning: ["outside the upload root"])
        expectRejected(
            "en/linked-sidecar.flac", "invalid_metadata", mentioning: ["sidecar", "outside the upload root"])
        expectRejected("en/long-sentence.flac", "invalid_metadata", mentioning: ["characters long", "5000 allowed"])
        expectRejected("en/huge-sidecar.flac", "invalid_metadata", mentioning: ["bytes allowed"])
        expectRejected("en/nul.flac", "invalid_metadata", mentioning: ["U+0"])
        expectRejected("en/latin1.flac", "invalid_metadata", mentioning: ["0xE9", "not UTF-8"])
        expectRejected("en/withdrawn.flac", "consent_withdrawn")
        expectRejected("en/notes.wav", "decode_error", mentioning: ["looks like text"])
        #expect(!byClip.keys.contains { $0.hasPrefix("fr/") }, "a folder linked out of the root was listed")

        // No byte of any file outside the root reaches an output.
        let secret = Data(Self.secret.utf8)
        let outsideAudio = try Data(contentsOf: URL(fileURLWithPath: tree.outside + "/outside.flac"))
        let audioProbe = outsideAudio.suffix(64)  // the tone's last samples, not the shared FLAC header
        for (file, data) in Self.allBytes(under: out) {
            #expect(data.range(of: secret) == nil, "\(file) holds bytes of a file outside the root")
            #expect(data.range(of: audioProbe) == nil, "\(file) holds bytes of audio outside the root")
        }
        #expect(!r.output.contains(Self.secret) && !r.error.contains(Self.secret))
    }

    @Test func outputInsideTheRootIsRefused() throws {
        let tree = try Self.makeTree()
        defer { TestSupport.remove(tree.base) }
        let r = try TestSupport.run(
            CLITests.binary, ["ingest", tree.root, "--out", tree.root + "/en/../out", "--quiet"])
        #expect(r.status == 64, "\(r.status) \(r.error)")
        #expect(r.error.contains("inside the upload root"), "\(r.error)")
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/out"))
        // Through a link to the root, too.
        try FileManager.default.createSymbolicLink(atPath: tree.base + "/alias", withDestinationPath: tree.root)
        let linked = try TestSupport.run(
            CLITests.binary, ["ingest", tree.root, "--out", tree.base + "/alias/out", "--quiet"])
        #expect(linked.status == 64, "\(linked.status) \(linked.error)")
    }
}
