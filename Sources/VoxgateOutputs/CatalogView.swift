import Foundation
public import VoxgateCorpus

/// `voxgate catalog`: the language catalog as a table and, given a run's output folder, accepted hours
/// for every catalog language, zeros included, least served first.
public enum CatalogView {
    /// The catalog, one language per line.
    public static func list() -> String {
        let catalog = LanguageCatalog.shared
        var lines = ["tag\tname\tautonym\tiso639-3\tscripts\tdirection\tcorpus25\tpopulation"]
        for e in catalog.entries {
            lines.append(
                [
                    e.tag, e.name, e.autonym ?? "", e.iso639_3 ?? "", e.scripts.joined(separator: " "), e.direction,
                    e.corpus25 ? "yes" : "no", e.population.map(String.init) ?? "",
                ].joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Accepted hours and clips per catalog language from `<output>/totals.json`, fewest hours first.
    /// - Throws: ``RunError`` when the folder holds no readable totals.
    public static func coverage(output: String) throws(RunError) -> String {
        let catalog = LanguageCatalog.shared
        let path = output + "/totals.json"
        guard let data = FileManager.default.contents(atPath: path),
            let totals = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let locales = totals["locales"] as? [String: [String: Any]]
        else {
            throw RunError(
                .inputUnusable, "'\(path)' is missing or not voxgate's totals; pass a run's --out folder", path: path)
        }
        let rows = catalog.entries.map { e -> (LanguageEntry, Double, Int) in
            let l = locales[e.tag]
            return (e, (l?["validHrs"] as? Double) ?? 0, (l?["accepted"] as? Int) ?? 0)
        }
        .sorted { ($0.1, $0.0.tag) < ($1.1, $1.0.tag) }
        var lines = ["tag\tname\taccepted hours\taccepted clips\tcorpus25"]
        for (e, hours, clips) in rows {
            lines.append(
                [e.tag, e.name, String(format: "%.4f", hours), String(clips), e.corpus25 ? "yes" : "no"]
                    .joined(separator: "\t"))
        }
        let served = rows.filter { $0.1 > 0 }.count
        lines.append(
            "# \(served) of \(rows.count) catalog languages have accepted audio; \(rows.count - served) have none")
        return lines.joined(separator: "\n") + "\n"
    }
}
