import Foundation
import Testing
import VoxgateLedger
import VoxgateOutputs

/// Paths issues 16 and 23 built that no test reached: the report's lock, the warning for a speaker key others can
/// read, and the watchdog that ends a run whose worker does not stop after SIGTERM.
@Suite("Operator paths: report lock, readable key, SIGTERM watchdog", .serialized)
struct OperatorPathsTests {
    @Test func theReportWaitsForNoRunAndRefusesWhileOneWrites() async throws {
        let corpus = try CorpusFixture.standard()
        let out = try TestSupport.temporaryFolder("voxgate-lock")
        defer {
            corpus.remove()
            TestSupport.remove(out)
        }
        _ = try await InputTrustTests.ingest(corpus.root, out)
        do {
            let lock = try RunLock(output: out)  // as a run writing the folder holds it
            defer { withExtendedLifetime(lock) {} }
            let r = try InputTrustTests.cli(["report", out])
            #expect(r.status == 75, "\(r.error)")
            #expect(r.error.contains("another voxgate run is writing to"), "\(r.error)")
            #expect(!FileManager.default.fileExists(atPath: out + "/report/index.html"), "nothing written")
        }
        let free = try InputTrustTests.cli(["report", out])
        #expect(free.status == 0, "\(free.error)")
        #expect(FileManager.default.fileExists(atPath: out + "/report/index.html"))
    }

    @Test func aKeyOthersCanReadIsWarnedAbout() throws {
        let corpus = try CorpusFixture(clips: [("en/one.wav", 300, 1.5, ["-b", "16"])])
        let dir = try TestSupport.temporaryFolder("voxgate-key")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = dir + "/speaker.key"
        try TestSupport.write(String(repeating: "7e", count: 32), to: key)
        let arguments = ["ingest", corpus.root, "--out", dir + "/out", "--speaker-key", key, "--no-report"]
        chmod(key, 0o644)
        let readable = try InputTrustTests.cli(arguments)
        #expect(readable.status == 0, "\(readable.error)")
        let said = readable.output + readable.error
        #expect(
            said.contains("speaker key '\(key)' is readable by other users (mode 644)") && said.contains("chmod 600"),
            "\(said)")
        let manifest = try String(contentsOfFile: dir + "/out/run.json", encoding: .utf8)
        #expect(manifest.contains("is readable by other users"), "the warning is in run.json's warnings")
        chmod(key, 0o600)
        let private_ = try InputTrustTests.cli(arguments + ["--verify-hashes"])
        #expect(private_.status == 0, "\(private_.error)")
        #expect(!(private_.output + private_.error).contains("readable by other users"))
    }

    /// A worker busy for minutes (a 4 GiB WAV, sparse on disk: 37 hours of 16 kHz audio, decoded to be measured)
    /// does not see the cancellation; the watchdog ends the run 10 s after SIGTERM, exit 130, no partial file, the
    /// ledger as before the run, and the next run (without that upload) completes.
    @Test func aRunWhoseWorkerDoesNotStopEndsTenSecondsAfterSIGTERM() throws {
        let corpus = try CorpusFixture(clips: [("en/one.wav", 300, 1.5, ["-b", "16"])])
        let dir = try TestSupport.temporaryFolder("voxgate-watchdog")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let out = dir + "/out"
        let key = dir + "/speaker.key"
        try TestSupport.write(String(repeating: "7e", count: 32), to: key)
        chmod(key, 0o600)
        let arguments = ["ingest", corpus.root, "--out", out, "--speaker-key", key, "--no-report", "--jobs", "1"]
        #expect(try InputTrustTests.cli(arguments).status == 0)
        let runsBefore = try Ledger(readingInput: out).runs().count

        let long = corpus.root + "/en/zz-long.wav"
        let dataBytes: UInt32 = 0xF000_0000
        var header = Data("RIFF".utf8)
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        le32(dataBytes + 36)
        header.append(contentsOf: Array("WAVEfmt ".utf8))
        le32(16); le16(1); le16(1); le32(16_000); le32(32_000); le16(2); le16(16)
        header.append(contentsOf: Array("data".utf8))
        le32(dataBytes)
        try header.write(to: URL(fileURLWithPath: long))
        try TestSupport.must("truncate", ["-s", String(Int(dataBytes) + 44), long])
        try TestSupport.write(
            TestSupport.sidecar(sentence: "a long one", client: "spk-9"), to: corpus.root + "/en/zz-long.json")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 3)  // the one worker is inside the long clip by now (it needs minutes)
        #expect(process.isRunning, "the run must still be busy with the long clip")
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let after = Date().timeIntervalSince(signalled)
        let text = String(decoding: stderr, as: UTF8.self)
        #expect(
            process.terminationReason == .exit && process.terminationStatus == 130,
            "\(process.terminationStatus): \(text)")
        #expect(text.contains("the workers did not stop within 10 s; exiting now"), "\(text)")
        #expect(after >= 9.5 && after < 20, "ended \(after) s after SIGTERM")
        let partial = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".partial")
        }
        #expect(partial.isEmpty, "\(partial)")
        #expect(try Ledger(readingInput: out).runs().count == runsBefore, "the interrupted run committed nothing")

        try FileManager.default.removeItem(atPath: long)
        let again = try InputTrustTests.cli(arguments)
        #expect(again.status == 0, "\(again.error)")
    }
}
