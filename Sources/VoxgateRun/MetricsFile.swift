public import Foundation
public import VoxgateCorpus
import VoxgateOutputs

/// A Prometheus text-format file for node_exporter's textfile collector (`--metrics-file`), written
/// atomically at the end of each successful run: clips seen, accepted and rejected by reason, hours
/// per language, run duration and the time of the last success.
public enum MetricsFile {
    /// The file's text for a finished run.
    public static func text(_ s: IngestSummary, finishedAt: Date = Date()) -> String {
        func label(_ v: String) -> String {
            v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ type: String = "gauge", _ samples: [(String, Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
        }
        metric("voxgate_clips", "Clips in the last run.", "gauge", [("", Double(s.clips))])
        metric("voxgate_clips_accepted", "Clips accepted in the last run.", "gauge", [("", Double(s.accepted))])
        metric(
            "voxgate_clips_rejected", "Clips rejected in the last run, by reason (a clip may have several).", "gauge",
            ReasonCode.allCases.map { r in
                ("{reason=\"\(r.rawValue)\"}", Double(s.rejectedByReason.first { $0.0 == r }?.1 ?? 0))
            })
        metric(
            "voxgate_accepted_hours", "Accepted hours of audio in the last run, by language.", "gauge",
            s.languages.map { ("{language=\"\(label($0.tag))\"}", $0.acceptedHours) })
        metric(
            "voxgate_clips_decoded", "Clips the last run decoded (new or changed).", "gauge", [("", Double(s.decoded))])
        metric(
            "voxgate_clips_reused", "Clips the last run re-decided from the ledger without decoding.", "gauge",
            [("", Double(s.reused))])
        metric("voxgate_shards_new", "Shards the last run released.", "gauge", [("", Double(s.newShards))])
        metric(
            "voxgate_shards_rewritten", "Released shards the last run rewrote to remove clips.", "gauge",
            [("", Double(s.rewrittenShards))])
        metric("voxgate_run_duration_seconds", "Wall time of the last run.", "gauge", [("", s.elapsed)])
        metric(
            "voxgate_last_success_timestamp_seconds", "When the last successful run finished (Unix time).", "gauge",
            [("", finishedAt.timeIntervalSince1970.rounded())])
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file atomically (a scrape never sees half of it). Only a regular file is replaced: a
    /// character device (`/dev/null`, a terminal) is written through, anything else (a folder, a FIFO, a
    /// socket) is refused, never replaced by a file.
    public static func write(_ s: IngestSummary, to path: String) throws(RunError) {
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            guard (st.st_mode & S_IFMT) == S_IFCHR else {
                throw RunError(
                    .outputUnusable,
                    "--metrics-file '\(path)' is not a regular file (a folder, FIFO or socket); give a file path",
                    path: path)
            }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RunError.posix("cannot open", path: path) }
            defer { close(fd) }
            let bytes = Array(text(s).utf8)
            guard bytes.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress!, $0.count) }) == bytes.count else {
                throw RunError.posix("cannot write", path: path)
            }
            return
        }
        try AtomicFile.write(text(s), to: path)
    }
}
