import Foundation
import VoxgateAudio
import VoxgateCorpus

/// One decision as the report needs it.
struct DecisionRow {
    var clip: String
    var accepted: Bool
    var reasons: [String]
    var detail: String?
    var language: String
    var duration: Double
    var frames: Int
    var loudness: Double?
    var snr: Double?
    var truePeak: Double?
    var speech: Double?
    var duplicateOf: String?

    init?(_ d: [String: Any]) {
        guard let clip = d["clip"] as? String, let language = d["language"] as? String else { return nil }
        self.clip = clip
        self.language = language
        accepted = d["status"] as? String == "accepted"
        reasons = d["reasons"] as? [String] ?? []
        detail = d["detail"] as? String
        duration = d["duration_s"] as? Double ?? 0
        frames = d["frames"] as? Int ?? 0
        loudness = d["loudness_lufs"] as? Double
        snr = d["snr_db"] as? Double
        truePeak = d["true_peak_dbtp"] as? Double
        speech = d["speech_s"] as? Double
        duplicateOf = d["duplicate_of"] as? String
    }
}

/// A run's output folder, read for the report.
struct ReportInput {
    var output: String
    var decisions: [DecisionRow]
    var totals: [String: Any]
    var root: String?
    var checks: CheckConfig

    static func read(output: String) throws(RunError) -> ReportInput {
        func fail(_ what: String) -> RunError {
            RunError(.inputUnusable, "'\(output)' \(what); pass the --out folder of a finished ingest", path: output)
        }
        guard let text = try? String(contentsOfFile: output + "/decisions.jsonl", encoding: .utf8) else {
            throw fail("holds no readable decisions.jsonl")
        }
        // Parsed strictly (the input rule, README "Operating"): a line is a decision with a known status and
        // a finite, non-negative duration, or the file is refused naming the line.
        var rows: [DecisionRow] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let row = DecisionRow(object)
            else { throw fail("has a decisions.jsonl line (line \(number + 1)) that is not a decision") }
            guard ["accepted", "rejected"].contains(object["status"] as? String) else {
                throw fail("has a decisions.jsonl line (line \(number + 1)) whose status is not accepted or rejected")
            }
            guard row.duration.isFinite, row.duration >= 0, row.frames >= 0 else {
                throw fail("has a decisions.jsonl line (line \(number + 1)) with a negative or non-finite duration")
            }
            rows.append(row)
        }
        guard let data = FileManager.default.contents(atPath: output + "/totals.json"),
            let totals = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw fail("holds no readable totals.json") }
        var root: String?
        var checks = CheckConfig()
        if let data = FileManager.default.contents(atPath: output + "/run.json"),
            let run = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        {
            root = run["root_absolute"] as? String ?? run["root"] as? String
            if let pipeline = run["pipeline"] as? String, let config = try? PipelineConfig.load(path: pipeline) {
                checks = config.checks
            }
        }
        return ReportInput(output: output, decisions: rows, totals: totals, root: root, checks: checks)
    }

    /// The clip's sentence from its sidecar, when the input is an upload tree and the sidecar is readable.
    func sentence(of clip: String) -> String? {
        guard let root else { return nil }
        let stem = (clip as NSString).deletingPathExtension
        let path = root + "/" + stem + ".json"
        // The same rules as the run: nothing through a link out of the root, no pipe, nothing oversized.
        var confinement = UploadConfinement(root: root)
        guard confinement.problem(path) == nil,
            let data = try? RegularFile.contents(path, limit: SidecarReading.maxBytes),
            case .object(let object)? = try? StrictJSON.parse(data), case .string(let sentence)? = object["sentence"]
        else { return nil }
        return String(sentence.prefix(1_000))
    }

    /// The path as the file system spells it: clip paths are NFC, a file may be stored NFD (macOS).
    static func onDisk(_ path: String) -> String? {
        if FileManager.default.fileExists(atPath: path) { return path }
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let match = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.first {
            $0.precomposedStringWithCanonicalMapping == name
        }
        return match.map { dir + "/" + $0 }
    }

    /// `<root>/<clip>` relative to the report folder, when the file is there.
    func audioLink(for clip: String) -> String? {
        guard let root else { return nil }
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { (p.hasPrefix("/") ? p : cwd + "/" + p) as String }
        guard let target = Self.onDisk((absolute(root) as NSString).standardizingPath + "/" + clip) else { return nil }
        let from = ((absolute(output) as NSString).standardizingPath + "/report").split(separator: "/")
        let to = target.split(separator: "/")
        var common = 0
        while common < min(from.count, to.count), from[common] == to[common] { common += 1 }
        return (Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)).joined(
            separator: "/")
    }
}
