import Foundation

/// What a tag as a contributor writes it names in the catalog (BCP-47 matching, RFC 4647 lookup).
public enum TagMatch: Sendable, Hashable {
    /// One catalog entry; `script` is the tag's script subtag when it has one (`sr-Latn` → `Latn`).
    case entry(LanguageEntry, script: String?)
    /// A well-formed tag whose language the catalog has several entries of (`zh` → `zh-CN`, `zh-HK`, `zh-TW`).
    case ambiguous([LanguageEntry])
    /// Not a language of the catalog (or not a well-formed tag).
    case unknown
}

extension LanguageCatalog {
    /// Matches a tag against the catalog: exactly (after canonicalising case, `_`, deprecated codes and a
    /// suppressed default script), else by its language subtag — or its ISO 639-3 code (`swe`, `cmn`) — when
    /// the catalog has exactly one entry of that language (`sv` → `sv-SE`, `es-MX` → `es`). Several entries
    /// of the language are narrowed by the tag's region, then script (`zh-Hant-TW` → `zh-TW`); an entry whose
    /// tag is the bare language (`pap` beside `pap-AW`) is the language's default. Never across languages.
    public func match(_ raw: String) -> TagMatch {
        var found: [LanguageEntry] = []
        for table in [[:], aliases] {
            guard let tag = LanguageTag.parse(raw, aliases: table) else { return .unknown }
            let suppressed = tag.suppressingScript(of: self)
            for key in [tag.canonical, suppressed.canonical] {
                if let e = entry(exactly: key) { return .entry(e, script: tag.script) }
            }
            var candidates = entries(ofLanguage: tag.language)
            if candidates.isEmpty { continue }
            if let region = tag.region {
                let same = candidates.filter { LanguageTag.parse($0.tag, aliases: [:])?.region == region }
                if !same.isEmpty { candidates = same }
            }
            if let script = tag.script, candidates.count > 1 {
                let usual = candidates.filter { $0.scripts.first == script }
                let written = candidates.filter { $0.scripts.contains(script) }
                if !usual.isEmpty { candidates = usual } else if !written.isEmpty { candidates = written }
            }
            if candidates.count == 1 { return .entry(candidates[0], script: tag.script) }
            if let bare = candidates.first(where: { $0.tag.lowercased() == tag.language }) {
                return .entry(bare, script: tag.script)
            }
            found = candidates
            break
        }
        return found.isEmpty ? .unknown : .ambiguous(found.sorted { $0.tag < $1.tag })
    }

    /// The entries of a language: those whose tag's language subtag is `language`, else those whose ISO
    /// 639-3 code it is.
    func entries(ofLanguage language: String) -> [LanguageEntry] {
        let code = language.lowercased()
        let same = entries.filter { $0.tag.lowercased() == code || $0.tag.lowercased().hasPrefix(code + "-") }
        return same.isEmpty ? entries.filter { $0.iso639_3 == code } : same
    }

    /// Entries for an `unknown_language` detail: by language first — the same language subtag, the same ISO
    /// 639-3 code, the English name, the autonym — then by spelling (edit distance to tag or name).
    public func suggestions(for raw: String, count: Int = 3) -> [LanguageEntry] {
        let needle = raw.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-")
        let subtag = String(needle.split(separator: "-").first ?? "")
        let resolved = aliases[subtag] ?? subtag
        func named(_ name: String?) -> Bool {
            guard let name = name?.lowercased() else { return false }
            return name == needle || name.hasPrefix(needle + " (")
        }
        var byLanguage: [LanguageEntry] = []
        for rule in [
            { (e: LanguageEntry) in !subtag.isEmpty && self.entries(ofLanguage: resolved).contains(e) },
            { (e: LanguageEntry) in e.iso639_3 == subtag || e.iso639_3 == resolved },
            { (e: LanguageEntry) in named(e.name) },
            { (e: LanguageEntry) in named(e.autonym) },
        ] {
            for e in entries.filter(rule).sorted(by: { $0.tag < $1.tag }) where !byLanguage.contains(e) {
                byLanguage.append(e)
            }
        }
        let bySpelling = entries.filter { !byLanguage.contains($0) }.map { e in
            (e, min(Self.distance(needle, e.tag.lowercased()), Self.distance(needle, e.name.lowercased())))
        }
        .sorted { ($0.1, $0.0.tag) < ($1.1, $1.0.tag) }.map(\.0)
        return Array((byLanguage + bySpelling).prefix(max(count, byLanguage.count)))
    }
}
