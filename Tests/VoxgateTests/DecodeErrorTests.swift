import Foundation
import Testing
import VoxgateAudio

@Suite("Bad audio: a clear decode error, never a crash")
struct DecodeErrorTests {
    func expectError(_ path: String, _ code: DecodeError.Code, mentioning words: [String]) {
        do {
            let decoded = try DecodedFile(path: path)
            Issue.record("decoded \(decoded.frames) frames from a bad file")
        } catch {
            #expect(error.code == code, "\(error.message)")
            #expect(error.path == path)
            for w in words { #expect(error.message.contains(w), "\(error.message)") }
        }
    }

    @Test func zeroByteFileIsEmpty() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/x.wav", contents: Data()))
        expectError(dir + "/x.wav", .empty, mentioning: ["0 bytes"])
    }

    @Test func wavWithNoFramesIsEmpty() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try WAVFile.float32(samples: [], rate: 16000).write(to: URL(fileURLWithPath: dir + "/x.wav"))
        expectError(dir + "/x.wav", .empty, mentioning: ["no audio frames"])
    }

    @Test func truncatedWAVIsTruncated() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/full.wav", seconds: 2)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/full.wav"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.wav"))
        expectError(dir + "/cut.wav", .truncated, mentioning: ["32000 frames", "cut short"])
    }

    @Test func truncatedFLACIsRejected() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/full.flac", seconds: 2)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/full.flac"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.flac"))
        do {
            let d = try DecodedFile(path: dir + "/cut.flac")
            Issue.record("decoded \(d.frames) frames of a cut FLAC")
        } catch {
            #expect(error.code == .truncated || error.code == .corrupt, "\(error)")
        }
    }

    /// Seeded, so a failure names the bytes that caused it: rerun with the seed in the test's arguments.
    @Test(arguments: [0x5EED_0B17_0001, 0x5EED_0B17_0002, 0x5EED_0B17_0003] as [UInt64])
    func randomBytesAreUnsupported(seed: UInt64) throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        var rng = SplitMix64(seed: seed)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...0xFE, using: &rng) }
        print("randomBytesAreUnsupported: seed 0x\(String(seed, radix: 16)), first bytes \(noise.prefix(8))")
        try Data([0x00] + noise).write(to: URL(fileURLWithPath: dir + "/x.mp3"))
        expectError(dir + "/x.mp3", .unsupportedFormat, mentioning: ["not a recognised audio format", "binary data"])
    }

    @Test func flacMagicFollowedByGarbageIsCorrupt() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try Data(Array("fLaC".utf8) + [UInt8](repeating: 0x5A, count: 2000)).write(
            to: URL(fileURLWithPath: dir + "/x.flac"))
        expectError(dir + "/x.flac", .corrupt, mentioning: ["flac"])
    }

    @Test func mp4AACIsRecognisedAndRejectedWithAConversionHint() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/a.wav")
        try TestSupport.must("ffmpeg", ["-loglevel", "error", "-i", dir + "/a.wav", "-c:a", "aac", dir + "/a.m4a"])
        expectError(dir + "/a.m4a", .unsupportedFormat, mentioning: ["mp4", "MP4/AAC", "ffmpeg -i"])
    }

    @Test func missingFileIsUnreadable() {
        expectError("/nonexistent/voxgate/clip.wav", .unreadable, mentioning: ["cannot open"])
    }
}
