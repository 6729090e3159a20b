import Foundation
import Testing
import VoxgateAudio
import VoxgateDSP

/// Browser recordings as they really arrive: Chromium's MediaRecorder (audio/webm;codecs=opus).
@Suite("Chromium MediaRecorder recordings")
struct ChromiumRecordingTests {
    func rmsDBFS(_ d: DecodedFile) -> Double {
        var meter = LevelMeter()
        d.samples.withUnsafeBufferPointer { meter.consume(interleaved: $0, mono: $0) }
        return meter.rmsDBFS
    }

    @Test func theCommittedRecordingDecodes() throws {
        let d = try DecodedFile(path: TestSupport.testAudioUploads + "/en/chromium-recording.webm")
        #expect(d.info.container == .webm && d.info.sampleRate == 48000 && d.info.channels == 1)
        // ffmpeg decodes the same file to 2.52 s (120 960 frames); the page recorded for 2.501 s.
        #expect(d.frames == 120_960)
        #expect(rmsDBFS(d) > -30)  // the speech that was played, not silence
    }

    @Test(.enabled(if: Prerequisite.chromium.runs, Prerequisite.chromium.comment))
    func aLiveRecordingDecodesToTheRecordedLength() throws {
        try Prerequisite.chromium.require()
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.must("sox", [TestSupport.testAudioUploads + "/en/pcm16.wav", "-r", "48000", dir + "/mic.wav"])
        let r = try TestSupport.run(
            "python3",
            [TestSupport.packageRoot + "/scripts/record-in-chromium.py", dir + "/mic.wav", dir + "/rec.webm", "2000"])
        #expect(r.status == 0, "\(r.error)")
        let report = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as! [String: Any]
        #expect(report["mime"] as? String == "audio/webm;codecs=opus")
        let recordedMs = try #require(report["recorded_ms"] as? Double)
        let d = try DecodedFile(path: dir + "/rec.webm")
        let decodedMs = Double(d.frames) / 48.0
        #expect(abs(decodedMs - recordedMs) <= 50, "decoded \(decodedMs) ms, recorded \(recordedMs) ms")
        #expect(rmsDBFS(d) > -30)
    }
}
