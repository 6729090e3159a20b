import VoxgateCorpus

/// Reviewers' votes in the report: counts per language only (never who voted, nor their notes).
extension Overview {
    /// A table of clips reviewed and decisions overturned per language, from `totals.json`; empty when
    /// nobody has voted (so a release without reviews reads as before).
    func reviewTable(tags: [String], locales: [String: [String: Any]]) -> String {
        let counts = tags.map { tag in
            (tag, locales[tag]?["reviewed"] as? Int ?? 0, locales[tag]?["overturned"] as? Int ?? 0)
        }
        guard counts.contains(where: { $0.1 > 0 }) else { return "" }
        var b = "<table><caption>Reviewers' votes per language (applied by the last run)</caption><thead><tr>"
        b += "<th scope=col>Language</th><th scope=col class=n>Reviewed</th><th scope=col class=n>Overturned</th>"
        b += "</tr></thead><tbody>\n"
        for (tag, reviewed, overturned) in counts where reviewed > 0 {
            b +=
                "<tr><th scope=row>\(HTML.escape(tag))</th><td class=n>\(reviewed)</td><td class=n>\(overturned)</td></tr>\n"
        }
        return b + "</tbody></table>\n"
    }
}
