import Foundation
import VoxgateCorpus
import VoxgateOutputs

/// `<tag>.html` (and its further pages): one language.
struct LanguagePage {
    let tag: String
    let rows: [DecisionRow]
    let input: ReportInput
    let pageSize: Int

    var entry: LanguageEntry? { LanguageCatalog.shared.entry(for: tag) }
    var rejected: [DecisionRow] {
        rows.filter { !$0.accepted }.sorted { $0.clip.utf8.lexicographicallyPrecedes($1.clip.utf8) }
    }

    var histograms: [Histogram] {
        let c = input.checks
        return [
            Histogram(
                title: "Duration", unit: "s", values: rows.filter { $0.frames > 0 }.map(\.duration), lower: 0,
                upper: max(c.maxDurationSeconds * 1.25, 1),
                thresholds: [(c.minDurationSeconds, "min"), (c.maxDurationSeconds, "max")]),
            Histogram(
                title: "Loudness", unit: "LUFS", values: rows.compactMap(\.loudness), lower: -70, upper: 0,
                thresholds: [(c.tooQuietLUFS, "too quiet"), (c.tooLoudLUFS, "too loud")]),
            Histogram(
                title: "SNR", unit: "dB", values: rows.compactMap(\.snr), lower: -10, upper: 100,
                thresholds: [(c.minSNRDB, "low SNR")]),
            Histogram(
                title: "Speech ratio", unit: "%",
                values: rows.compactMap { r in r.speech.map { r.duration > 0 ? 100 * $0 / r.duration : 0 } }, lower: 0,
                upper: 100),
        ]
    }

    func html() -> [(String, String)] {
        let list = rejected
        let pageCount = max(1, (list.count + pageSize - 1) / pageSize)
        let name = entry.map { "\($0.name)" } ?? "not in the catalog"
        return (1...pageCount).map { n in
            var b = "<nav><a href=\"index.html\">All languages</a>"
            if pageCount > 1 {
                for p in 1...pageCount {
                    b +=
                        p == n
                        ? "<strong>page \(p)</strong> "
                        : "<a href=\"\(HTML.url(Report.pageName(tag, p)))\">page \(p)</a>"
                }
            }
            b += "</nav>\n<h1>\(HTML.escape(tag)) · \(HTML.escape(name))</h1>\n"
            let ok = rows.filter(\.accepted)
            b +=
                "<p>\(rows.count) clips, <span class=ok>\(ok.count) accepted</span> ("
                + String(format: "%.3f", ok.reduce(0) { $0 + $1.duration } / 3600)
                + " hours), \(list.count) rejected.</p>\n"
            if n == 1 {
                b += "<section aria-label=\"Distributions\">"
                for h in histograms {
                    b += "<figure>\(h.svg)<figcaption>\(HTML.escape(h.description))</figcaption></figure>"
                }
                b += "</section>\n"
            }
            b += "<h2>Rejected clips\(pageCount > 1 ? " (page \(n) of \(pageCount))" : "")</h2>\n"
            b +=
                "<table><thead><tr><th scope=col>Clip</th><th scope=col>Reasons</th><th scope=col>Detail</th>"
                + "<th scope=col>Metrics</th><th scope=col>Transcript</th><th scope=col>Listen</th></tr></thead><tbody>\n"
            for row in list.dropFirst((n - 1) * pageSize).prefix(pageSize) { b += self.row(row) }
            b += "</tbody></table>\n"
            return (Report.pageName(tag, n), HTML.page(title: "\(tag) · voxgate report", body: b))
        }
    }

    func player(_ clip: String) -> String {
        guard let link = input.audioLink(for: clip) else { return "<span class=muted>not reachable</span>" }
        return "<audio controls preload=\"none\" src=\"\(HTML.url(link))\"></audio>"
    }

    func row(_ r: DecisionRow) -> String {
        var s = "<tr><th scope=row>\(HTML.escape(r.clip))</th><td>"
        s += r.reasons.map { "<span class=reason>\(HTML.escape($0))</span>" }.joined() + "</td>"
        s += "<td>\(HTML.escape(r.detail ?? ""))</td><td class=muted>"
        var metrics: [String] = []
        if r.frames > 0 { metrics.append(String(format: "%.2f s", r.duration)) }
        if let l = r.loudness { metrics.append(String(format: "%.1f LUFS", l)) }
        if let p = r.truePeak { metrics.append(String(format: "%.1f dBTP", p)) }
        if let n = r.snr { metrics.append(String(format: "SNR %.1f dB", n)) }
        s += metrics.joined(separator: "<br>") + "</td>"
        let rtl = entry?.direction == "rtl"
        if r.reasons.contains("consent_withdrawn") {
            // Nothing of a contributor who withdrew is shown or played, only that the clip left the release.
            return s + "<td class=muted>—</td><td class=muted>withdrawn: not played</td></tr>\n"
        }
        if let sentence = input.sentence(of: r.clip) {
            s += "<td lang=\"\(HTML.escape(tag))\"\(rtl ? " dir=\"rtl\"" : "")>\(HTML.escape(sentence))</td>"
        } else {
            s += "<td class=muted>—</td>"
        }
        if r.frames == 0 {
            s += "<td class=muted>could not be decoded</td>"
        } else if let kept = r.duplicateOf {
            s +=
                "<td><div class=pair><div>this clip<br>\(player(r.clip))</div><div>kept: \(HTML.escape(kept))<br>"
                + "\(player(kept))</div></div></td>"
        } else {
            s += "<td>\(player(r.clip))</td>"
        }
        return s + "</tr>\n"
    }

    func json() -> JSONText {
        var reasons: [String: Int] = [:]
        for r in rows { for code in r.reasons { reasons[code, default: 0] += 1 } }
        let ok = rows.filter(\.accepted)
        let pageCount = max(1, (rejected.count + pageSize - 1) / pageSize)
        return .object([
            ("tag", .string(tag)),
            ("name", .optional(entry?.name)),
            ("autonym", .optional(entry?.autonym)),
            ("direction", .optional(entry?.direction)),
            ("clips", .int(rows.count)),
            ("accepted", .int(ok.count)),
            ("acceptedHours", .rounded(ok.reduce(0) { $0 + $1.duration } / 3600, places: 4)),
            ("rejectedByReason", .object(reasons.keys.sorted().map { ($0, .int(reasons[$0]!)) })),
            ("pages", .array((1...pageCount).map { .string(Report.pageName(tag, $0)) })),
            ("histograms", .array(histograms.map(\.json))),
        ])
    }
}
