import Foundation
import VoxgateAudio
import VoxgateCorpus
import VoxgateDSP

/// The parsers that read uploaded bytes, one fuzz target each. Every target takes any bytes and must
/// return (no crash, no hang, bounded memory) whatever they hold.
enum FuzzTargets {
    static let all: [String: @Sendable (Data) -> Void] = [
        "sniff": sniff,
        "wav": decode, "flac": decode, "mp3": decode, "ogg": ogg, "webm": decode,
        "sidecar": { _ = SidecarReading.parse($0) },
        "cv-tsv": cvTSV,
        "withdrawals": { _ = try? WithdrawalsFile.parse($0) },
        "terms": { _ = try? Terms.parse(yaml: String(decoding: $0, as: UTF8.self), path: "TERMS.yaml") },
        "pipeline": { _ = try? PipelineConfig.parse(yaml: String(decoding: $0, as: UTF8.self), file: "pipeline.yaml") },
    ]

    static func sniff(_ data: Data) {
        _ = ContentSniffer.sniff(data)
        _ = ContentSniffer.describe(data)
        let tag = ContentSniffer.id3v2Length(data)
        if tag > 0, tag < data.count { _ = ContentSniffer.sniff(data.dropFirst(tag)) }
    }

    /// A scratch file per process: the decoders read files, as in a run.
    static let scratch: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return dir + "/voxgate-fuzz-\(getpid())"
    }()

    /// Decodes the bytes as a run does: by content, every frame through the meters and the fingerprinter,
    /// which size their tables by the stream's rate.
    static func decode(_ data: Data) {
        guard FileManager.default.createFile(atPath: scratch, contents: data) else {
            fatalError("cannot write \(scratch)")
        }
        defer { unlink(scratch) }
        guard var decoder = try? AudioDecoder(path: scratch) else { return }
        let info = decoder.info
        let blockFrames = 4096
        var interleaved = [Float](repeating: 0, count: blockFrames * info.channels)
        var mono = [Float](repeating: 0, count: blockFrames)
        var meters = SignalMeters(sampleRate: info.sampleRate, channels: info.channels)
        var fingerprinter = SpeechFingerprinter(sampleRate: info.sampleRate)
        var frames = 0
        // A run stops holding audio beyond checks.max_duration_s; the meters still see every frame. Cap the
        // work per input at 30 s of audio so one long stream is not a hang.
        while frames < 30 * info.sampleRate {
            guard let got = try? interleaved.withUnsafeMutableBufferPointer({ try decoder.read(into: $0) }), got > 0
            else { break }
            frames += got
            interleaved.withUnsafeBufferPointer { all in
                let block = UnsafeBufferPointer(rebasing: all[0..<got * info.channels])
                mono.withUnsafeMutableBufferPointer { scratch in
                    let m = Mixdown.monoView(block, channels: info.channels, frames: got, scratch: scratch)
                    meters.consume(interleaved: block, mono: m, frames: got)
                    fingerprinter.consume(mono: m)
                }
            }
        }
        _ = fingerprinter.finish()
    }

    /// Ogg: decoded as ``decode(_:)`` does, and then both ways a run may decode it: from the file in memory (plain Ogg
    /// Opus files by voxgate's own reader) and from disk by libsndfile. The two must give the same frames bit for bit,
    /// or both refuse the bytes.
    static func ogg(_ data: Data) {
        decode(data)
        guard FileManager.default.createFile(atPath: scratch, contents: data) else {
            fatalError("cannot write \(scratch)")
        }
        defer { unlink(scratch) }
        let image = FileImage.read(path: scratch)
        let fromMemory = frames(scratch, image: image)
        let fromDisk = frames(scratch, image: nil)
        guard fromMemory == fromDisk else {
            fatalError("decoded from memory: \(fromMemory?.count ?? -1) samples; from disk: \(fromDisk?.count ?? -1)")
        }
    }

    /// The first 30 s of samples the decoder gives (bit patterns, so NaNs compare), or nil when it refuses the file.
    static func frames(_ path: String, image: FileImage?) -> [UInt32]? {
        guard var decoder = try? AudioDecoder(path: path, image: image) else { return nil }
        var block = [Float](repeating: 0, count: 4096 * decoder.info.channels)
        var all: [UInt32] = []
        while all.count < 30 * decoder.info.sampleRate * decoder.info.channels {
            guard let got = try? block.withUnsafeMutableBufferPointer({ try decoder.read(into: $0) }) else {
                return nil
            }
            if got == 0 { break }
            all += block[0..<got * decoder.info.channels].map(\.bitPattern)
        }
        return all
    }

    /// A Common Voice locale folder (`<scratch>-cv/en/validated.tsv` and `clips/`), read as a run reads it.
    static func cvTSV(_ data: Data) {
        let locale = scratch + "-cv/en"
        try? FileManager.default.createDirectory(atPath: locale + "/clips", withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: locale + "/validated.tsv", contents: data) else {
            fatalError("cannot write \(locale)")
        }
        var options = InputOptions()
        options.commonVoiceBuckets = ["validated"]
        guard let input = try? CommonVoiceRelease.scan(root: locale, options: options) else { return }
        for clip in input.clips { _ = clip.metadata.read() }
    }
}

#if VOXGATE_LIBFUZZER
    /// libFuzzer's entry point; the target is chosen by VOXGATE_FUZZ_TARGET.
    let selected: @Sendable (Data) -> Void = {
        let name = ProcessInfo.processInfo.environment["VOXGATE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTargets.all[name] else {
            fatalError("set VOXGATE_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        selected(bytes.map { Data(bytes: $0, count: count) } ?? Data())
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links an executable's entry point as `main` (`--defsym main=voxgate_fuzz_main`), so
    /// libFuzzer's own `main` is not used: this one hands the command line to libFuzzer's driver.
    @_cdecl("voxgate_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var argc = argc
        var argv = argv
        return runDriver(&argc, &argv) { bytes, count in fuzzOneInput(bytes, count) }
    }
#else
    /// Without libFuzzer: `voxgate-fuzz <target> <file>…` replays inputs (the regression corpus) through a
    /// target, as the test suite does.
    @main
    struct Replay {
        static func main() {
            let args = CommandLine.arguments.dropFirst()
            guard let name = args.first, let target = FuzzTargets.all[name] else {
                FileHandle.standardError.write(
                    Data("usage: voxgate-fuzz <\(FuzzTargets.all.keys.sorted().joined(separator: "|"))> <file>…\n".utf8)
                )
                exit(64)
            }
            for path in args.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(66)
                }
                target(data)
            }
            print("replayed \(args.count - 1) inputs through \(name)")
        }
    }
#endif
