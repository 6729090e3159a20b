import Foundation
public import VoxgateCorpus
import VoxgateOutputs

/// What `voxgate report` wrote.
public struct ReportSummary: Sendable {
    public var pages: Int
    public var largestPageBytes: Int
    public var folder: String
}

/// `<out>/report/`: the validation report reviewers open in a browser, offline, from a folder or a static
/// server. `index.html` (corpus totals and a sortable per-language table), `<tag>.html` per language
/// (histograms with thresholds, rejected clips with reasons, details, metrics, transcripts and players,
/// 500 per page: `<tag>-2.html`, …) and `report.json`, the same facts for tools.
/// Self-contained: inline CSS and a few lines of inline JavaScript; no request leaves the folder.
public enum Report {
    public static let pageSize = 500

    /// Writes the report for a finished run's output folder.
    /// - Throws: ``RunError`` when the folder holds no run or the report cannot be written.
    public static func write(output: String, pageSize: Int = pageSize) throws(RunError) -> ReportSummary {
        let input = try ReportInput.read(output: output)
        let folder = output + "/report"
        do {
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw RunError(.outputUnusable, "cannot create '\(folder)' (\(error.localizedDescription))", path: folder)
        }
        let byLanguage = Dictionary(grouping: input.decisions, by: \.language)
        let tags = byLanguage.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var pages: [(String, String)] = []
        var languagesJSON: [JSONText] = []
        for tag in tags {
            let rows = byLanguage[tag]!
            let page = LanguagePage(tag: tag, rows: rows, input: input, pageSize: pageSize)
            pages += page.html()
            languagesJSON.append(page.json())
        }
        pages.insert(("index.html", Overview(input: input, tags: tags, byLanguage: byLanguage).html()), at: 0)
        let json = JSONText.object([
            ("schema", .string("voxgate-report/1")),
            ("clips", .int(input.decisions.count)),
            ("accepted", .int(input.decisions.filter(\.accepted).count)),
            ("languages", .array(languagesJSON)),
        ])
        pages.append(("report.json", json.pretty))
        var largest = 0
        for (name, text) in pages {
            largest = max(largest, text.utf8.count)
            do { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) } catch {
                throw RunError(.outputUnusable, "cannot write '\(folder)/\(name)'", path: folder)
            }
        }
        return ReportSummary(pages: pages.count, largestPageBytes: largest, folder: folder)
    }

    /// Whether `<output>/report/` was written, whole, from the current `decisions.jsonl`: its `report.json`
    /// (written last) is no older than the decisions.
    public static func isCurrent(output: String) -> Bool {
        let fm = FileManager.default
        guard
            let report = (try? fm.attributesOfItem(atPath: output + "/report/report.json"))?[.modificationDate]
                as? Date,
            let decisions = (try? fm.attributesOfItem(atPath: output + "/decisions.jsonl"))?[.modificationDate] as? Date
        else { return false }
        return report >= decisions
    }

    /// The file name of a language's page `n` (1-based).
    static func pageName(_ tag: String, _ n: Int) -> String {
        let safe = TagFileName.of(tag)  // never `index`, unique, within file-name limits
        return n == 1 ? "\(safe).html" : "\(safe)-\(n).html"
    }
}

/// `index.html`.
struct Overview {
    let input: ReportInput
    let tags: [String]
    let byLanguage: [String: [DecisionRow]]

    func html() -> String {
        let catalog = LanguageCatalog.shared
        let accepted = input.decisions.filter(\.accepted)
        let hours = accepted.reduce(0) { $0 + $1.duration } / 3600
        var b = "<h1>voxgate validation report</h1>\n"
        b +=
            "<p>\(input.decisions.count) clips, <span class=ok>\(accepted.count) accepted</span> "
            + "(\(String(format: "%.2f", hours)) hours), \(input.decisions.count - accepted.count) rejected, in \(tags.count) "
            + "language folder(s).</p>\n"
        b += "<table data-sortable><caption>Per language (select a column heading to sort)</caption><thead><tr>"
        for (h, numeric) in [
            ("Language", false), ("Name", false), ("Clips", true), ("Accepted", true),
            ("Accepted hours", true), ("Speakers", true), ("Duplicates", true), ("Mismatches", true),
            ("Rejected by reason", false),
        ] {
            b += "<th scope=col\(numeric ? " class=n" : "")><button type=button>\(h)</button></th>"
        }
        b += "</tr></thead><tbody>\n"
        let locales = input.totals["locales"] as? [String: [String: Any]] ?? [:]
        for tag in tags {
            let rows = byLanguage[tag]!
            let entry = catalog.entry(for: tag)
            let ok = rows.filter(\.accepted)
            var reasons: [String: Int] = [:]
            for r in rows { for code in r.reasons { reasons[code, default: 0] += 1 } }
            let users = locales[tag]?["validUsers"] as? Int ?? 0
            let name =
                entry.map { e in e.name + (e.autonym.flatMap { $0 == e.name ? nil : " · " + $0 } ?? "") }
                ?? "not in the catalog"
            b += "<tr><th scope=row><a href=\"\(HTML.url(Report.pageName(tag, 1)))\">\(HTML.escape(tag))</a></th>"
            b += "<td>\(HTML.escape(name))</td><td class=n>\(rows.count)</td><td class=n>\(ok.count)</td>"
            let h = ok.reduce(0) { $0 + $1.duration } / 3600
            b += "<td class=n data-v=\"\(h)\">\(String(format: "%.3f", h))</td><td class=n>\(users)</td>"
            b +=
                "<td class=n>\(reasons["duplicate"] ?? 0)</td><td class=n>\(reasons["language_mismatch"] ?? 0)</td><td>"
            b += reasons.keys.sorted().map { "<span class=reason>\(HTML.escape($0)) \(reasons[$0]!)</span>" }.joined()
            b += "</td></tr>\n"
        }
        b += "</tbody></table>\n"
        b += reviewTable(tags: tags, locales: locales)
        let unserved = catalog.entries.filter { e in
            !tags.contains(e.tag) || (byLanguage[e.tag]?.allSatisfy { !$0.accepted } ?? true)
        }
        b +=
            "<details><summary>\(unserved.count) of \(catalog.entries.count) catalog languages have no accepted audio "
            + "in this run</summary><p>"
        b +=
            unserved.map { "\(HTML.escape($0.tag)) (\(HTML.escape($0.name)))" }.joined(separator: ", ")
            + "</p></details>\n"
        return HTML.page(title: "voxgate report", body: b, script: true)
    }
}
