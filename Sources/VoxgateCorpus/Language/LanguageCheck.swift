/// The language checks: `unknown_language` for a tag outside the catalog, `language_mismatch` when the
/// sidecar's locale or the sentence's script contradicts the folder's language (pure functions).
///
/// Each signal is one function returning findings, so further signals (a text language identifier, a
/// spoken-language identifier on the audio) are added beside them.
public enum LanguageCheck {
    /// Names the catalog and the text language identifier's model: the ledger reuses a clip's language
    /// findings only while this is unchanged. The catalog and model parts are hashes of the generated data
    /// (so regenerating either changes it by itself); bump the last part only with a change to these checks.
    public static let revision =
        "catalog-\(dataHash(CatalogData.catalogJSON, CatalogData.aliasesJSON, CatalogData.scriptsTSV))"
        + "/lid-\(dataHash(LIDModelData.model, String(LIDModelData.step)))/checks-2"

    /// 64-bit FNV-1a over the UTF-8 of `parts` (each followed by a 0 byte), as 16 hex digits: a name for a
    /// version of the data, not a security hash.
    static func dataHash(_ parts: String...) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 {
                h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            h = (h ^ 0) &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// `unknown_language`: for a tag naming several catalog entries, exactly those; otherwise the closest
    /// entries, by language first (``LanguageCatalog/suggestions(for:count:)``).
    public static func unknown(tag: String, catalog: LanguageCatalog = .shared) -> Finding {
        if case .ambiguous(let several) = catalog.match(tag) {
            let list = several.map { "\($0.tag) (\($0.name))" }.joined(separator: ", ")
            return Finding(
                .unknownLanguage,
                "'\(tag)' names \(several.count) languages in the catalog: \(list); rename the folder to the one the "
                    + "clips are in")
        }
        let close = catalog.suggestions(for: tag).map { "\($0.tag) (\($0.name))" }.joined(separator: ", ")
        let wellFormed = LanguageTag.parse(tag, aliases: catalog.aliases) != nil
        return Finding(
            .unknownLanguage,
            "'\(tag)' is \(wellFormed ? "not a language in the catalog" : "not a well-formed BCP-47 language tag"); "
                + "closest: \(close); rename the folder to the right tag")
    }

    /// The sidecar's `locale` names another language than the folder (a region or script difference is not one).
    public static func locale(_ locale: String?, folder: LanguageEntry, catalog: LanguageCatalog = .shared) -> [Finding]
    {
        guard let locale, !locale.isEmpty else { return [] }
        let named: LanguageEntry
        switch catalog.match(locale) {
        case .entry(let e, _): named = e
        case .ambiguous(let several): named = several.first { $0.tag == folder.tag } ?? several[0]
        case .unknown:
            // The raw value is not echoed: sidecar fields never reach the outputs verbatim.
            return [
                Finding(
                    .languageMismatch,
                    "the sidecar's locale is not a known language tag; the clip is in the \(folder.tag) folder")
            ]
        }
        func language(_ tag: String) -> String {
            LanguageTag.parse(tag, aliases: catalog.aliases)?.language ?? tag
        }
        guard language(named.tag) != language(folder.tag) else { return [] }
        return [
            Finding(
                .languageMismatch,
                "the sidecar's locale '\(locale)' is \(named.name) but the clip is in the \(folder.tag) (\(folder.name)) folder"
            )
        ]
    }

    /// The sentence is written mostly (> 50% of its letters) in scripts the language is not written in: any
    /// of the language's scripts (`sr`: Cyrillic or Latin), or the one the tag names (`sr-Latn`: Latin).
    /// Languages without a known script are not judged.
    public static func script(of sentence: String, language: LanguageEntry, script tagged: String? = nil) -> [Finding] {
        let scripts = tagged.map { [$0] } ?? language.scripts
        guard !scripts.isEmpty else { return [] }
        let profile = ScriptProfile(sentence)
        guard profile.total >= 3, profile.share(in: scripts) < 0.5 else { return [] }
        let tag = tagged.map { "\(language.tag), tagged \($0)" } ?? language.tag
        return [
            Finding(
                .languageMismatch,
                "the sentence is written in \(profile.summary), but \(language.name) (\(tag)) is written in "
                    + scripts.joined(separator: "/"))
        ]
    }

    /// The sentence is, with high confidence, another language written in the same script
    /// (``TextLanguageIdentifier``). Languages the identifier does not model are not judged.
    public static func text(of sentence: String, language: LanguageEntry, catalog: LanguageCatalog = .shared)
        -> [Finding]
    {
        let lid = TextLanguageIdentifier.shared
        guard lid.knows(language.tag), sentence.split(separator: " ").count >= 3,
            let other = lid.mismatch(sentence, claimed: language.tag)
        else { return [] }
        let name = catalog.entry(for: other)?.name ?? other
        return [
            Finding(
                .languageMismatch,
                "the sentence reads as \(name) (\(other)), not \(language.name) (\(language.tag)), with high confidence"
            )
        ]
    }
}
