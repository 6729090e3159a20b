import Foundation
import Testing

/// Replays the fuzzer's regression inputs (`Fuzz/regressions/<target>/`: crashes, hangs and blow-ups found
/// by `scripts/fuzz` or reported, once fixed) through the same targets, built without libFuzzer. A target
/// that crashes on one of them fails this test; the per-input time and memory are those of a test.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static let binary = (CLITests.binary as NSString).deletingLastPathComponent + "/voxgate-fuzz"
    static let folder = TestSupport.packageRoot + "/Fuzz/regressions"
    static let targets = [
        "sniff", "wav", "flac", "mp3", "ogg", "webm", "sidecar", "cv-tsv", "withdrawals", "terms", "pipeline",
    ]

    @Test(arguments: targets)
    func replays(target: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("\(Self.binary) is not built; run `swift build --build-tests`")
        }
        let dir = Self.folder + "/" + target
        let inputs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
        #expect(!inputs.isEmpty, "no regression input for \(target) in \(dir)")
        let started = Date()
        let r = try TestSupport.run(Self.binary, [target] + inputs.map { dir + "/" + $0 })
        #expect(r.status == 0, "\(target): \(r.error)")
        #expect(r.output.contains("replayed \(inputs.count) inputs"), "\(r.output)")
        #expect(Date().timeIntervalSince(started) < 60, "\(target) took too long on its regression inputs")
    }
}
