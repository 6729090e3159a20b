import Foundation
import Testing
import VoxgateCorpus

@testable import VoxgateDSP
@testable import VoxgateOutputs
@testable import VoxgateRun

/// Behaviours the suite did not exercise before (issue 19): `--verify-hashes`, `voxgate catalog`, a merge over a
/// changed tree, a real SIGINT/SIGTERM, `speaker.key` permissions, the human log format, shard-key truncation,
/// the resampler's inexact-phase path and the ustar field limits.
@Suite("Paths the suite did not exercise")
struct UntestedPathsTests {
    func voxgate(_ args: [String]) throws -> TestSupport.ToolResult {
        guard FileManager.default.isExecutableFile(atPath: CLITests.binary) else {
            throw TestFailure("\(CLITests.binary) is not built; run `swift build` (scripts/test does)")
        }
        return try TestSupport.run(CLITests.binary, args)
    }

    /// A clip's bytes change but not its size or modification time: only `--verify-hashes` decodes it again.
    @Test func verifyHashesFindsAChangeThatKeepsSizeAndTime() async throws {
        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (first, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        #expect(first.decoded == 6)
        let clip = corpus.root + "/en/one.wav"
        let saved = corpus.root + "/../one.wav.time"
        try TestSupport.must("cp", ["-p", clip, saved])
        defer { TestSupport.remove(saved) }
        // Overwrite 4 kB of samples in the middle, in place: same size; then put the time back.
        let handle = try #require(FileHandle(forUpdatingAtPath: clip))
        try handle.seek(toOffset: 20_000)
        try handle.write(contentsOf: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        try handle.close()
        try TestSupport.must("touch", ["-r", saved, clip])
        let before = try FileManager.default.attributesOfItem(atPath: saved)
        let after = try FileManager.default.attributesOfItem(atPath: clip)
        #expect(before[.size] as? Int == after[.size] as? Int)
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)

        let key = corpus.root + "/../voxgate-test-speaker.key"
        let plain = try await Ingest.run(
            IngestOptions(root: corpus.root, output: out, config: PipelineConfig(), jobs: 2, speakerKeyPath: key))
        #expect(plain.decoded == 0, "without --verify-hashes nothing is decoded again")
        var verifying = IngestOptions(
            root: corpus.root, output: out, config: PipelineConfig(), jobs: 2, speakerKeyPath: key)
        verifying.verifyHashes = true
        let verified = try await Ingest.run(verifying)
        #expect(verified.decoded == 1, "--verify-hashes decodes exactly the changed clip again: \(verified.decoded)")
        #expect(verified.reused == 5)
    }

    /// `voxgate catalog` lists every catalog language as TSV; with `--out`, the accepted hours of a run per
    /// language, the languages without audio first and counted in the last line.
    @Test func catalogCommandListsLanguagesAndARunsHours() async throws {
        let list = try voxgate(["catalog"])
        #expect(list.status == 0, "\(list.error)")
        let lines = list.output.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(
            lines.first == ["tag", "name", "autonym", "iso639-3", "scripts", "direction", "corpus25", "population"])
        let entries = LanguageCatalog.shared.entries
        #expect(lines.count == entries.count + 1)
        #expect(lines.dropFirst().allSatisfy { $0.count == 8 })
        #expect(Set(lines.dropFirst().map { $0[0] }) == Set(entries.map(\.tag)))
        let ar = try #require(lines.first { $0[0] == "ar" })
        #expect(ar[2] == "العربية" && ar[3] == "ara" && ar[5] == "rtl" && ar[6] == "yes")

        let corpus = try CorpusFixture.standard()
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 2)
        defer { TestSupport.remove(out) }
        let coverage = try voxgate(["catalog", "--out", out])
        #expect(coverage.status == 0, "\(coverage.error)")
        let rows = coverage.output.split(separator: "\n").map(String.init)
        #expect(rows.first == "tag\tname\taccepted hours\taccepted clips\tcorpus25")
        #expect(
            rows.last == "# 2 of \(entries.count) catalog languages have accepted audio; \(entries.count - 2) have none"
        )
        let table = rows.dropFirst().dropLast().map { $0.split(separator: "\t").map(String.init) }
        #expect(table.count == entries.count)
        // Fewest hours first: en and de, the only languages with audio, come last.
        #expect(Set(table.suffix(2).map { $0[0] }) == ["en", "de"], "\(table.suffix(3))")
        #expect(table.dropLast(2).allSatisfy { $0[2] == "0.0000" && $0[3] == "0" })
        let en = try #require(table.first { $0[0] == "en" })
        #expect(en[3] == "4" && Double(en[2])! > 0, "\(en)")
        let missing = try voxgate(["catalog", "--out", out + "/nowhere"])
        #expect(
            missing.status == 66 && missing.error.contains("nowhere/totals.json"), "\(missing.status) \(missing.error)")
    }

    /// A merge over a tree in which a clip changed after its partition decided it is refused, naming the clip.
    @Test func mergeRefusesATreeChangedAfterThePartitionsRan() async throws {
        let corpus = try CorpusFixture.standard()
        let dir = try TestSupport.temporaryFolder("voxgate-merge")
        defer {
            corpus.remove()
            TestSupport.remove(dir)
        }
        let key = try MergeTests.key(dir)
        var parts: [String] = []
        for i in 0..<2 {
            var options = IngestOptions(
                root: corpus.root, output: dir + "/p\(i)", config: PipelineConfig(), jobs: 1, speakerKeyPath: key)
            options.partition = Partition(index: i, count: 2)
            _ = try await Ingest.run(options)
            parts.append(options.output)
        }
        try TestSupport.must("sox", [corpus.root + "/en/three.wav", corpus.root + "/en/three.new.wav", "gain", "-1"])
        try FileManager.default.removeItem(atPath: corpus.root + "/en/three.wav")
        try FileManager.default.moveItem(
            atPath: corpus.root + "/en/three.new.wav", toPath: corpus.root + "/en/three.wav")
        do {
            _ = try await Merge.run(
                MergeOptions(partitions: parts, output: dir + "/merged", jobs: 1, speakerKeyPath: key))
            Issue.record("merged a changed tree")
        } catch let error as RunError {
            #expect(error.code == .inputUnusable)
            #expect(
                error.message.contains("en/three.wav") && error.message.contains("changed after partition"),
                "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/merged/decisions.jsonl"))
    }

    /// A real signal to the running process: it stops, exits 130, says so, leaves no partial file, and the
    /// next run completes. The signal is sent once the run has reported progress, and the exit status proves it
    /// landed while the run was going (a finished run exits 0).
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStopsTheRunCleanly(signal signo: Int32) throws {
        let dir = try TestSupport.temporaryFolder("voxgate-signal")
        defer { TestSupport.remove(dir) }
        let out = dir + "/out"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["ingest", TestSupport.testAudioUploads, "--out", out, "--jobs", "1", "--no-report"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var stderr = Data()
        // Wait for the first progress line (plain lines: stderr is not a terminal).
        while process.isRunning {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            stderr += chunk
            if String(decoding: stderr, as: UTF8.self).contains("progress: ") { break }
        }
        kill(process.processIdentifier, signo)
        stderr += err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: stderr, as: UTF8.self)
        #expect(
            process.terminationReason == .exit && process.terminationStatus == 130,
            "status \(process.terminationStatus): \(text.suffix(600))")
        #expect(text.contains("voxgate: interrupted; stopping the workers"), "\(text.suffix(600))")
        let partial = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".partial")
        }
        #expect(partial.isEmpty, "\(partial)")
        let again = try voxgate([
            "ingest", TestSupport.testAudioUploads, "--out", out, "--jobs", "2", "--quiet", "--no-report",
        ])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.output.contains("48 clips"), "\(again.output)")
    }

    /// The speaker key made for a run is readable by its owner only.
    @Test func theSpeakerKeyIsMode0600() async throws {
        let corpus = try CorpusFixture(clips: [("en/one.wav", 300, 1.5, ["-b", "16"])])
        defer { corpus.remove() }
        let out = try TestSupport.temporaryFolder("voxgate-out")
        defer { TestSupport.remove(out) }
        _ = try await Ingest.run(IngestOptions(root: corpus.root, output: out, config: PipelineConfig(), jobs: 1))
        let attributes = try FileManager.default.attributesOfItem(atPath: out + "/speaker.key")
        let mode = try #require(attributes[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600, "mode \(String(mode & 0o777, radix: 8))")
        #expect((attributes[.size] as? Int ?? 0) > 0)
    }

    /// `--log-format human`: one line per event, `<ISO 8601 time> <level> <logger>: <message> key=value…`,
    /// values with spaces quoted.
    @Test func humanLogLinesHaveTimeLevelLoggerMessageAndFields() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-cli")
        defer { TestSupport.remove(dir) }
        let r = try voxgate([
            "ingest", TestSupport.testAudioUploads, "--out", dir + "/out", "--quiet", "--no-report", "--log-format",
            "human",
            "--log-file", dir + "/voxgate.log", "--log-level", "debug",
        ])
        #expect(r.status == 0, "\(r.error)")
        let lines = try String(contentsOfFile: dir + "/voxgate.log", encoding: .utf8).split(separator: "\n").map(
            String.init)
        #expect(lines.count >= 10)
        let pattern = try NSRegularExpression(
            pattern:
                #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) [\w.-]+: [^\n]+?( [a-z_0-9]+=("[^"]*"|\S+))*$"#
        )
        for line in lines {
            let range = NSRange(line.startIndex..., in: line)
            #expect(pattern.firstMatch(in: line, range: range) != nil, "not a human log line: \(line)")
            #expect(!line.hasPrefix("{"), "a JSON line in the human format: \(line)")
        }
        #expect(
            lines.contains { $0.contains(" info ") && $0.contains(": plan") && $0.contains("to_decode=48") },
            "\(lines.prefix(5))")
        #expect(lines.contains { $0.contains(" debug ") }, "--log-level debug wrote no debug line")
    }

    /// Clip names longer than 40 characters, with dots, spaces and non-ASCII letters: WebDataset keys are
    /// ASCII, dot-free, at most 60 bytes, and unique even when the names agree in their first 40 characters.
    @Test func longAndNonASCIIClipNamesMakeShortUniqueKeys() async throws {
        let stem = "a-very-long-recording-name-from-the-upload-form"  // 47 characters
        let corpus = try CorpusFixture(clips: [
            ("en/\(stem)-one.wav", 300, 1.5, ["-b", "16"]),
            ("en/\(stem)-two.wav", 350, 1.5, ["-b", "16"]),
            ("en/ça.va bien.v2.wav", 400, 1.5, ["-b", "16"]),
        ])
        defer { corpus.remove() }
        let (_, out) = try await corpus.ingest(jobs: 1)
        defer { TestSupport.remove(out) }
        let decisions = try TestSupport.jsonLines(out + "/decisions.jsonl")
        let keys = decisions.compactMap { $0["key"] as? String }
        #expect(keys.count == 3, "\(decisions)")
        #expect(Set(keys).count == 3)
        for key in keys {
            #expect(
                key.utf8.count <= 60 && key.allSatisfy { $0.isASCII } && !key.contains(".") && !key.contains(" "),
                "\(key)")
            #expect(key.range(of: #"_[0-9a-f]{12}$"#, options: .regularExpression) != nil, "\(key)")
        }
        #expect(keys.contains { $0.hasPrefix(String(stem.prefix(40)) + "_") }, "\(keys)")
        #expect(keys.contains { $0.hasPrefix("_a_va_bien_v2_") }, "\(keys)")
        let tars = try filesUnder(out).keys.filter { $0.hasSuffix(".tar") }
        let members = try tars.flatMap {
            try TestSupport.must("tar", ["-tf", out + "/" + $0]).split(separator: "\n").map(String.init)
        }
        #expect(Set(members.map { String($0.prefix { $0 != "." }) }) == Set(keys))
    }

    /// Rates whose phases cannot be exact (output ÷ gcd above 256): the fractional position is rounded to 1/256
    /// of an input sample. A sine still comes out at its amplitude and phase, and what would alias is removed.
    @Test(arguments: [44_101, 12_345, 96_001])
    func resamplerInexactPhasesKeepAmplitudeAndPhase(rate: Int) {
        var r = StreamingResampler(inputRate: rate, outputRate: 8000, cutoffHz: 3500)
        #expect(r.exactPhaseStep == 0 && r.phases == StreamingResampler.maxPhases)
        for (hz, wanted) in [(1000.0, 1.0), (5000.0, 0.0)] {
            r = StreamingResampler(inputRate: rate, outputRate: 8000, cutoffHz: 3500)
            let input = (0..<rate).map { Float(sin(2 * .pi * hz * Double($0) / Double(rate))) }
            var out: [Float] = []
            for start in stride(from: 0, to: input.count, by: 4093) {
                input[start..<min(start + 4093, input.count)].withUnsafeBufferPointer { r.consume($0, into: &out) }
            }
            r.finish(into: &out)
            #expect(abs(out.count - 8000) <= 1, "\(out.count) samples")
            let middle = 1000..<7000
            if wanted == 0 {
                let rms = (out[middle].reduce(0.0) { $0 + Double($1 * $1) } / Double(middle.count)).squareRoot()
                #expect(rms < 0.003, "\(rate) Hz in, \(hz) Hz: residual \(rms)")
            } else {
                // Against the ideal sine at the output instants: amplitude and phase together.
                let worst = middle.map { j in abs(Double(out[j]) - sin(2 * .pi * hz * Double(j) / 8000)) }.max()!
                #expect(worst < 0.01, "\(rate) Hz in: worst deviation from the ideal sine \(worst)")
            }
        }
    }

    /// ustar's limits: a member name of exactly 100 bytes and the largest size the 11 octal digits hold
    /// (8 GiB - 1) are written so Python's tarfile and GNU tar read them back.
    @Test func tarHeadersAtTheUstarLimitsReadBack() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-tar")
        defer { TestSupport.remove(dir) }
        let name = String(repeating: "k", count: 96) + ".wav"
        #expect(name.utf8.count == 100)
        let largest = 0o77_777_777_777
        let header = Tar.header(name: name, size: largest)
        #expect(header.count == Tar.blockSize)
        #expect(Array(header[124..<136]) == Array("77777777777".utf8) + [0])
        #expect(Tar.memberSize(largest) == 512 + 8 * 1024 * 1024 * 1024)
        try Data(header).write(to: URL(fileURLWithPath: dir + "/h"))
        let py = try TestSupport.run(
            "python3",
            [
                "-c",
                "import tarfile,sys; t=tarfile.TarInfo.frombuf(open(sys.argv[1],'rb').read(),'utf-8','strict'); print(t.name, t.size, t.mode, t.type == tarfile.REGTYPE)",
                dir + "/h",
            ])
        #expect(py.status == 0, "\(py.error)")
        #expect(py.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(name) \(largest) 420 True")
        // A whole small archive with the 100-byte name: GNU tar lists it and extracts the content.
        let content = Array("hello".utf8)
        try Data(Tar.header(name: name, size: content.count) + content + Tar.padding(content.count) + Tar.trailer)
            .write(to: URL(fileURLWithPath: dir + "/a.tar"))
        #expect(try TestSupport.must("tar", ["-tf", dir + "/a.tar"]) == name + "\n")
        #expect(try TestSupport.must("tar", ["-xOf", dir + "/a.tar"]) == "hello")
    }
}
