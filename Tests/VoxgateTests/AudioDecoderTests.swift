import Foundation
import Testing
import VoxgateAudio

@Suite("Decoding every supported format, by content")
struct AudioDecoderTests {
    /// A source format: how to make it from a 1.5 s tone, and what decoding must report.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        /// Command that converts `in.wav` (16-bit, 16 kHz mono tone) or writes the file itself.
        var make: @Sendable (_ input: String, _ output: String) throws -> Void
        var container: ContainerFormat
        var encoding: SampleEncoding
        var rate: Int
        var channels: Int
        /// Lossless formats decode to exactly rate × 1.5 frames.
        var exact: Bool
        var testDescription: String { name }
    }

    static func sox(_ args: [String]) -> @Sendable (String, String) throws -> Void {
        { input, output in try TestSupport.must("sox", [input] + args + [output]) }
    }

    static func ffmpeg(_ args: [String]) -> @Sendable (String, String) throws -> Void {
        { input, output in try TestSupport.must("ffmpeg", ["-loglevel", "error", "-y", "-i", input] + args + [output]) }
    }

    static let cases: [Case] = [
        Case(
            name: "WAV PCM 8-bit unsigned", file: "a.wav", make: sox(["-b", "8", "-e", "unsigned-integer"]),
            container: .wav, encoding: .pcmU8, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV PCM 16-bit", file: "a.wav", make: sox(["-b", "16"]),
            container: .wav, encoding: .pcm16, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV PCM 24-bit", file: "a.wav", make: sox(["-b", "24"]),
            container: .wav, encoding: .pcm24, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV PCM 32-bit", file: "a.wav", make: sox(["-b", "32", "-e", "signed-integer"]),
            container: .wav, encoding: .pcm32, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV IEEE float", file: "a.wav", make: sox(["-b", "32", "-e", "floating-point"]),
            container: .wav, encoding: .float32, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV µ-law", file: "a.wav", make: sox(["-e", "u-law"]),
            container: .wav, encoding: .ulaw, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV A-law", file: "a.wav", make: sox(["-e", "a-law"]),
            container: .wav, encoding: .alaw, rate: 16000, channels: 1, exact: true),
        Case(
            name: "WAV stereo 44.1 kHz", file: "a.wav", make: sox(["-c", "2", "-r", "44100"]),
            container: .wav, encoding: .pcm16, rate: 44100, channels: 2, exact: true),
        Case(
            name: "FLAC 16-bit", file: "a.flac", make: sox([]),
            container: .flac, encoding: .pcm16, rate: 16000, channels: 1, exact: true),
        Case(
            name: "FLAC 24-bit 48 kHz", file: "a.flac", make: sox(["-b", "24", "-r", "48000"]),
            container: .flac, encoding: .pcm24, rate: 48000, channels: 1, exact: true),
        Case(
            name: "FLAC named .wav", file: "really-flac.wav",
            make: { i, o in try TestSupport.must("sox", [i, "-t", "flac", o]) },
            container: .flac, encoding: .pcm16, rate: 16000, channels: 1, exact: true),
        Case(
            name: "Ogg Vorbis", file: "a.ogg", make: ffmpeg(["-c:a", "libvorbis", "-q:a", "2"]),
            container: .oggVorbis, encoding: .vorbis, rate: 16000, channels: 1, exact: false),
        Case(
            name: "Ogg Opus", file: "a.opus", make: ffmpeg(["-c:a", "libopus", "-b:a", "24k", "-ar", "48000"]),
            container: .oggOpus, encoding: .opus, rate: 48000, channels: 1, exact: false),
        Case(
            name: "MP3 32 kHz with ID3v2", file: "a.mp3",
            make: ffmpeg(["-c:a", "libmp3lame", "-ar", "32000", "-b:a", "48k"]),
            container: .mp3, encoding: .mp3, rate: 32000, channels: 1, exact: false),
        Case(
            name: "MP3 48 kHz, no tag, named .ogg", file: "notogg.ogg",
            make: ffmpeg([
                "-c:a", "libmp3lame", "-ar", "48000", "-b:a", "64k", "-id3v2_version", "0",
                "-write_xing", "0", "-f", "mp3",
            ]),
            container: .mp3, encoding: .mp3, rate: 48000, channels: 1, exact: false),
    ]

    @Test(arguments: cases)
    func decodes(_ c: Case) throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let input = dir + "/in.wav"
        try TestSupport.tone(input, seconds: 1.5)
        let output = dir + "/" + c.file
        try c.make(input, output)

        let decoded = try DecodedFile(path: output)
        #expect(decoded.info.container == c.container)
        #expect(decoded.info.encoding == c.encoding)
        #expect(decoded.info.sampleRate == c.rate)
        #expect(decoded.info.channels == c.channels)
        let seconds = Double(decoded.frames) / Double(decoded.info.sampleRate)
        if c.exact {
            #expect(decoded.frames == c.rate * 3 / 2)
        } else {
            // Lossy codecs add encoder delay and padding, never more than a few frames of audio.
            #expect(abs(seconds - 1.5) < 0.08, "decoded \(seconds) s")
        }
        // The tone is at half scale: its peak survives every codec within 1.5 dB.
        let peak = decoded.samples.map(abs).max() ?? 0
        #expect(abs(20 * log10(Double(peak)) - 20 * log10(0.5)) < 1.5, "peak \(peak)")
    }

    @Test func decodingDoesNotDependOnTheBlockSize() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        try TestSupport.tone(dir + "/a.wav", seconds: 1.1)
        try TestSupport.must(
            "ffmpeg", ["-loglevel", "error", "-i", dir + "/a.wav", "-c:a", "libmp3lame", dir + "/a.mp3"])
        for file in ["a.wav", "a.mp3"] {
            let small = try DecodedFile(path: dir + "/" + file, blockFrames: 257)
            let large = try DecodedFile(path: dir + "/" + file, blockFrames: 65536)
            #expect(firstDifference(small.samples, large.samples) == nil, "\(file)")
        }
    }

    @Test func floatSamplesAboveFullScaleAreKept() throws {
        let dir = try TestSupport.temporaryFolder()
        defer { TestSupport.remove(dir) }
        let path = dir + "/hot.wav"
        try WAVFile.float32(samples: [0.5, 2.0, -3.0, 0.25], rate: 8000).write(to: URL(fileURLWithPath: path))
        let decoded = try DecodedFile(path: path)
        #expect(decoded.samples == [0.5, 2.0, -3.0, 0.25])
    }
}

/// Minimal WAV writer for tests that need exact sample values sox would alter.
enum WAVFile {
    static func float32(samples: [Float], rate: Int) -> Data {
        var d = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + samples.count * 4)
        d.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(3); u16(1); u32(rate); u32(rate * 4); u16(4); u16(32)
        d.append(contentsOf: Array("data".utf8)); u32(samples.count * 4)
        for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }
}
