// voxgate-bench: whole-pipeline throughput against a decode-only pass over the same files.
//
//   voxgate-bench pipeline <upload-root> --jobs N   full ingest into a scratch folder
//   voxgate-bench decode   <upload-root> --jobs N   the same files through the same decoders, nothing else
//   voxgate-bench meters   <upload-root> --jobs N   decode plus every signal meter (the DSP's own cost)
//   voxgate-bench lid                                the text language identifier: sentences per second
//   voxgate-bench kernels                            each signal kernel alone: ns per sample, samples/s
//   voxgate-bench report N                           the validation report of N synthetic decisions
//   voxgate-bench fingerprint-dump FILE…             each file's sub-fingerprints (hex, one line per file)
//   voxgate-bench fingerprint-index N                the near-duplicate index at 10k … N clips: memory, inserts/s, queries/s
//   voxgate-bench duplicate-index N [--seconds S] [--released] [--main | --copied]
//                                                    resident bytes per kept clip of the duplicate index
//   voxgate-bench fingerprints FILE…                 each file's sub-fingerprints and fingerprinter time (JSON lines)
//   voxgate-bench stored-analyses FILE               parsing stored analyses (one ledger `analysis` text per line,
//                                                    e.g. `SELECT analysis FROM clip` of a ledger): µs per analysis
//   --pipeline FILE                                  a pipeline file instead of the defaults
//   --inline                                         decode/meters: clips one after another on the main task
//                                                    (no worker threads), for valgrind --tool=callgrind
//   --fingerprint                                    meters: the speech fingerprinter too (its share, apart)
//   VOXGATE_STAGE_CLOCK=1                            pipeline: also one JSON line of CPU time per stage
//                                                    (StageClock), and the rest of the process's CPU time
//
// Prints one JSON line of figures per run; scripts/bench repeats runs and reports medians.
import Dispatch
import Foundation
import VoxgateAudio
import VoxgateCorpus
import VoxgateDSP
import VoxgateOutputs
import VoxgatePipeline
import VoxgateReport
import VoxgateRun

struct Figures {
    var mode: String
    var jobs: Int
    var clips: Int
    var audioSeconds: Double
    var wallSeconds: Double

    func json() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let fields: [(String, String)] = [
            ("mode", "\"\(mode)\""), ("jobs", "\(jobs)"), ("clips", "\(clips)"),
            ("audio_s", String(format: "%.3f", audioSeconds)), ("wall_s", String(format: "%.3f", wallSeconds)),
            ("clips_per_s", String(format: "%.1f", Double(clips) / wallSeconds)),
            ("audio_h_per_wall_s", String(format: "%.4f", audioSeconds / 3600 / wallSeconds)),
            ("x_realtime_per_core", String(format: "%.1f", audioSeconds / wallSeconds / Double(jobs))),
            ("cpu_s", String(format: "%.3f", cpu)),
            ("peak_rss_mib", String(format: "%.1f", Double(usage.ru_maxrss) / 1024)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// Decodes one clip in blocks of `blockFrames` frames, through every signal meter when `meters` is set
/// (as ``ClipAnalyzer`` feeds them, without the fingerprint, digest and encoder), and through the speech
/// fingerprinter as well when `fingerprint` is set (to measure its share apart); returns its seconds.
func decodeClip(_ clip: ClipSource, blockFrames: Int, meters: Bool, fingerprint: Bool = false) -> Double {
    guard var decoder = try? AudioDecoder(path: clip.path) else { return 0 }
    let channels = decoder.info.channels
    var block = [Float](repeating: 0, count: blockFrames * channels)
    var mono = [Float](repeating: 0, count: blockFrames)
    var signal = SignalMeters(sampleRate: decoder.info.sampleRate, channels: channels)
    var fingerprinter = fingerprint ? SpeechFingerprinter(sampleRate: decoder.info.sampleRate) : nil
    var frames = 0
    while let got = try? block.withUnsafeMutableBufferPointer({ try decoder.read(into: $0) }), got > 0 {
        frames += got
        guard meters else { continue }
        block.withUnsafeBufferPointer { b in
            let all = UnsafeBufferPointer(rebasing: b[0..<got * channels])
            mono.withUnsafeMutableBufferPointer { scratch in
                let m = Mixdown.monoView(all, channels: channels, frames: got, scratch: scratch)
                signal.consume(interleaved: all, mono: m, frames: got)
                fingerprinter?.consume(mono: m)
            }
        }
    }
    if meters { _ = (signal.loudness.result, signal.speech.result, signal.truePeak.truePeakDBTP) }
    _ = fingerprinter?.finish()
    return Double(frames) / Double(decoder.info.sampleRate)
}

func decodeOnly(_ clips: [ClipSource], jobs: Int, blockFrames: Int, meters: Bool = false, fingerprint: Bool = false)
    async -> Double
{
    await withTaskGroup(of: Double.self) { group in
        var next = 0
        var seconds = 0.0
        func start() {
            let clip = clips[next]
            next += 1
            group.addTask {
                await BlockingWork.run {
                    decodeClip(clip, blockFrames: blockFrames, meters: meters, fingerprint: fingerprint)
                }
            }
        }
        while next < min(jobs, clips.count) { start() }
        while let s = await group.next() {
            seconds += s
            if next < clips.count { start() }
        }
        return seconds
    }
}

/// Each DSP kernel on 60 s of noise at 48 kHz, mono and stereo, fed in 4096-frame blocks as the pipeline
/// does: median of 5 runs, in ns per sample (per channel sample) and samples per second per core.
func kernels() {
    var rng = SystemRandomNumberGenerator()
    for channels in [1, 2] {
        let frames = 48_000 * 60
        let samples = (0..<frames * channels).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        var mono = [Float](repeating: 0, count: frames)
        samples.withUnsafeBufferPointer { s in
            mono.withUnsafeMutableBufferPointer { Mixdown.mono(s, channels: channels, frames: frames, into: $0) }
        }
        func time(_ name: String, _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, Int) -> Void) {
            var runs: [Double] = []
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                samples.withUnsafeBufferPointer { all in
                    mono.withUnsafeBufferPointer { m in
                        var f = 0
                        while f < frames {
                            let n = min(4096, frames - f)
                            body(
                                UnsafeBufferPointer(rebasing: all[(f * channels)..<((f + n) * channels)]),
                                UnsafeBufferPointer(rebasing: m[f..<f + n]), n)
                            f += n
                        }
                    }
                }
                runs.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            let median = runs.sorted()[2] / Double(frames * channels)
            print(
                #"{"kernel":"\#(name)","channels":\#(channels),"ns_per_sample":\#(String(format: "%.3f", median)),"#
                    + #""samples_per_s":\#(String(format: "%.0f", 1e9 / median))}"#)
        }
        var loudness = LoudnessMeter(sampleRate: 48_000, channels: channels)
        time("loudness (K-weighting + gating)") { i, _, n in loudness.consume(i, frames: n) }
        var peak = TruePeakMeter(sampleRate: 48_000, channels: channels)
        time("true peak (4x)") { i, _, n in peak.consume(i, frames: n) }
        var clipping = ClippingDetector(channels: channels)
        time("clipping") { i, _, n in clipping.consume(i, frames: n) }
        var speech = SpeechAnalyzer(sampleRate: 48_000)
        time("speech activity + SNR (mono mix)") { _, m, _ in speech.consume(mono: m) }
        var level = LevelMeter()
        time("level (peak, RMS)") { i, m, _ in level.consume(interleaved: i, mono: m) }
        if channels == 1 {
            var fingerprinter = SpeechFingerprinter(sampleRate: 48_000)
            time("speech fingerprint (mono mix)") { _, m, _ in fingerprinter.consume(mono: m) }
            _ = fingerprinter.finish()
        }
        var all = SignalMeters(sampleRate: 48_000, channels: channels)
        time("all meters") { i, m, n in all.consume(interleaved: i, mono: m, frames: n) }
        _ = (loudness.result, peak.truePeakDBTP, clipping.result, speech.result, level.rmsDBFS)
    }
}

/// Report generation for `count` synthetic decisions over 20 languages (a fifth rejected): median of 3.
func reportBenchmark(count: Int) throws {
    let out = NSTemporaryDirectory() + "voxgate-report-bench-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: out) }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let reasons = ["too_short", "low_snr", "duplicate", "no_consent", "silent"]
    var lines = ""
    for i in 0..<count {
        let rejected = i % 5 == 0
        let reason = reasons[i % reasons.count]
        lines +=
            #"{"clip":"l\#(i % 20)/clip-\#(i).mp3","status":"\#(rejected ? "rejected" : "accepted")","reasons":\#(rejected ? "[\"\(reason)\"]" : "[]"),"detail":\#(rejected ? "\"\(reason): synthetic\"" : "null"),"language":"l\#(i % 20)","duration_s":\#(1 + Double(i % 90) / 10),"frames":\#(16000 + i % 90 * 1600),"loudness_lufs":\#(-35 + Double(i % 20)),"snr_db":\#(Double(i % 60)),"speech_s":1.0}"#
            + "\n"
    }
    try lines.write(toFile: out + "/decisions.jsonl", atomically: true, encoding: .utf8)
    try #"{"locales": {}}"#.write(toFile: out + "/totals.json", atomically: true, encoding: .utf8)
    var times: [Double] = []
    var largest = 0
    var pages = 0
    for _ in 0..<3 {
        let start = Date()
        let summary = try Report.write(output: out)
        times.append(Date().timeIntervalSince(start))
        largest = summary.largestPageBytes
        pages = summary.pages
    }
    print(
        #"{"report_decisions":\#(count),"median_s":\#(String(format: "%.3f", times.sorted()[1])),"pages":\#(pages),"largest_page_bytes":\#(largest)}"#
    )
}

ProcessMemory.returnFreedMemory()  // as the voxgate command does: its peak RSS is what is measured
let args = CommandLine.arguments
if args.count == 3, args[1] == "report", let n = Int(args[2]) {
    try reportBenchmark(count: n)
    exit(0)
}
if args.count >= 3, args[1] == "duplicate-index", let n = Int(args[2]) {
    duplicateIndexBenchmark(
        clips: n, seconds: args.firstIndex(of: "--seconds").flatMap { Int(args[$0 + 1]) } ?? 1,
        released: args.contains("--released"), main: args.contains("--main"), copied: args.contains("--copied"))
    exit(0)
}
if args.count == 3, args[1] == "stored-analyses" {
    // What a nightly run does for every unchanged clip it decides again: its stored analysis parsed.
    let lines = try String(contentsOfFile: args[2], encoding: .utf8).split(separator: "\n").map(String.init)
    var times: [Double] = []
    var parsed = 0
    for _ in 0..<5 {
        let start = Date()
        parsed = lines.reduce(0) { $0 + (ClipAnalysis(storedJSON: $1) == nil ? 0 : 1) }
        times.append(Date().timeIntervalSince(start))
    }
    let median = times.sorted()[2]
    print(
        #"{"analyses":\#(lines.count),"parsed":\#(parsed),"us_per_analysis":\#(String(format: "%.2f", median / Double(max(lines.count, 1)) * 1e6))}"#
    )
    exit(parsed == lines.count ? 0 : 1)
}
if args.count >= 3, args[1] == "fingerprint-index", let n = Int(args[2]) {
    fingerprintIndexBenchmark(maxClips: n, repeats: args.count > 3 ? Int(args[3]) ?? 3 : 3)
    exit(0)
}
if args.count >= 2, args[1] == "fingerprint-dump" {
    // To compare fingerprints before and after a change to the fingerprinter.
    for path in args.dropFirst(2) {
        guard var decoder = try? AudioDecoder(path: path) else { print(path, "undecodable"); continue }
        let channels = decoder.info.channels
        var block = [Float](repeating: 0, count: 4096 * channels)
        var mono = [Float](repeating: 0, count: 4096)
        var fingerprinter = SpeechFingerprinter(sampleRate: decoder.info.sampleRate)
        while let got = try? block.withUnsafeMutableBufferPointer({ try decoder.read(into: $0) }), got > 0 {
            block.withUnsafeBufferPointer { b in
                mono.withUnsafeMutableBufferPointer { m in
                    Mixdown.mono(
                        UnsafeBufferPointer(rebasing: b[0..<got * channels]), channels: channels, frames: got, into: m)
                    fingerprinter.consume(mono: UnsafeBufferPointer(rebasing: m[0..<got]))
                }
            }
        }
        print(path, fingerprinter.finish().subFingerprints.map { String($0, radix: 16) }.joined(separator: " "))
    }
    exit(0)
}
if args.count == 2, args[1] == "lid" {
    // Held-out-like load: the Common Voice sentences shipped with TestAudio's sidecars are too few, so use
    // a fixed set of sentences in several languages, repeated.
    let sentences = [
        "Der Hund schläft seit heute Morgen auf dem Sofa.", "Le chat dort sur le canapé depuis ce matin.",
        "Il gatto dorme sul divano da questa mattina.", "The library opens at nine every morning.",
        "El perro duerme en el sofá desde esta mañana.", "Собака спит на диване с самого утра.",
    ]
    var times: [Double] = []
    var flagged = 0
    for _ in 0..<5 {
        let start = Date()
        for i in 0..<20_000 {
            if TextLanguageIdentifier.shared.mismatch(sentences[i % sentences.count], claimed: "de") != nil {
                flagged += 1
            }
        }
        times.append(Date().timeIntervalSince(start))
    }
    print(
        #"{"lid_sentences_per_s":\#(String(format: "%.0f", 20_000 / times.sorted()[2])),"languages":\#(TextLanguageIdentifier.shared.languages.count)}"#
    )
    exit(flagged > 0 ? 0 : 1)
}
if args.count >= 2, args[1] == "fingerprints" {
    try fingerprintFiles(Array(args.dropFirst(2)))
    exit(0)
}
if args.count == 2, args[1] == "kernels" {
    kernels()
    fingerprinterKernel()
    exit(0)
}
guard args.count >= 3, ["pipeline", "decode", "meters"].contains(args[1]) else {
    FileHandle.standardError.write(Data("usage: voxgate-bench pipeline|decode <upload-root> [--jobs N]\n".utf8))
    exit(64)
}
let mode = args[1]
let root = args[2]
let jobs = args.firstIndex(of: "--jobs").flatMap { Int(args[$0 + 1]) } ?? ProcessInfo.processInfo.activeProcessorCount
let tree = try UploadTree.scan(root: root)
let config =
    try args.firstIndex(of: "--pipeline").map { try PipelineConfig.load(path: args[$0 + 1]) }
    ?? PipelineConfig()
let started = Date()
var audioSeconds = 0.0
if mode == "pipeline" {
    let out = NSTemporaryDirectory() + "voxgate-bench-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let summary = try await Ingest.run(
        IngestOptions(root: root, output: out, config: config, jobs: jobs, speakerKeyPath: nil))
    audioSeconds = summary.languages.reduce(0) { $0 + $1.totalHours * 3600 }
} else {
    let blockFrames = config.run.blockFrames
    let fingerprint = mode == "meters" && args.contains("--fingerprint")
    if args.contains("--inline") {
        // One clip after another on this task, no worker threads: for valgrind (callgrind), which crashes
        // here when libdispatch starts worker threads while the main thread waits in dispatch_main.
        audioSeconds = tree.clips.reduce(0) {
            $0 + decodeClip($1, blockFrames: blockFrames, meters: mode == "meters", fingerprint: fingerprint)
        }
    } else {
        audioSeconds = await decodeOnly(
            Array(tree.clips), jobs: jobs, blockFrames: blockFrames, meters: mode == "meters", fingerprint: fingerprint)
    }
}
let wall = Date().timeIntervalSince(started)
if mode == "pipeline" && StageClock.isEnabled { print(stageBudget(audioSeconds: audioSeconds)) }
print(
    Figures(
        mode: mode + (args.contains("--fingerprint") && mode == "meters" ? "+fingerprint" : ""), jobs: jobs,
        clips: tree.clips.count, audioSeconds: audioSeconds, wallSeconds: wall
    ).json())
