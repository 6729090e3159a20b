import Foundation
public import VoxgateCorpus
import VoxgateLedger
import VoxgatePipeline

/// `voxgate verify <dir>`: checks a whole release against its ledger, reading nothing but the folder and
/// writing nothing at all (the ledger is opened read-only, no lock is taken). Every shard must be present,
/// of the recorded size and SHA-256, hold no member but those the ledger placed there, and every audio
/// member must match the SHA-256 recorded when it was written; every published file (decisions, totals,
/// splits, datasheets, …) must be the one voxgate wrote; `decisions.jsonl` must hold one well-formed line
/// per clip the ledger decided. The command an operator runs before publishing, and a cron job after
/// copying a release.
public enum ReleaseVerifier {
    public struct Report: Sendable {
        public var shards = 0
        public var members = 0
        public var files = 0
        /// What does not hold, one sentence each; empty when the release is intact.
        public var problems: [String] = []
        public var isIntact: Bool { problems.isEmpty }
    }

    public static func verify(_ dir: String) async throws(RunError) -> Report {
        let ledger = try Ledger(readingInput: dir, code: .inputDamaged)
        var report = Report()
        let shards = try ledger.shards()
        let clips = try ledger.clips(light: true)
        var placed: [String: [ClipRecord]] = [:]
        for record in clips.values { if let shard = record.shard { placed[shard, default: []].append(record) } }
        report.shards = shards.count

        let digests = await Concurrent.map(shards, chunk: 1) { FileDigest.sha256(path: dir + "/" + $0.path) }
        for (shard, digest) in zip(shards, digests) {
            let path = dir + "/" + shard.path
            guard let digest else {
                report.problems.append("shard '\(shard.path)' is missing (deleted after it was released)")
                continue
            }
            let size = Ledger.fileSize(path) ?? -1
            if size != shard.bytes {
                report.problems.append(
                    "shard '\(shard.path)' has \(size) bytes; the ledger recorded \(shard.bytes) (truncated or appended to)"
                )
            }
            let members: [TarIndex.Member]
            do { members = try TarIndex.members(of: path, code: .inputDamaged, remedy: "restore it from a copy") } catch
            {
                report.problems.append(error.message)
                continue
            }
            let byName = Dictionary(members.map { ($0.name, $0) }) { a, _ in a }
            var memberProblem = false
            for record in (placed[shard.path] ?? []).sorted(by: { $0.path < $1.path }) {
                guard let key = record.member,
                    let audio = members.first(where: { TarIndex.key(of: $0.name) == key && !$0.name.hasSuffix(".json") }
                    )
                else {
                    report.problems.append(
                        "shard '\(shard.path)' lacks the audio member of '\(record.path)' (key \(record.member ?? "?"))"
                    )
                    memberProblem = true
                    continue
                }
                report.members += 1
                if byName[key + ".json"] == nil {
                    report.problems.append("shard '\(shard.path)' lacks the member '\(key).json' of '\(record.path)'")
                    memberProblem = true
                }
                guard let want = record.audioSha256 else { continue }  // written before member hashes were recorded
                let got = FileDigest.sha256(path: path, offset: audio.offset, size: audio.size)
                if got != want {
                    report.problems.append(
                        "shard '\(shard.path)' member '\(audio.name)' was changed: its SHA-256 is not the one recorded "
                            + "when it was written (recorded \(want), now \(got ?? "unreadable"))")
                    memberProblem = true
                }
            }
            if digest != shard.sha256 && !memberProblem {
                report.problems.append(
                    "shard '\(shard.path)' was changed outside voxgate: its SHA-256 is not the one the ledger recorded "
                        + "(the audio members match: a header or a sample's JSON changed)")
            }
        }
        let released = Set(shards.map(\.path))
        if let walker = FileManager.default.enumerator(atPath: dir + "/shards") {
            for case let relative as String in walker where relative.hasSuffix(".tar") {
                if !released.contains("shards/" + relative) {
                    report.problems.append("shard 'shards/\(relative)' is not in the ledger (added outside voxgate)")
                }
            }
        }

        if let recorded = try PublishedFiles.recorded(ledger) {
            report.files = recorded.count
            report.problems += await PublishedFiles.changed(dir, recorded: recorded).map(\.why)
        } else {
            report.problems.append(
                "the ledger records no published files (a release made before voxgate recorded them): run voxgate on "
                    + "the folder once to record them")
        }
        report.problems += decisionsProblems(dir, clips: clips)
        return report
    }

    /// `decisions.jsonl` against the ledger: one well-formed line per clip, each naming a clip the ledger
    /// decided, with the status it recorded. Malformed lines are named by line number.
    static func decisionsProblems(_ dir: String, clips: [String: ClipRecord]) -> [String] {
        let path = dir + "/decisions.jsonl"
        guard let data = FileManager.default.contents(atPath: path) else {
            return ["'decisions.jsonl' is missing (deleted outside voxgate)"]
        }
        var problems: [String] = []
        var seen = 0
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let clip = object["clip"] as? String, let status = object["status"] as? String
            else {
                if problems.count < 10 {
                    problems.append("'decisions.jsonl' line \(number + 1) is not a decision record")
                }
                continue
            }
            seen += 1
            if let record = clips[clip] {
                if record.status != status, problems.count < 10 {
                    problems.append(
                        "'decisions.jsonl' line \(number + 1) says '\(clip)' is \(status); the ledger decided \(record.status)"
                    )
                }
            } else if problems.count < 10 {
                problems.append("'decisions.jsonl' line \(number + 1) names '\(clip)', a clip the ledger never decided")
            }
        }
        if seen != clips.count {
            problems.append("'decisions.jsonl' holds \(seen) decisions; the ledger decided \(clips.count) clips")
        }
        return problems
    }
}
