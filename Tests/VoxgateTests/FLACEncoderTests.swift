import Foundation
import Testing
import VoxgateAudio

@Suite("FLAC encoding with libFLAC")
struct FLACEncoderTests {
    @Test(arguments: [(16000, 1, 16), (44100, 2, 16), (48000, 1, 24), (8000, 1, 8)])
    func roundTripIsLossless(rate: Int, channels: Int, bits: Int) throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let source = dir + "/in.wav"
        try TestSupport.tone(
            source, seconds: 1.3, rate: rate, channels: channels,
            soxOutputArgs: ["-b", String(bits)]
                + (bits == 8 ? ["-e", "unsigned-integer"] : []))
        let original = try DecodedFile(path: source)

        let encoder = try FLACEncoder(sampleRate: rate, channels: channels, bitsPerSample: bits)
        // Uneven blocks, as the pipeline feeds it.
        var offset = 0
        for size in [1000, 4096, 1, 7777] + Array(repeating: 4096, count: 100) where offset < original.frames {
            let n = min(size, original.frames - offset)
            try original.samples[offset * channels..<(offset + n) * channels].withUnsafeBufferPointer {
                try encoder.append($0, frames: n)
            }
            offset += n
        }
        let flac = try encoder.finish()
        try Data(flac).write(to: URL(fileURLWithPath: dir + "/out.flac"))

        // Checked by the reference tool: `flac -t` verifies the stream and its MD5 signature.
        try TestSupport.must("flac", ["--totally-silent", "-t", dir + "/out.flac"])
        let decoded = try DecodedFile(path: dir + "/out.flac")
        #expect(decoded.info.container == .flac)
        #expect(decoded.info.sampleRate == rate && decoded.info.channels == channels)
        #expect(decoded.info.declaredFrames == original.frames)  // STREAMINFO rewritten with the total
        #expect(firstDifference(decoded.samples, original.samples) == nil)
    }

    @Test func outOfRangeSamplesAreClampedNotWrapped() throws {
        let encoder = try FLACEncoder(sampleRate: 8000, channels: 1, bitsPerSample: 16)
        try [Float](arrayLiteral: 2.5, -4, 0.5, .nan).withUnsafeBufferPointer { try encoder.append($0, frames: 4) }
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try Data(try encoder.finish()).write(to: URL(fileURLWithPath: dir + "/c.flac"))
        let decoded = try DecodedFile(path: dir + "/c.flac")
        #expect(decoded.samples == [32767.0 / 32768, -1, 0.5, 0])
    }

    @Test func impossibleParametersAreRefusedWithAMessage() {
        #expect(throws: EncodeError.self) { try FLACEncoder(sampleRate: 0, channels: 1, bitsPerSample: 16) }
    }
}
