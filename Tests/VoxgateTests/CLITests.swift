import Foundation
import Testing

/// The built `voxgate` executable: exit codes and messages as an operator sees them.
@Suite("voxgate command line")
struct CLITests {
    /// The `voxgate` built beside this test bundle (whatever `--scratch-path` the build used).
    static let binary: String = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") {
            while !dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("voxgate").path
    }()

    func voxgate(_ args: [String]) throws -> TestSupport.ToolResult {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("\(Self.binary) is not built; run `swift build` (scripts/test does)")
        }
        return try TestSupport.run(Self.binary, args)
    }

    @Test func runsOnTestAudioAndSummarises() throws {
        let out = try TestSupport.temporaryFolder("voxgate-cli")
        defer { TestSupport.remove(out) }
        let r = try voxgate(["ingest", TestSupport.testAudioUploads, "--out", out, "--jobs", "2"])
        #expect(r.status == 0, "\(r.error)")
        #expect(r.output.contains("48 clips"))
        #expect(r.output.contains("too_short"))
        #expect(r.output.contains("decisions.jsonl"))
        #expect(r.error.contains("progress: 48/48 clips"))  // not a terminal: plain progress lines
        #expect(FileManager.default.fileExists(atPath: out + "/speaker.key"))

        // The same tree again: an incremental run that decodes nothing.
        let again = try voxgate(["ingest", TestSupport.testAudioUploads, "--out", out, "--quiet", "--no-report"])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.output.contains("this run: 0 clips decoded, 48 re-decided from the ledger"), "\(again.output)")
        // Nothing changed, and the report of the first run is still current: not written again.
        let third = try voxgate(["ingest", TestSupport.testAudioUploads, "--out", out, "--quiet"])
        #expect(third.status == 0 && third.output.contains("report/index.html (up to date)"), "\(third.output)")
    }

    @Test func logsAreOneJSONObjectPerLineInTheLogFile() throws {
        let dir = try TestSupport.temporaryFolder("voxgate-cli")
        defer { TestSupport.remove(dir) }
        let args = [
            "ingest", TestSupport.testAudioUploads, "--out", dir + "/out", "--quiet", "--no-report", "--log-format",
            "json",
            "--log-file", dir + "/voxgate.log", "--log-level", "debug",
        ]
        let r = try voxgate(args)
        #expect(r.status == 0, "\(r.error)")
        #expect(r.error.isEmpty, "the log went to standard error: \(r.error)")
        let lines = try String(contentsOfFile: dir + "/voxgate.log", encoding: .utf8).split(separator: "\n")
        let events = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(events.filter { $0["msg"] as? String == "clip" }.count == 48)
        let finished = try #require(events.last)
        #expect(finished["msg"] as? String == "run finished")
        #expect(finished["decoded"] as? Int == 48 && finished["clips"] as? Int == 48)
        #expect(events.allSatisfy { $0["ts"] is String && $0["level"] is String })

        // A failure is logged too (appended), with its exit code.
        let busy = try RunLockHolder(dir + "/out")
        let again = try voxgate(args)
        withExtendedLifetime(busy) {}
        #expect(again.status == 75)
        let last = try String(contentsOfFile: dir + "/voxgate.log", encoding: .utf8).split(separator: "\n").last!
        let failure = try JSONSerialization.jsonObject(with: Data(last.utf8)) as! [String: Any]
        #expect(failure["level"] as? String == "error" && failure["exit_code"] as? Int == 75)
    }

    @Test func badPipelineExits65NamingFileAndKey() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.write("checks:\n  min_duration_s: 1\n  max_durration_s: 9\n", to: dir + "/p.yaml")
        let r = try voxgate([
            "ingest", TestSupport.testAudioUploads, "--out", dir + "/out", "--pipeline", dir + "/p.yaml",
        ])
        #expect(r.status == 65)
        #expect(r.error.contains(dir + "/p.yaml: checks.max_durration_s: unknown key"), "\(r.error)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/decisions.jsonl"))
    }

    @Test func missingRootExits66() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let r = try voxgate(["ingest", dir + "/nope", "--out", dir + "/out"])
        #expect(r.status == 66)
        #expect(r.error.contains("does not exist"))
    }

    @Test func badJobsIsAUsageError() throws {
        let r = try voxgate(["ingest", TestSupport.testAudioUploads, "--out", "/tmp/x", "--jobs", "0"])
        #expect(r.status == 64)
        #expect(r.error.contains("--jobs"))
    }
}

/// Holds an output folder's run lock as another voxgate process would (flock on `.voxgate.lock`).
final class RunLockHolder {
    let fd: Int32
    init(_ out: String) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        fd = open(out + "/.voxgate.lock", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw TestFailure("cannot take the lock") }
    }
    deinit { close(fd) }
}
